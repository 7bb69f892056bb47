#!/usr/bin/env python3
"""Throughput of examples/gguf_quantize on a GGUF file of float32 tensors,
against ggml_quantize_chunk (the npm ggml's libggml-base.so, loaded with
ctypes) on the same tensors, both single-threaded, in the same run; and
ours on every core (--threads, os.cpu_count()).

Ours is timed end to end (process start, reading and writing the files, page
cache warm after the first repetition); ggml's is the encoding alone. Both
are GB/s of float32 input, medians of the repetitions.

usage: bench/gguf_quantize_speed.py GGUF_QUANTIZE GGML_DIR
           [--types Q8_0,Q4_0,...] [--tensors 20] [--rows 1024]
           [--cols 4096] [--repetitions 3] [--dir DIR]
GGUF_QUANTIZE: the built example (build/test/examples/gguf_quantize).
GGML_DIR: the directory holding libggml-base.so (cmake/fetch-ggml.sh).
Needs numpy (Debian's python3-numpy).
"""
import argparse
import ctypes
import os
import statistics
import struct
import subprocess
import time

import numpy as np

# ggml's enum ggml_type.
GGML_TYPES = {"Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8,
              "Q2_K": 10, "Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14}
ALIGNMENT = 32  # GGUF's default general.alignment


def write_gguf(path, tensors):
    """A GGUF v3 file without key-value pairs, float32 tensors."""
    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 0))
        offset = 0
        for name, t in tensors:
            encoded = name.encode()
            f.write(struct.pack("<Q", len(encoded)) + encoded)
            f.write(struct.pack("<I", t.ndim))
            for extent in reversed(t.shape):  # ggml's ne[0] is the row
                f.write(struct.pack("<Q", extent))
            f.write(struct.pack("<IQ", 0, offset))  # type F32, data offset
            offset += -(-t.nbytes // ALIGNMENT) * ALIGNMENT
        f.write(b"\0" * (-f.tell() % ALIGNMENT))
        for _, t in tensors:
            f.write(t.tobytes())
            f.write(b"\0" * (-t.nbytes % ALIGNMENT))


def median_seconds(run, repetitions):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gguf_quantize")
    parser.add_argument("ggml_dir")
    parser.add_argument("--types", default=",".join(GGML_TYPES))
    parser.add_argument("--tensors", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--cols", type=int, default=4096)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--dir", default="/tmp")
    args = parser.parse_args()

    rng = np.random.default_rng(1)
    tensors = [(f"blk.{i}.weight",
                rng.standard_normal((args.rows, args.cols), dtype=np.float32))
               for i in range(args.tensors)]
    source = os.path.join(args.dir, "gguf_quantize_speed-f32.gguf")
    target = os.path.join(args.dir, "gguf_quantize_speed-out.gguf")
    write_gguf(source, tensors)
    size = os.path.getsize(source)
    values = sum(t.size for _, t in tensors)

    ggml = ctypes.CDLL(os.path.join(args.ggml_dir, "libggml-base.so"))
    ggml.ggml_quantize_chunk.restype = ctypes.c_size_t
    ggml.ggml_quantize_chunk.argtypes = [
        ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    ggml.ggml_row_size.restype = ctypes.c_size_t
    ggml.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]

    print(f"{args.tensors} float32 tensors of {args.rows} x {args.cols}, "
          f"{size / 1e6:.0f} MB; medians of {args.repetitions}; GB/s of float32")
    cores = os.cpu_count() or 1
    print(f"{'format':8} {'gguf_quantize':>14} {'ggml_quantize_chunk':>20} {'ratio':>7}"
          f" {f'gguf_quantize, {cores} threads':>28}")
    for name in args.types.split(","):
        ggml_type = GGML_TYPES[name]

        def quantize(threads):
            return median_seconds(lambda: subprocess.run(
                [args.gguf_quantize, source, target, "--type", name,
                 "--threads", str(threads)], check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), args.repetitions)

        ours = quantize(1)
        ours_all = quantize(cores)
        blocks = np.empty(ggml.ggml_row_size(ggml_type, args.cols) * args.rows, np.uint8)

        def theirs():
            for _, t in tensors:
                ggml.ggml_quantize_chunk(ggml_type, t.ctypes.data, blocks.ctypes.data,
                                         0, args.rows, args.cols, None)

        ggml_seconds = median_seconds(theirs, args.repetitions)
        ours_gbs = values * 4 / ours / 1e9
        ggml_gbs = values * 4 / ggml_seconds / 1e9
        print(f"{name:8} {ours_gbs:14.2f} {ggml_gbs:20.3f} {ours_gbs / ggml_gbs:6.1f}x"
              f" {values * 4 / ours_all / 1e9:28.2f}")
    os.remove(source)
    os.remove(target)


if __name__ == "__main__":
    main()
