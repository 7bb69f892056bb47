"""simdquant against PyTorch (Debian's python3-torch, which the README's
test command installs), on every target: the observers' parameters,
quantize_per_tensor / per_channel codes (reciprocal mode), dequantize, and
bfloat16 rounding."""

import numpy as np
import pytest

import simdquant as sq

torch = pytest.importorskip("torch")
F32 = np.float32


def data(rng, n=20_000):
    x = rng.standard_t(4, size=n).astype(F32) * F32(3)
    x[:7] = [0.0, -0.0, 1e-45, -1e-45, 3e38, -3e38, 1e-3]
    return x


@pytest.mark.parametrize("dtype,signed", [(torch.quint8, False), (torch.qint8, True)])
def test_minmax_observer_parameters_and_codes(target, rng, dtype, signed):
    x = data(rng)
    x = np.clip(x, -50, 50)
    observer = torch.ao.quantization.MinMaxObserver(dtype=dtype)
    observer(torch.from_numpy(x))
    scale, zero_point = observer.calculate_qparams()
    p = sq.calibrate_minmax(x, sq.QuantSpec(bits=8, signed=signed))
    assert (p.scale, p.zero_point) == (F32(scale.item()), zero_point.item())
    tq = torch.quantize_per_tensor(torch.from_numpy(x), p.scale, p.zero_point, dtype)
    q = sq.quantize(x, p, mode="reciprocal")
    np.testing.assert_array_equal(q, tq.int_repr().numpy())
    np.testing.assert_array_equal(sq.dequantize(q, p), tq.dequantize().numpy())


def test_symmetric_observer(target, rng):
    x = np.clip(data(rng), -20, 20)
    observer = torch.ao.quantization.MinMaxObserver(
        dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    observer(torch.from_numpy(x))
    scale, zero_point = observer.calculate_qparams()
    spec = sq.QuantSpec(scheme="symmetric", symmetric_scale="half_code_range")
    p = sq.calibrate_minmax(x, spec)
    assert p.scale == F32(scale.item()) and p.zero_point == zero_point.item() == 0


def test_per_channel_codes(target, rng):
    w = rng.normal(size=(16, 100)).astype(F32)
    q, scales, zps = sq.quantize_dynamic(w, sq.QuantSpec(mode="reciprocal"), axis=0)
    tq = torch.quantize_per_channel(torch.from_numpy(w), torch.from_numpy(scales.astype(np.float64)),
                                    torch.from_numpy(zps.astype(np.int64)), 0, torch.quint8)
    np.testing.assert_array_equal(q, tq.int_repr().numpy())
    np.testing.assert_array_equal(sq.dequantize(q, scales, zps, axis=0), tq.dequantize().numpy())


def test_bfloat16_rounding_is_torchs(target, rng):
    u = rng.integers(0, 2 ** 32, size=200_000, dtype=np.uint64).astype(np.uint32)
    x = u.view(F32)
    x = x[~np.isnan(x)]  # torch's bfloat16 NaN is 0x7FC0 whatever the sign
    want = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(sq.float32_to_bfloat16(x), want)
    back = torch.from_numpy(want.view(np.int16)).view(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(sq.bfloat16_to_float32(want), back)
