#!/usr/bin/env python3
"""Turns simdquant_bench's Google Benchmark JSON into PNG plots.

usage: plot.py RESULTS.json OUT_DIR

Writes, for each kernel family, throughput (GB/s, median of repetitions)
against size per implementation, and per bit width per implementation at
each size. Names are parsed as <group...>/<impl>/n:<count>.
"""
import json
import os
import re
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["AVX3_DL", "AVX3", "AVX2", "SSE4", "SSSE3", "EMU128", "SCALAR",
         "reference", "plain", "eigen", "memcpy"]


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = data["benchmarks"]
    has_median = any(r.get("aggregate_name") == "median" for r in runs)
    rows = {}  # (group, impl, n) -> GB/s
    for r in runs:
        if has_median and r.get("aggregate_name") != "median":
            continue
        if not has_median and r.get("run_type") != "iteration":
            continue
        m = re.match(r"(.*)/([^/]+)/n:(\d+)$", r["run_name"])
        if m and "bytes_per_second" in r:
            rows[(m.group(1), m.group(2), int(m.group(3)))] = (
                r["bytes_per_second"] / 1e9)
    cpu = data.get("context", {}).get("host_name", "")
    return rows, cpu


def cpu_label():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def impls_of(rows, groups):
    present = {i for (g, i, _) in rows if g in groups}
    return [i for i in ORDER if i in present]


def plot_vs_size(rows, family, groups, out_dir, label):
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4),
                             squeeze=False)
    for ax, group in zip(axes[0], groups):
        for impl in impls_of(rows, [group]):
            pts = sorted((n, v) for (g, i, n), v in rows.items()
                         if g == group and i == impl)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                    label=impl, linestyle="--" if impl in ORDER[7:] else "-")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("elements")
        ax.set_ylabel("GB/s (read + written)")
        ax.set_title(group, fontsize=9)
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{family}: throughput vs size ({label})", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out_dir, f"{family}_vs_size.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_per_bits(rows, kernel, out_dir, label, n):
    # Groups like Quantize/u8/bits:4/divide: x axis = container/bits.
    groups = sorted({g for (g, _, size) in rows
                     if g.startswith(kernel + "/") and size == n},
                    key=lambda g: (g.split("/")[3:] if "/" in g else [], g))
    if not groups:
        return None
    impls = impls_of(rows, groups)
    fig, ax = plt.subplots(figsize=(max(6, len(groups) * 0.9), 4))
    width = 0.8 / max(1, len(impls))
    for k, impl in enumerate(impls):
        xs, ys = [], []
        for j, g in enumerate(groups):
            v = rows.get((g, impl, n))
            if v is not None:
                xs.append(j + k * width)
                ys.append(v)
        ax.bar(xs, ys, width=width, label=impl)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))])
    ax.set_xticklabels([g[len(kernel) + 1:] for g in groups], rotation=30,
                       ha="right", fontsize=7)
    ax.set_ylabel("GB/s (read + written)")
    ax.set_title(f"{kernel} per bit width, n = {n} ({label})", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    path = os.path.join(out_dir, f"{kernel}_per_bits_n{n}.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows, _ = load(sys.argv[1])
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    label = cpu_label()
    families = defaultdict(list)
    for (g, _, _) in rows:
        if g not in families[g.split("/")[0]]:
            families[g.split("/")[0]].append(g)
    written = []
    for family, groups in sorted(families.items()):
        # One panel per group, at most 4 per figure to stay readable.
        written.append(plot_vs_size(rows, family, sorted(groups)[:4],
                                    out_dir, label))
    sizes = sorted({n for (_, _, n) in rows})
    for kernel in ("Quantize", "Dequantize"):
        for n in sizes:
            p = plot_per_bits(rows, kernel, out_dir, label, n)
            if p:
                written.append(p)
    print("plots:", " ".join(written))


if __name__ == "__main__":
    main()
