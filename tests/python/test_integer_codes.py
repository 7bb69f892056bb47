"""Integer quantization from Python against NumPy formulas, on every target:
ranges, parameters, quantize / dequantize in every layout and container,
packed codes, error metrics, percentiles and calibrators."""

import numpy as np
import pytest

import simdquant as sq
from conftest import special_values

F32 = np.float32
EPS = np.finfo(F32).eps


# --- NumPy statements of the contract (simdquant.h) --------------------------

def np_quantize(x, scale, zero_point, qmin, qmax, mode="divide"):
    """clamp(round_half_even(x / scale) + zero_point), float32 quotient; NaN
    -> zero point."""
    x = np.asarray(x, F32)
    with np.errstate(all="ignore"):
        if mode == "divide":
            t = x / F32(scale)
        else:
            t = x * (F32(1) / F32(scale))
        r = np.rint(t).astype(np.float64)
    r = np.where(np.isnan(r), 0.0, r) + zero_point
    return np.clip(r, qmin, qmax).astype(np.int64)


def np_dequantize(q, scale, zero_point):
    return (q.astype(np.int64) - zero_point).astype(F32) * F32(scale)


def np_asymmetric(lo, hi, qmin, qmax):
    lo, hi = min(F32(lo), F32(0)), max(F32(hi), F32(0))
    scale = max(F32(hi - lo) / F32(qmax - qmin), EPS)
    zero_point = int(np.clip(qmin - np.rint(F32(lo) / F32(scale)), qmin, qmax))
    return F32(scale), zero_point


def np_pack(codes, bits):
    """The packed bitstream: element i in bits [i*bits, (i+1)*bits), LSB first."""
    c = codes.astype(np.int64) & ((1 << bits) - 1)
    stream = ((c[:, None] >> np.arange(bits)) & 1).astype(np.uint8).ravel()
    return np.packbits(stream, bitorder="little")


def test_targets_api():
    targets = sq.available_targets()
    assert targets and sq.active_target() == targets[0]
    sq.restrict_to_target(targets[-1])
    assert sq.active_target() == targets[-1]
    sq.restrict_to_target("")
    assert sq.active_target() == targets[0]
    with pytest.raises(ValueError, match="NOSUCH"):
        sq.restrict_to_target("NOSUCH")


@pytest.mark.parametrize("n", [1, 7, 16, 33, 1000, 4097])
def test_min_max_and_abs_max(target, rng, n):
    x = rng.normal(size=n).astype(F32)
    assert sq.min_max(x) == (x.min(), x.max())
    assert sq.abs_max(x) == np.abs(x).max()
    x[n // 2] = np.nan
    lo, hi = sq.min_max(x)
    assert np.isnan(lo) and np.isnan(hi) and np.isnan(sq.abs_max(x))


def test_min_max_per_channel_and_group(target, rng):
    w = rng.normal(size=(6, 5, 37)).astype(F32)
    for axis in (0, 1, 2, -1):
        lo, hi = sq.min_max(w, axis=axis)
        others = tuple(a for a in range(3) if a != axis % 3)
        np.testing.assert_array_equal(lo, w.min(axis=others))
        np.testing.assert_array_equal(hi, w.max(axis=others))
    lo, hi = sq.min_max(w, group_size=8)
    assert lo.shape == (6, 5, 5)
    for g in range(5):
        np.testing.assert_array_equal(lo[..., g], w[..., 8 * g:8 * g + 8].min(axis=-1))
        np.testing.assert_array_equal(hi[..., g], w[..., 8 * g:8 * g + 8].max(axis=-1))


def test_16_bit_inputs_are_read_as_their_float_values(target, rng):
    x = rng.normal(size=300).astype(F32)
    h = x.astype(np.float16)
    assert sq.min_max(h) == (F32(h.min()), F32(h.max()))
    b = sq.float32_to_bfloat16(x)
    wide = sq.bfloat16_to_float32(b)
    assert sq.min_max(b) == (wide.min(), wide.max())
    p = sq.QuantParams(0.01, 128)
    np.testing.assert_array_equal(sq.quantize(h, p), sq.quantize(h.astype(F32), p))
    np.testing.assert_array_equal(sq.quantize(b, p), sq.quantize(wide, p))


@pytest.mark.parametrize("bits,signed,narrow", [
    (8, False, False), (8, True, False), (8, True, True), (4, False, False),
    (4, True, False), (2, True, True), (1, False, False), (16, False, False),
    (16, True, False), (12, True, True)])
def test_asymmetric_params_match_the_formula(bits, signed, narrow):
    qmin, qmax = sq.code_range(bits, signed, narrow)
    for lo, hi in [(-1.0, 3.0), (0.5, 2.0), (-7.25, -0.125), (0.0, 0.0), (-1e-30, 1e-30)]:
        p = sq.choose_asymmetric_params(lo, hi, bits, signed, narrow)
        scale, zero_point = np_asymmetric(lo, hi, qmin, qmax)
        assert (p.scale, p.zero_point) == (scale, zero_point), (lo, hi)
        assert (p.qmin, p.qmax) == (qmin, qmax)


def test_symmetric_params_match_the_formula():
    for bits in (2, 4, 8, 16):
        qmax = 2 ** (bits - 1) - 1
        p = sq.choose_symmetric_params(-3.0, 2.0, bits)
        assert p.scale == max(F32(3.0) / F32(qmax), EPS) and p.zero_point == 0
        assert p.signed and (p.qmin, p.qmax) == (-qmax - 1, qmax)


@pytest.mark.parametrize("mode", ["divide", "reciprocal"])
@pytest.mark.parametrize("bits,signed,narrow,dtype", [
    (8, False, False, np.uint8), (8, True, False, np.int8), (8, True, True, np.int8),
    (4, True, False, np.int8), (3, False, False, np.uint8), (16, False, False, np.uint16),
    (16, True, False, np.int16), (10, True, False, np.int16), (8, True, False, np.int16)])
def test_quantize_and_dequantize_match_numpy(target, rng, mode, bits, signed, narrow, dtype):
    qmin, qmax = sq.code_range(bits, signed, narrow)
    x = np.concatenate([rng.normal(scale=3.0, size=2000).astype(F32), special_values(),
                        np.array([np.inf, -np.inf, np.nan], F32)])
    scale = F32(6.0 / (qmax - qmin))
    zero_point = (qmin + qmax + 1) // 2
    q = sq.quantize(x, scale, zero_point, bits, signed, narrow, mode=mode, dtype=dtype)
    assert q.dtype == dtype and q.shape == x.shape
    np.testing.assert_array_equal(q, np_quantize(x, scale, zero_point, qmin, qmax, mode))
    y = sq.dequantize(q, scale, zero_point, bits, signed, narrow)
    assert y.dtype == F32
    np.testing.assert_array_equal(y, np_dequantize(q, scale, zero_point))


def test_rounding_ties_go_to_even(target):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.5], F32)
    q = sq.quantize(x, 1.0, 0, 8, True)
    np.testing.assert_array_equal(q, [0, 2, 2, 0, -2, -2, 126, 127])


@pytest.mark.parametrize("n", list(range(0, 40)) + [1000, 4099])
def test_every_tail_length(target, rng, n):
    x = rng.uniform(-1, 1, size=n).astype(F32)
    q = sq.quantize(x, 1 / 127, 0, 8, True)
    np.testing.assert_array_equal(q, np_quantize(x, F32(1 / 127), 0, -128, 127))
    np.testing.assert_array_equal(sq.dequantize(q, 1 / 127, 0),
                                  np_dequantize(q, F32(1 / 127), 0))


def test_per_channel_and_group_layouts(target, rng):
    w = rng.normal(size=(4, 3, 20)).astype(F32)
    for axis in (0, 1, 2):
        c = w.shape[axis]
        scales = rng.uniform(0.01, 0.05, size=c).astype(F32)
        zps = rng.integers(100, 150, size=c).astype(np.int32)
        q = sq.quantize(w, scales, zps, axis=axis)
        shape = [1, 1, 1]
        shape[axis] = c
        s_b, z_b = scales.reshape(shape), zps.reshape(shape)
        np.testing.assert_array_equal(q, np_quantize(w, s_b, z_b, 0, 255))
        y = sq.dequantize(q, scales, zps, axis=axis)
        np.testing.assert_array_equal(y, (q.astype(np.int64) - z_b).astype(F32) * s_b)
    g = 7
    groups = -(-20 // g)
    scales = rng.uniform(0.01, 0.05, size=(4, 3, groups)).astype(F32)
    zps = rng.integers(-3, 3, size=(4, 3, groups)).astype(np.int32)
    q = sq.quantize(w, scales, zps, 4, True, group_size=g)
    s_e = np.repeat(scales, g, axis=-1)[..., :20]
    z_e = np.repeat(zps, g, axis=-1)[..., :20]
    np.testing.assert_array_equal(q, np_quantize(w, s_e, z_e, -8, 7))
    np.testing.assert_array_equal(sq.dequantize(q, scales, zps, 4, True, group_size=g),
                                  (q.astype(np.int64) - z_e).astype(F32) * s_e)


def test_float16_scales(target, rng):
    x = rng.normal(size=(3, 64)).astype(F32)
    scales = np.array([0.01, 0.02, 0.03], np.float16)
    q = sq.quantize(x, scales, np.full(3, 128), axis=0)
    np.testing.assert_array_equal(q, np_quantize(x, scales.astype(F32)[:, None], 128, 0, 255))


@pytest.mark.parametrize("bits,signed", [(b, s) for b in range(1, 9) for s in (False, True)
                                         if b > 1 or not s])  # signed needs 2 bits
def test_packed_codes_are_the_documented_bitstream(target, rng, bits, signed):
    qmin, qmax = sq.code_range(bits, signed)
    x = rng.normal(scale=qmax / 2 + 1, size=(3, 37)).astype(F32)
    zero_point = 0 if signed else qmax // 2
    packed = sq.quantize(x, 1.0, zero_point, bits, signed, packed=True)
    codes = np_quantize(x, 1.0, zero_point, qmin, qmax).ravel()
    np.testing.assert_array_equal(packed, np_pack(codes, bits))
    y = sq.dequantize(packed, 1.0, zero_point, bits, signed, packed=True, shape=x.shape)
    np.testing.assert_array_equal(y, (codes - zero_point).astype(F32).reshape(x.shape))


def test_quantize_dynamic_per_group_and_channel(target, rng):
    w = rng.normal(size=(5, 96)).astype(F32)
    spec = sq.QuantSpec(bits=4)
    q, scales, zps = sq.quantize_dynamic(w, spec, group_size=32)
    assert scales.shape == zps.shape == (5, 3)
    for r in range(5):
        for g in range(3):
            seg = w[r, 32 * g:32 * g + 32]
            p = sq.choose_asymmetric_params(seg.min(), seg.max(), 4)
            assert (scales[r, g], zps[r, g]) == (p.scale, p.zero_point)
            np.testing.assert_array_equal(q[r, 32 * g:32 * g + 32], sq.quantize(seg, p))
    sym = sq.QuantSpec(bits=8, scheme="symmetric")
    assert sym.signed
    q, scales, zps = sq.quantize_dynamic(w, sym, axis=0, scale_dtype="float16")
    assert q.dtype == np.int8 and scales.dtype == np.float16 and not zps.any()
    packed, s2, _ = sq.quantize_dynamic(w, sq.QuantSpec(bits=4), group_size=32, packed=True)
    np.testing.assert_array_equal(s2, sq.quantize_dynamic(w, sq.QuantSpec(bits=4),
                                                          group_size=32)[1])
    assert packed.shape == (5 * 96 // 2,)


def test_measure_error_matches_numpy(target, rng):
    # Our sums are within a relative (4096 + n/65536 + 4) 2^-53 of exact
    # (README, "Error metrics accuracy"), numpy's pairwise float64 sums within
    # about log2(n) 2^-53: both far inside rtol 1e-12.
    x = rng.normal(size=100_000).astype(F32)
    p = sq.choose_asymmetric_params(*sq.min_max(x))
    for mode in ("divide", "reciprocal"):
        e = sq.measure_error(x, p, mode=mode)
        y = sq.dequantize(sq.quantize(x, p, mode=mode), p).astype(np.float64)
        d = x.astype(np.float64) - y
        np.testing.assert_allclose(e.mse, np.mean(d * d), rtol=1e-12)
        assert e.max_abs_error == np.abs(d).max()
        np.testing.assert_allclose(
            e.sqnr_db, 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum(d * d)),
            rtol=1e-12)


def test_percentiles_are_numpys(target, rng):
    x = rng.standard_t(3, size=10_001).astype(F32)
    for q in (0.0, 0.1, 1.0, 25.0, 50.0, 99.0, 99.99, 100.0):
        want = F32(np.percentile(x.astype(np.float64), q))
        assert sq.percentile(x, q) == want, q
    lo, hi = sq.percentile_range(x, 0.5, 99.5)
    assert (lo, hi) == (F32(np.percentile(x.astype(np.float64), 0.5)),
                        F32(np.percentile(x.astype(np.float64), 99.5)))


def test_calibrators(target, rng):
    x = rng.normal(size=50_000).astype(F32)
    x[123] = 60.0  # an outlier
    spec = sq.QuantSpec(bits=8)
    mm = sq.calibrate_minmax(x, spec)
    assert mm == sq.params_for_range(*sq.min_max(x), spec)
    pc = sq.calibrate_percentile(x, 99.9, spec)
    assert pc == sq.params_for_range(*sq.percentile_range(x, 0.1, 99.9), spec)
    best = sq.calibrate_mse(x, spec)
    for other in (mm, pc):
        assert sq.measure_error(x, best).mse <= sq.measure_error(x, other).mse
    # Clipping the outlier costs it, but helps everything else tenfold.
    rest = np.delete(x, 123)
    assert sq.measure_error(rest, pc).mse * 10 < sq.measure_error(rest, mm).mse


def test_threads_give_identical_results(rng):
    x = rng.normal(size=(64, 4096)).astype(F32)
    single = (sq.quantize_dynamic(x, sq.QuantSpec(bits=4), group_size=64),
              sq.gguf_encode(x, "Q4_K"), sq.min_max(x))
    sq.set_num_threads(2)
    try:
        assert sq.get_num_threads() == 2
        threaded = (sq.quantize_dynamic(x, sq.QuantSpec(bits=4), group_size=64),
                    sq.gguf_encode(x, "Q4_K"), sq.min_max(x))
    finally:
        sq.set_num_threads(1)
    for a, b in zip(single[0], threaded[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(single[1], threaded[1])
    assert single[2] == threaded[2]
    assert sq.get_num_threads() == 1


def test_python_threads_quantize_at_once_while_the_pool_changes(rng):
    # The GIL is released in kernels: several Python threads run them at
    # once, and set_num_threads meanwhile must not pull the pool from under
    # a running kernel. Every result must equal the single-threaded one.
    import threading
    x = rng.normal(size=(16, 8192)).astype(F32)
    want = sq.gguf_encode(x, "Q4_0")
    errors = []

    def work():
        for _ in range(20):
            if not np.array_equal(sq.gguf_encode(x, "Q4_0"), want):
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for n in (2, 1, 3, 1) * 5:
        sq.set_num_threads(n)
    for t in threads:
        t.join()
    sq.set_num_threads(1)
    assert not errors
