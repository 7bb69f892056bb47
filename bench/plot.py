#!/usr/bin/env python3
"""Turns simdquant_bench's Google Benchmark JSON into PNG plots.

usage: plot.py RESULTS.json OUT_DIR

Writes, for each kernel family, throughput (GB/s, median of repetitions)
against size per implementation, and per bit width per implementation at
each size; for the tensor.h rows, elements per second against bit width
(1..16) per granularity. Names are parsed as <group...>/<impl>/n:<count>.
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


def legend(axes, **kwargs):
    """A legend on the first panel that has labelled lines (the compact run
    leaves some panels empty, and an empty legend() warns)."""
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, **kwargs)
            return


def save(fig, title, path):
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


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
    legend([ax for row in axes for ax in row])
    return save(fig, f"{family}: throughput vs size ({label})",
                os.path.join(out_dir, f"{family}_vs_size.png"))


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
    legend([ax], ncol=2)
    ax.grid(True, axis="y", alpha=0.3)
    return save(fig, f"{kernel} per bit width, n = {n} ({label})",
                os.path.join(out_dir, f"{kernel}_per_bits_n{n}.png"))


GRANULARITIES = ["tensor", "row", "group32", "group128"]


def is_layout_group(g):
    # <Kernel>/<packed|u8|u16>/<granularity>/bits:<b> (bench.cc, tensor.h)
    parts = g.split("/")
    return len(parts) == 4 and parts[2] in GRANULARITIES


def plot_bit_widths(rows, kernel, out_dir, label, n):
    """Elements per second against bit width, one panel per granularity:
    packed codes for 1..8 bits, uint16_t for 9..16, uint8_t at 8 (marker)."""
    groups = [g for (g, _, size) in rows
              if size == n and is_layout_group(g) and g.split("/")[0] == kernel]
    # A curve needs several bit widths: the default run measures 4 and 8
    # only (all of them with --full).
    if len({g.split("bits:")[-1] for g in groups}) < 3:
        return None
    impls = [i for i in impls_of(rows, set(groups))]
    fig, axes = plt.subplots(1, len(GRANULARITIES), figsize=(16, 4),
                             sharey=True)
    for ax, gran in zip(axes, GRANULARITIES):
        for impl in impls:
            xs, ys, u8 = [], [], None
            for bits in range(1, 17):
                codes = "packed" if bits <= 8 else "u16"
                v = rows.get((f"{kernel}/{codes}/{gran}/bits:{bits}", impl, n))
                code_bytes = bits / 8 if bits <= 8 else 2
                if v is not None:
                    xs.append(bits)
                    ys.append(v / (4 + code_bytes))  # G elements / s
            v8 = rows.get((f"{kernel}/u8/{gran}/bits:8", impl, n))
            if v8 is not None:
                u8 = v8 / 5
            if xs:
                style = "--" if impl == "memcpy" else "-"
                line, = ax.plot(xs, ys, style, marker=".", label=impl)
                if u8 is not None and impl != "memcpy":
                    ax.plot([8], [u8], "s", color=line.get_color())
        ax.set_title(f"per {gran}", fontsize=9)
        ax.set_yscale("log")
        ax.set_xlabel("bits (1-8 packed, 9-16 uint16; square: 8 in uint8)")
        ax.set_xticks(range(1, 17))  # bit widths are integers
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("G elements / s")
    legend(axes)
    return save(fig, f"{kernel} per bit width, n = {n} ({label})",
                os.path.join(out_dir, f"{kernel}_bit_widths_n{n}.png"))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    all_rows, _ = load(sys.argv[1])
    rows = {k: v for k, v in all_rows.items() if not is_layout_group(k[0])}
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    label = cpu_label()
    families = defaultdict(list)
    for (g, _, _) in rows:
        if g not in families[g.split("/")[0]]:
            families[g.split("/")[0]].append(g)
    written = []
    # Throughput against size needs sizes: the default run has one (64K).
    if len({n for (_, _, n) in rows}) < 2:
        families = {}
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
    for kernel in ("Quantize", "Dequantize", "QuantizeDynamic"):
        for n in sorted({n for (_, _, n) in all_rows}):
            p = plot_bit_widths(all_rows, kernel, out_dir, label, n)
            if p:
                written.append(p)
    print("plots:", " ".join(written))


if __name__ == "__main__":
    main()
