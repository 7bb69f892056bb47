"""Floating-point codes, MX, NVFP4, GGUF blocks and the bfloat16 / float16
conversions from Python, against NumPy statements of their rules, on every
target. (The C++ tests compare the same kernels with ONNX Runtime and ggml;
these check what Python users get through the binding.)"""

import numpy as np
import pytest

import simdquant as sq

F32 = np.float32
FP8 = ["E4M3FN", "E5M2", "E4M3FNUZ", "E5M2FNUZ"]
ALL_FORMATS = FP8 + ["E3M2", "E2M3", "E2M1"]
BITS = {"E4M3FN": 8, "E5M2": 8, "E4M3FNUZ": 8, "E5M2FNUZ": 8, "E3M2": 6, "E2M3": 6,
        "E2M1": 4}


def nearest_even_code(fmt, x):
    """The rule: the nearest value of the format, ties to the even code,
    saturating (NaN-free finite x)."""
    codes = np.arange(2 ** BITS[fmt], dtype=np.uint8)
    values = np.array([sq.decode_float_code(fmt, int(c)) for c in codes], np.float64)
    finite = np.isfinite(values)
    codes, values = codes[finite], values[finite]
    top = sq.float_format_max(fmt)
    out = np.empty(x.shape, np.uint8)
    for i, v in enumerate(np.clip(x.astype(np.float64), -top, top)):
        d = np.abs(values - v)
        best = np.flatnonzero(d == d.min())
        # Ties: the even code; among +-0 (a zero input), the sign of the input.
        if len(best) > 1 and np.all(values[best] == 0):
            pick = [c for c in best if (codes[c] >> (BITS[fmt] - 1)) == np.signbit(v)]
            best = pick or best
        even = [c for c in best if codes[c] % 2 == 0]
        out[i] = codes[(even or best)[0]]
    return out


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_float_codes_round_to_nearest_even(target, rng, fmt):
    top = sq.float_format_max(fmt)
    x = np.concatenate([rng.uniform(-1.2 * top, 1.2 * top, 500),
                        rng.normal(0, top / 50, 500), [0.0, top, -top]]).astype(F32)
    codes = sq.encode_float(x, 1.0, fmt)
    np.testing.assert_array_equal(codes, nearest_even_code(fmt, x))
    y = sq.decode_float(codes, 1.0, fmt)
    want = np.array([sq.decode_float_code(fmt, int(c)) for c in codes], F32)
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("fmt", FP8)
def test_every_fp8_code_decodes_and_encodes_back(target, fmt):
    codes = np.arange(256, dtype=np.uint8)
    y = sq.decode_float(codes, 1.0, fmt)
    table = np.array([sq.decode_float_code(fmt, int(c)) for c in codes], F32)
    np.testing.assert_array_equal(y, table)
    finite = np.isfinite(y) & ~((y == 0) & np.signbit(y) & fmt.endswith("FNUZ"))
    np.testing.assert_array_equal(sq.encode_float(y[finite], 1.0, fmt), codes[finite])
    assert sq.float_format_max("E4M3FN") == 448 and sq.float_format_max("E5M2") == 57344


def test_float_codes_overflow_modes_scales_and_packing(target, rng):
    x = np.array([500.0, -1e6, np.inf, np.nan], F32)
    assert list(sq.encode_float(x, 1.0, "E4M3FN")[:2]) == [0x7E, 0xFE]
    nan_codes = sq.encode_float(x, 1.0, "E4M3FN", overflow="inf_or_nan")
    assert np.isnan(sq.decode_float(nan_codes, 1.0, "E4M3FN")).all()
    e5 = sq.decode_float(sq.encode_float(x, 1.0, "E5M2", overflow="inf_or_nan"), 1.0, "E5M2")
    assert list(e5[:3]) == [512.0, -np.inf, np.inf] and np.isnan(e5[3])
    w = rng.normal(size=(4, 64)).astype(F32)
    scales = (np.abs(w).max(axis=1) / 6).astype(F32)
    codes = sq.encode_float(w, scales, "E2M1", axis=0)
    packed = sq.encode_float(w, scales, "E2M1", axis=0, packed=True)
    assert packed.shape == (128,)
    np.testing.assert_array_equal(packed, codes.ravel()[0::2] | (codes.ravel()[1::2] << 4))
    y = sq.decode_float(packed, scales, "E2M1", packed=True, shape=w.shape, axis=0)
    np.testing.assert_array_equal(y, sq.decode_float(codes, scales, "E2M1", axis=0))
    np.testing.assert_array_equal(
        y, np.array([sq.decode_float_code("E2M1", int(c)) for c in codes.ravel()],
                    F32).reshape(w.shape) * scales[:, None])
    e = sq.measure_float_error(w, scales, "E2M1", axis=0)
    np.testing.assert_allclose(e.mse, np.mean((w.astype(np.float64) - y) ** 2), rtol=1e-12)


EMAX = {"MXFP8_E4M3": 8, "MXFP8_E5M2": 15, "MXFP6_E3M2": 4, "MXFP6_E2M3": 2, "MXFP4": 2,
        "MXINT8": 0}


@pytest.mark.parametrize("fmt", list(EMAX))
def test_mx_scales_follow_the_spec(target, rng, fmt):
    x = (rng.normal(size=(3, 100)) * np.exp2(rng.integers(-20, 20, size=(3, 1)))).astype(F32)
    scales, elements = sq.encode_mx(x, fmt)
    assert scales.shape == (3, 4)
    for r in range(3):
        for b in range(4):
            amax = np.abs(x[r, 32 * b:32 * b + 32]).max()
            e = np.frexp(np.float64(amax))[1] - 1  # floor(log2(amax)), exactly
            assert scales[r, b] == e - EMAX[fmt] + 127
    y = sq.decode_mx(scales, elements, x.shape, fmt)
    e = sq.measure_mx_error(x, fmt)
    np.testing.assert_allclose(e.mse, np.mean((x.astype(np.float64) - y) ** 2), rtol=1e-12)
    up_scales, _ = sq.encode_mx(x, fmt, rule="round_up")
    assert (up_scales >= scales).all()


def test_nvfp4(target, rng):
    x = rng.normal(size=(2, 48)).astype(F32)
    block_scales, elements, t = sq.encode_nvfp4(x)
    assert t == sq.nvfp4_tensor_scale(np.abs(x).max()) == F32(np.abs(x).max()) / F32(2688)
    assert block_scales.shape == (2, 3) and elements.shape == (48,)
    y = sq.decode_nvfp4(block_scales, elements, t, x.shape)
    e = sq.measure_nvfp4_error(x, t)
    np.testing.assert_allclose(e.mse, np.mean((x.astype(np.float64) - y) ** 2), rtol=1e-12)
    assert e.sqnr_db > 15


def np_q8_0(x):
    """ggml's quantize_row_q8_0_ref: d = amax / 127 (fp16), q = roundf(x / d)."""
    out = []
    for block in x.reshape(-1, 32):
        d = F32(np.abs(block).max()) / F32(127)
        inv = F32(1) / d if d else F32(0)
        t = (block * inv).astype(np.float64)
        q = (np.sign(t) * np.floor(np.abs(t) + 0.5)).astype(np.int8)  # away from 0
        out.append(np.frombuffer(np.float16(d).tobytes(), np.uint8))
        out.append(q.view(np.uint8))
    return np.concatenate(out)


def test_gguf_q8_0_bytes_and_decode(target, rng):
    x = rng.normal(size=(3, 128)).astype(F32)
    blocks = sq.gguf_encode(x, "Q8_0")
    assert blocks.shape == (3, sq.gguf_row_bytes("Q8_0", 128)) == (3, 136)
    np.testing.assert_array_equal(blocks.ravel(), np_q8_0(x.ravel()))
    y = sq.gguf_decode(blocks, "Q8_0", x.shape)
    raw = blocks.reshape(-1, 34)
    d = raw[:, :2].copy().view(np.float16).astype(F32)
    np.testing.assert_array_equal(y.ravel(), (raw[:, 2:].view(np.int8).astype(F32) * d).ravel())


@pytest.mark.parametrize("kind", ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K",
                                  "Q5_K", "Q6_K", "MXFP4"])
def test_gguf_types_are_the_same_on_every_target(rng, kind):
    x = rng.normal(size=(2, 512)).astype(F32)
    importance = rng.uniform(0.1, 2.0, size=512).astype(F32)
    results = []
    for target in sq.available_targets():
        sq.restrict_to_target(target)
        results.append((sq.gguf_encode(x, kind), sq.gguf_encode(x, kind, importance)))
    sq.restrict_to_target("")
    for plain, weighted in results[1:]:
        np.testing.assert_array_equal(plain, results[0][0])
        np.testing.assert_array_equal(weighted, results[0][1])
    y = sq.gguf_decode(results[0][0], kind, x.shape)
    sqnr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum((x - y) ** 2.0))
    assert sqnr > (8 if kind == "Q2_K" else 12), sqnr
    assert sq.gguf_block_size(kind) == (256 if kind.endswith("_K") else 32)


def test_bfloat16_conversion_rounds_to_nearest_even(target, rng):
    u = np.concatenate([rng.integers(0, 2 ** 32, size=100_000, dtype=np.uint64),
                        [0x3F808000, 0x3F818000, 0x7F7F8000, 0x7F7F7FFF, 0x80000000, 1,
                         0x7F800000, 0xFF800000]]).astype(np.uint32)
    x = u.view(F32)
    b = sq.float32_to_bfloat16(x)
    assert b.dtype == np.uint16
    want = ((u.astype(np.uint64) + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    want[nan] = (0x7FC0 | (u[nan] >> 16 & 0x8000)).astype(np.uint16)
    np.testing.assert_array_equal(b, want)
    wide = sq.bfloat16_to_float32(b)
    np.testing.assert_array_equal(wide[~nan].view(np.uint32), b[~nan].astype(np.uint32) << 16)


def test_float16_conversion_is_numpys(target, rng):
    u = rng.integers(0, 2 ** 32, size=100_000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([u.view(F32), np.array([65519.99, 65520.0, 6e-8, -0.0], F32)])
    h = sq.float32_to_float16(x)
    nan = np.isnan(x)
    with np.errstate(over="ignore"):  # numpy warns where float16 overflows to Inf
        want = x[~nan].astype(np.float16)
    np.testing.assert_array_equal(h[~nan].view(np.uint16), want.view(np.uint16))
    assert set(np.unique(h[nan].view(np.uint16))) <= {0x7E00, 0xFE00}
    np.testing.assert_array_equal(sq.float16_to_float32(h)[~nan], h[~nan].astype(F32))
