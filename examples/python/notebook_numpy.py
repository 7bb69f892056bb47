"""The seed notebooks' NumPy code, with their bugs fixed, and a timer.

The notebooks (shared/seeds) quantize with NumPy; these are their functions
as they should be: the clamp applied to the rounded codes (not to another
array), rounding half to even (not truncation by astype), an integer zero
point, the range extended to include 0 so that 0 is exact, and the symmetric
range +-(2^(b-1) - 1) (not +-(2^b - 1)). Arithmetic in float32, in the
library's order (round(x / scale) + zero_point), so that their codes are
simdquant's bit for bit and the examples can assert it.
"""
import time

import numpy as np

F32 = np.float32


def asymmetric_params(x, bits):
    lo, hi = min(F32(x.min()), F32(0)), max(F32(x.max()), F32(0))
    qmin, qmax = 0, 2 ** bits - 1
    scale = max(F32(hi - lo) / F32(qmax - qmin), np.finfo(F32).eps)
    zero_point = int(np.clip(qmin - np.rint(lo / scale), qmin, qmax))
    return F32(scale), zero_point


def symmetric_params(x, bits):
    qmax = 2 ** (bits - 1) - 1
    return max(F32(np.abs(x).max()) / F32(qmax), np.finfo(F32).eps), 0


def quantize(x, scale, zero_point, qmin, qmax):
    return np.clip(np.rint(x / scale) + zero_point, qmin, qmax).astype(np.int32)


def dequantize(q, scale, zero_point):
    return (q - zero_point).astype(F32) * scale


def mse(x, y):
    return float(np.mean((x.astype(np.float64) - y) ** 2))


def sqnr_db(x, y):
    x = x.astype(np.float64)
    return float(10 * np.log10(np.sum(x * x) / np.sum((x - y) ** 2)))


def seconds(fn, repeats=7):
    """Median wall time of fn() over repeats (the machines are shared)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def report(name, numpy_fn, simdquant_fn, n):
    t_np, t_sq = seconds(numpy_fn), seconds(simdquant_fn)
    print(f"  {name:<34} NumPy {t_np * 1e3:8.2f} ms   simdquant {t_sq * 1e3:7.2f} ms"
          f"   {t_np / t_sq:6.1f}x   ({n / t_sq / 1e9:.2f} G elements/s)")
    return t_np / t_sq
