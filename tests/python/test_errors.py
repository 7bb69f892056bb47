"""Bad input from Python: each a clear TypeError or ValueError, nothing
written, inputs untouched; and what happens to arrays that are not plain
C-contiguous aligned ones."""

import numpy as np
import pytest

import simdquant as sq

F32 = np.float32


@pytest.fixture
def x(rng):
    return rng.normal(size=(4, 64)).astype(F32)


def test_wrong_dtypes_are_type_errors(x):
    for bad in (x.astype(np.float64), x.astype(np.int32), [1.0, 2.0]):
        with pytest.raises(TypeError, match="float32, float16, or uint16"):
            sq.quantize(bad, 0.1, 128)
    with pytest.raises(TypeError, match="float32 here"):
        sq.abs_max(x.astype(np.float16))
    with pytest.raises(TypeError, match="zero_point must be an integer"):
        sq.quantize(x, 0.1, 127.5)  # the seeds' float zero point
    with pytest.raises(TypeError, match="codes must be"):
        sq.dequantize(x, 0.1, 0)
    with pytest.raises(TypeError, match="dtype must be"):
        sq.dequantize(np.zeros(4, np.uint8), 0.1, 0, dtype=np.int32)
    with pytest.raises(TypeError, match="is None"):
        sq.min_max(None)


def test_bad_values_are_value_errors_with_the_librarys_message(x):
    cases = [
        (lambda: sq.quantize(x, 0.0, 0), "scale = 0 is not finite and > 0"),
        (lambda: sq.quantize(x, np.nan, 0), "scale"),
        (lambda: sq.quantize(x, 0.1, 300), "zero_point"),
        (lambda: sq.quantize(x, 0.1, 0, bits=0), "bits = 0"),
        (lambda: sq.quantize(x, 0.1, 0, bits=17), "bits = 17"),
        (lambda: sq.quantize(x, 0.1, 2**40), "out of int32 range"),
        (lambda: sq.quantize(x, 0.1, 0, 8, False, True), "narrow"),
        (lambda: sq.quantize(x, 0.1, 0, mode="truncate"), "mode must be one of"),
        (lambda: sq.quantize(x, np.ones(3, F32), np.zeros(3, np.int32), axis=0),
         r"scale has shape \(3,\); this layout needs shape \(4,\)"),
        (lambda: sq.quantize(x, 0.1, 0, axis=2), "axis 2 is out of range"),
        (lambda: sq.quantize(x, 0.1, 0, group_size=0), "group_size must be >= 1"),
        (lambda: sq.min_max(np.zeros(0, F32)), "at least one element"),
        (lambda: sq.percentile(x, 101), "101"),
        (lambda: sq.percentile(np.array([1, np.nan], F32), 50), "NaN"),
        (lambda: sq.choose_asymmetric_params(2.0, 1.0), "min"),
        (lambda: sq.choose_asymmetric_params(0.0, np.inf), "finite"),
        (lambda: sq.QuantSpec(scheme="sym"), "scheme must be one of"),
        (lambda: sq.encode_float(x, 1.0, "E9M9"), "format must be one of"),
        (lambda: sq.encode_float(x, -1.0), "scale"),
        (lambda: sq.gguf_encode(x[:, :40], "Q8_0"), "multiple of"),
        (lambda: sq.gguf_encode(x, "Q4_K"), "multiple of"),
        (lambda: sq.gguf_encode(np.zeros((1, 256), F32), "Q4_K", -np.ones(256, F32)),
         "importance"),
        (lambda: sq.gguf_encode(np.zeros((1, 256), F32), "Q4_K", np.zeros(256, F32)),
         "importance"),
        (lambda: sq.gguf_encode(np.zeros((1, 256), F32), "Q4_K", np.ones(255, F32)),
         "one weight per column"),
        (lambda: sq.gguf_decode(np.zeros(10, np.uint8), "Q8_0", (32,)), "bytes"),
        (lambda: sq.encode_nvfp4(np.array([[np.nan] * 16], F32)), "amax"),
        (lambda: sq.dequantize(np.zeros(3, np.uint8), 0.1, 0, bits=4, packed=True,
                               shape=(4,)), "bytes"),
        (lambda: sq.set_num_threads(0), "threads"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


def test_out_arrays_are_checked_and_never_half_written(x):
    p = sq.QuantParams(0.05, 128)
    good = np.zeros(x.shape, np.uint8)
    assert sq.quantize(x, p, out=good) is not None
    np.testing.assert_array_equal(good, sq.quantize(x, p))
    read_only = np.zeros(x.shape, np.uint8)
    read_only.flags.writeable = False
    cases = [
        (np.zeros(x.shape, np.int8), TypeError, "dtype"),
        (np.zeros((4, 63), np.uint8), ValueError, "shape"),
        (np.zeros((64, 4), np.uint8).T, ValueError, "C-contiguous"),
        (read_only, ValueError, "read-only"),
        ([0] * 256, TypeError, "numpy.ndarray"),
    ]
    for out, error, message in cases:
        before = np.array(out, copy=True)
        with pytest.raises(error, match=message):
            sq.quantize(x, p, out=out)
        np.testing.assert_array_equal(np.asarray(out), before)
    y = np.zeros(256, F32)
    with pytest.raises(ValueError, match="overlaps an input"):
        sq.dequantize(y.view(np.uint8)[:256], p, out=y)  # codes inside y's bytes


def test_inputs_are_never_modified(x):
    copy = x.copy()
    sq.quantize_dynamic(x, sq.QuantSpec(bits=4), group_size=32)
    sq.gguf_encode(x, "Q8_0")
    sq.encode_mx(x)
    sq.percentile(x, 50)
    sq.calibrate_mse(x)
    np.testing.assert_array_equal(x, copy)


def test_strided_and_misaligned_inputs_are_copied_once(x):
    p = sq.QuantParams(0.05, 128)
    strided = x[:, ::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(sq.quantize(strided, p),
                                  sq.quantize(np.ascontiguousarray(strided), p))
    np.testing.assert_array_equal(sq.quantize(x.T, p), sq.quantize(x.T.copy(), p))
    raw = np.zeros(x.size * 4 + 1, np.uint8)
    misaligned = raw[1:].view(F32).reshape(x.shape)
    misaligned[...] = x
    assert not misaligned.flags.aligned
    np.testing.assert_array_equal(sq.quantize(misaligned, p), sq.quantize(x, p))
    assert sq.min_max(misaligned) == sq.min_max(x)


def test_quant_params_and_spec():
    p = sq.QuantParams(0.5, -3, bits=4, signed=True)
    assert (p.scale, p.zero_point, p.bits, p.signed, p.qmin, p.qmax) == (0.5, -3, 4, True, -8, 7)
    assert "zero_point=-3" in repr(p)
    with pytest.raises(ValueError, match="zero_point"):
        sq.QuantParams(0.5, 20, bits=4, signed=True)
    with pytest.raises(TypeError, match="not both"):
        sq.quantize(np.ones(4, F32), p, 1)
    with pytest.raises(TypeError, match="not both"):
        sq.quantize(np.ones(4, F32), p, bits=8)
    with pytest.raises(ValueError, match="QuantParams is one"):
        sq.quantize(np.ones((2, 2), F32), p, axis=0)
    spec = sq.QuantSpec(bits=4, scheme="symmetric", mode="reciprocal")
    assert spec.signed and spec.scheme == "symmetric" and spec.mode == "reciprocal"
    assert not sq.QuantSpec().signed


def test_torch_tensors_are_read_without_a_copy():
    torch = pytest.importorskip("torch")
    t = torch.randn(8, 64)
    assert sq.min_max(t) == (t.min().item(), t.max().item())
    q = sq.quantize(t, 0.05, 128)
    np.testing.assert_array_equal(q, sq.quantize(t.numpy(), 0.05, 128))
