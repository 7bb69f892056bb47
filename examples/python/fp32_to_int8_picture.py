#!/usr/bin/env python3
"""Seed notebook 004 on simdquant: how ten float32 values map to 8-bit codes
and back, drawn with matplotlib (the notebook used plotly), then the
notebook's NumPy mapping timed against simdquant's.

usage: fp32_to_int8_picture.py [OUT.png]   (default fp32_to_int8.png)
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import notebook_numpy as nb  # noqa: E402
import simdquant as sq  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "fp32_to_int8.png"
rng = np.random.default_rng(4)
fp32_values = np.sort(rng.uniform(0.0, 5.0, size=10)).astype(np.float32)

# The notebook maps [min, max] onto [0, 255]; the library's contract extends
# the range to include 0 (so that 0 is exact), which here costs one code.
p = sq.calibrate_minmax(fp32_values, sq.QuantSpec(bits=8))
codes = sq.quantize(fp32_values, p)
dequantized = sq.dequantize(codes, p)
scale, zp = nb.asymmetric_params(fp32_values, 8)
assert (p.scale, p.zero_point) == (scale, zp)
assert (codes == nb.quantize(fp32_values, scale, zp, 0, 255)).all()
print(f"scale {p.scale:.6f}, zero point {p.zero_point}")
for v, c, d in zip(fp32_values, codes, dequantized):
    print(f"  {v:8.4f} -> {c:3d} -> {d:8.4f}")

fig, (left, mid, right) = plt.subplots(1, 3, figsize=(13, 4.2))
index = np.arange(len(fp32_values))
left.scatter(index, fp32_values, color="tab:blue")
for i, v in zip(index, fp32_values):
    left.annotate(f"{v:.2f}", (i, v), textcoords="offset points", xytext=(-6, 6), fontsize=8)
left.set_title("float32 values")
mid.scatter(index, codes, color="tab:orange")
for i, c in zip(index, codes):
    mid.annotate(str(c), (i, c), textcoords="offset points", xytext=(-6, 6), fontsize=8)
mid.set_ylim(-10, 275)
mid.set_yticks([0, 64, 128, 192, 255])
mid.set_title(f"uint8 codes (scale {p.scale:.4f}, zero point {p.zero_point})")
right.plot([0, 5], [0, 5], color="0.8", linewidth=1)
right.scatter(fp32_values, dequantized, color="tab:green")
right.set_xlabel("float32 value")
right.set_ylabel("dequantized")
right.set_title("float32 vs dequantized")
for ax in (left, mid):
    ax.set_xticks(index)
    ax.set_xlabel("element")
fig.suptitle("Quantization fp32 -> uint8 -> fp32 (simdquant, asymmetric, 8 bits)")
fig.tight_layout()
fig.savefig(out, dpi=90)
print(f"wrote {out}")

n = 1 << 22
x = rng.uniform(0.0, 5.0, size=n).astype(np.float32)
print(f"\n{n} float32 values, {sq.active_target()} (medians of 7 runs):")
ratio = nb.report("map to uint8 codes (notebook 004)",
                  lambda: nb.quantize(x, *nb.asymmetric_params(x, 8), 0, 255),
                  lambda: sq.quantize(x, sq.calibrate_minmax(x)), n)
print(f"  simdquant is {ratio:.0f}x faster than the notebook's NumPy")
