#!/usr/bin/env python3
"""Seed notebooks 000 and 002 on simdquant: asymmetric and symmetric 8-bit
quantization of a random tensor, dequantization and the error, then the same
workflow on 4M values timed against the notebooks' NumPy code."""
import numpy as np

import notebook_numpy as nb
import simdquant as sq

rng = np.random.default_rng(0)
np.set_printoptions(suppress=True, precision=2, linewidth=100)

# The notebook's tensor: 15 values in [-20, 200).
params = rng.uniform(-20, 200, size=15).astype(np.float32)
print("original:      ", params)

asym = sq.calibrate_minmax(params, sq.QuantSpec(bits=8))
q_asym = sq.quantize(params, asym)
print(f"asymmetric:     scale {asym.scale:.4f}, zero point {asym.zero_point}")
print("  codes:       ", q_asym)
sym = sq.calibrate_minmax(params, sq.QuantSpec(bits=8, scheme="symmetric"))
q_sym = sq.quantize(params, sym)
print(f"symmetric:      scale {sym.scale:.4f}, zero point {sym.zero_point}, "
      f"codes in [{-127}, 127]")
print("  codes:       ", q_sym)
print("dequantized asymmetric:", sq.dequantize(q_asym, asym))
print("dequantized symmetric: ", sq.dequantize(q_sym, sym))
for name, p in (("asymmetric", asym), ("symmetric", sym)):
    e = sq.measure_error(params, p)
    print(f"{name:>11} error: MSE {e.mse:.4f}, SQNR {e.sqnr_db:.1f} dB")

# The same, checked against the notebooks' (corrected) NumPy code.
scale, zp = nb.asymmetric_params(params, 8)
assert (asym.scale, asym.zero_point) == (scale, zp)
assert (q_asym == nb.quantize(params, scale, zp, 0, 255)).all()
s_scale, _ = nb.symmetric_params(params, 8)
assert sym.scale == s_scale and (q_sym == nb.quantize(params, s_scale, 0, -127, 127)).all()

# Timing: 4M values, the notebook's functions against simdquant's.
n = 1 << 22
x = rng.uniform(-20, 200, size=n).astype(np.float32)
scale, zp = nb.asymmetric_params(x, 8)
p = sq.calibrate_minmax(x)
q_np, q_sq = nb.quantize(x, scale, zp, 0, 255), sq.quantize(x, p)
assert (p.scale, p.zero_point) == (scale, zp) and (q_np == q_sq).all()
y_sq = sq.dequantize(q_sq, p)
assert (nb.dequantize(q_np, scale, zp) == y_sq).all()
print(f"\n{n} float32 values, 8 bits, {sq.active_target()} (medians of 7 runs):")
ratios = [
    nb.report("range + parameters", lambda: nb.asymmetric_params(x, 8),
              lambda: sq.calibrate_minmax(x), n),
    nb.report("quantize", lambda: nb.quantize(x, scale, zp, 0, 255),
              lambda: sq.quantize(x, p), n),
    nb.report("dequantize", lambda: nb.dequantize(q_np, scale, zp),
              lambda: sq.dequantize(q_sq, p), n),
    nb.report("MSE of quantize-dequantize",
              lambda: nb.mse(x, nb.dequantize(nb.quantize(x, scale, zp, 0, 255), scale, zp)),
              lambda: sq.measure_error(x, p), n),
]
print(f"  simdquant is {min(ratios):.0f}x to {max(ratios):.0f}x faster than the notebook's NumPy")
