#!/usr/bin/env python3
"""Seed notebook 001 on simdquant: one outlier stretches a min-max range;
clipping at the 99.99th percentile (or the MSE-optimal range) recovers the
resolution of everything else. MSE and SQNR of each, then the notebook's
NumPy percentile workflow timed against simdquant's."""
import numpy as np

import notebook_numpy as nb
import simdquant as sq

rng = np.random.default_rng(1)
params = rng.uniform(-50, 150, size=10_000).astype(np.float32)
params[-1] = 1000.0  # the outlier

spec = sq.QuantSpec(bits=8)
choices = {
    "min-max": sq.calibrate_minmax(params, spec),
    "percentile 99.99": sq.calibrate_percentile(params, 99.99, spec),
    "MSE-optimal": sq.calibrate_mse(params, spec),
}
rest = params[:-1]
print(f"{'range':<18} {'scale':>8} {'zero pt':>7} {'MSE':>9} {'SQNR dB':>8}   "
      "MSE without the outlier")
for name, p in choices.items():
    e = sq.measure_error(params, p)
    print(f"{name:<18} {p.scale:8.4f} {p.zero_point:7d} {e.mse:9.3f} {e.sqnr_db:8.1f}   "
          f"{sq.measure_error(rest, p).mse:.4f}")
mm, pc = choices["min-max"], choices["percentile 99.99"]
assert sq.measure_error(rest, pc).mse < sq.measure_error(rest, mm).mse / 10
assert sq.measure_error(params, choices["MSE-optimal"]).mse <= min(
    sq.measure_error(params, p).mse for p in (mm, pc))

# The notebook's percentile range is np.percentile's, exactly.
lo, hi = sq.percentile_range(params, 0.01, 99.99)
assert (lo, hi) == (np.float32(np.percentile(params.astype(np.float64), 0.01)),
                    np.float32(np.percentile(params.astype(np.float64), 99.99)))

n = 1 << 22
x = rng.uniform(-50, 150, size=n).astype(np.float32)
x[::100_000] = 1000.0


def numpy_percentile_quantize():
    clipped = np.clip(x, np.percentile(x, 0.01), np.percentile(x, 99.99))
    scale, zp = nb.asymmetric_params(clipped, 8)
    return nb.quantize(x, scale, zp, 0, 255)


def simdquant_percentile_quantize():
    return sq.quantize(x, sq.calibrate_percentile(x, 99.99, spec))


def numpy_error():
    y = nb.dequantize(nb.quantize(x, pc.scale, pc.zero_point, 0, 255), pc.scale, pc.zero_point)
    return nb.mse(x, y), nb.sqnr_db(x, y)


print(f"\n{n} float32 values with outliers, {sq.active_target()} (medians of 7 runs):")
ratios = [
    nb.report("percentiles 0.01 / 99.99",
              lambda: np.percentile(x, [0.01, 99.99]),
              lambda: sq.percentile_range(x, 0.01, 99.99), n),
    nb.report("percentile clip + quantize", numpy_percentile_quantize,
              simdquant_percentile_quantize, n),
    nb.report("MSE and SQNR of quantize-dequantize", numpy_error,
              lambda: sq.measure_error(x, pc), n),
]
print(f"  simdquant is {min(ratios):.0f}x to {max(ratios):.0f}x faster than the notebook's NumPy")
