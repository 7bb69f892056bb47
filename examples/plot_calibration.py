#!/usr/bin/env python3
"""Draws calibration_walkthrough's CSVs.

usage: plot_calibration.py RESULTS.csv HIST.csv OUT.png

Top row: each data set's histogram (log scale) with every method's clipping
range at 4 bits, asymmetric. Bottom row: MSE against bit width per method,
asymmetric solid, symmetric dashed.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METHODS = ["min-max", "p99.9", "p99.99", "mse-optimal"]
COLORS = dict(zip(METHODS, ["tab:red", "tab:orange", "tab:green", "tab:blue"]))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    results = list(csv.DictReader(open(sys.argv[1])))
    hist = defaultdict(list)
    for row in csv.DictReader(open(sys.argv[2])):
        hist[row["dataset"]].append(
            (float(row["bin_lo"]), float(row["bin_hi"]), int(row["count"])))
    datasets = list(hist)
    fig, axes = plt.subplots(2, len(datasets), figsize=(5 * len(datasets), 8),
                             squeeze=False)
    for col, name in enumerate(datasets):
        ax = axes[0][col]
        bins = [b for b in hist[name] if b[2] > 0]
        ax.bar([b[0] for b in bins], [b[2] for b in bins],
               width=[b[1] - b[0] for b in bins], align="edge",
               color="lightgray")
        ax.set_yscale("log")
        for r in results:
            if (r["dataset"] == name and r["bits"] == "4"
                    and r["scheme"] == "asym"):
                for x in (float(r["clip_lo"]), float(r["clip_hi"])):
                    ax.axvline(x, color=COLORS[r["method"]], linewidth=1.2,
                               label=r["method"] if x == float(r["clip_lo"])
                               else None)
        ax.set_title(f"{name}: clipping ranges at 4 bits (asym)", fontsize=9)
        ax.set_xlabel("value")
        ax.set_ylabel("count")
        ax.legend(fontsize=7)

        ax = axes[1][col]
        for scheme, style in (("asym", "-"), ("sym", "--")):
            for m in METHODS:
                pts = sorted((int(r["bits"]), float(r["mse"])) for r in results
                             if r["dataset"] == name and r["method"] == m
                             and r["scheme"] == scheme)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                        marker="o", color=COLORS[m], label=f"{m} {scheme}")
        ax.set_yscale("log")
        ax.set_xticks([2, 4, 8])
        ax.set_xlabel("bits")
        ax.set_ylabel("MSE (all elements)")
        ax.set_title(f"{name}: error per bit width", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=80)


if __name__ == "__main__":
    main()
