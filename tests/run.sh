#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs the whole test suite.
# Warnings are errors when CI is set. Build directory: build/test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh cmake make g++ libhwy-dev libgtest-dev pkgconf
build=build/test
werror=OFF
[ -n "${CI:-}" ] && werror=ON
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIMDQUANT_BUILD_TESTS=ON \
  -DSIMDQUANT_WERROR="$werror"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
