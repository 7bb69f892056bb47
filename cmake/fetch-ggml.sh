#!/usr/bin/env bash
# Fetches ggml as users install it, the npm package @node-llama-cpp/linux-x64
# (prebuilt libggml-base.so and per-ISA libggml-cpu-*.so), once into the
# directory given (default build/peers), and prints the directory holding the
# libraries. A pinned version, so that runs compare. Used by bench/run.sh
# (the ggml columns) and tests/run.sh (the GGUF oracle).
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.22.1
root=${1:-build/peers}/node-llama-cpp-$version
dir=$root/package/bins/linux-x64
if [ ! -f "$dir/libggml-base.so" ]; then
  command -v npm >/dev/null || bash cmake/install-deps.sh npm >&2
  mkdir -p "$root"
  (cd "$root" &&
    npm pack --silent "@node-llama-cpp/linux-x64@$version" >/dev/null &&
    tar xzf node-llama-cpp-linux-x64-$version.tgz) >&2
fi
echo "$PWD/$dir"
