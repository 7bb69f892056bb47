#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs the whole test suite
# twice: with g++ (fallback target SCALAR) and with clang++-14 (fallback
# EMU128), so that both fallbacks and every x86 target this CPU supports are
# tested. Warnings are errors when CI is set. Build dirs: build/test{,-clang}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh cmake make g++ clang-14 libhwy-dev libgtest-dev \
  pkgconf
werror=OFF
[ -n "${CI:-}" ] && werror=ON
for compiler in g++ clang++-14; do
  build=build/test
  [ "$compiler" = clang++-14 ] && build=build/test-clang
  echo "=== $compiler ($build)"
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_BUILD_TYPE=Release -DSIMDQUANT_BUILD_TESTS=ON \
    -DSIMDQUANT_WERROR="$werror"
  cmake --build "$build" -j"$(nproc)"
  ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
done
