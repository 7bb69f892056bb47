#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs the benchmarks: every
# kernel on every target this CPU supports, beside the scalar reference, a
# plain -O3 -march=native loop, Eigen, XNNPACK, ggml, ONNX Runtime and memcpy.
# By default a row per kernel and format at 64K, printed as a compact table
# (G elements/s per target, best peer, ratio; about 2 minutes once built);
# writes Google Benchmark JSON to build/bench/results.json and plots to
# build/bench/plots/. Extra arguments go to the benchmark binary, e.g.
#   bash bench/run.sh --full        # every size, bit width and layout (GB/s)
#   bash bench/run.sh --benchmark_filter='Quantize/u8'
#   bash bench/run.sh --threads                       # 1..N threads scaling
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh cmake make g++ libhwy-dev libbenchmark-dev \
  libeigen3-dev libxnnpack-dev libpthreadpool-dev python3-matplotlib
build=build/bench
# ggml as users install it (the npm package, fetched once).
if ggml_dir=$(bash cmake/fetch-ggml.sh "$build/peers"); then
  export SIMDQUANT_GGML_DIR=$ggml_dir
else
  echo "ggml: could not fetch @node-llama-cpp/linux-x64; no ggml columns" >&2
fi
# ONNX Runtime as users install it (the npm package onnxruntime-node).
if ort_dir=$(bash cmake/fetch-onnxruntime.sh "$build/peers"); then
  export SIMDQUANT_ORT_DIR=$ort_dir
else
  echo "onnxruntime: could not fetch onnxruntime-node; no ort column" >&2
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIMDQUANT_BUILD_TESTS=OFF \
  -DSIMDQUANT_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
# Medians of 3 repetitions: the machines are shared and noisy.
"$build/bench/simdquant_bench" --benchmark_repetitions=3 \
  --benchmark_min_time=0.05 \
  --benchmark_out="$build/results.json" --benchmark_out_format=json "$@"
/usr/bin/python3 bench/plot.py "$build/results.json" "$build/plots"
