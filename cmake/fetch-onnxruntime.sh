#!/usr/bin/env bash
# Fetches ONNX Runtime as users install it, the npm package onnxruntime-node
# (its prebuilt libonnxruntime.so), once into the directory given (default
# build/peers), and prints the directory holding the library. A pinned
# version, so that runs compare. Used by tests/run.sh: the oracle of the FP8
# tests (tests/float_codes_test.cc).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.30.0
root=${1:-build/peers}/onnxruntime-node-$version
dir=$root/package/bin/napi-v6/linux/x64
if [ ! -f "$dir/libonnxruntime.so.1" ]; then
  command -v npm >/dev/null || bash cmake/install-deps.sh npm >&2
  mkdir -p "$root"
  # Only the Linux x86-64 library of the 113 MB package is unpacked.
  (cd "$root" &&
    npm pack --silent "onnxruntime-node@$version" >/dev/null &&
    tar xzf onnxruntime-node-$version.tgz package/bin/napi-v6/linux/x64 &&
    rm onnxruntime-node-$version.tgz) >&2
fi
echo "$PWD/$dir"
