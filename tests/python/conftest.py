"""Fixtures shared by the Python tests: every test that takes `target` runs
once per instruction set compiled in and supported by this CPU."""

import numpy as np
import pytest

import simdquant as sq


@pytest.fixture(params=sq.available_targets())
def target(request):
    sq.restrict_to_target(request.param)
    assert sq.active_target() == request.param
    yield request.param
    sq.restrict_to_target("")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


def special_values():
    """float32 values every kernel must treat exactly: zeros, subnormals,
    extremes, halfway points of common scales."""
    f = np.float32
    return np.array(
        [0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38,
         0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, 128.5, -128.5, 255.5, 1.0, -1.0],
        dtype=f)
