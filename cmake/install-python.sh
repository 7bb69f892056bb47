#!/usr/bin/env bash
# Installs what is missing, builds the Python module (Release) and installs
# the package simdquant into the site-packages of Debian's python3, then
# imports it from outside the source tree to prove it. Idempotent.
#   bash cmake/install-python.sh [build-dir]     (default build/python)
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh cmake make g++ libhwy-dev python3-dev python3-numpy \
  pybind11-dev python3-pybind11
build=${1:-build/python}
if [ ! -f "$build/CMakeCache.txt" ]; then  # a build of its own: the module only
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIMDQUANT_BUILD_TESTS=OFF \
    -DSIMDQUANT_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake -S . -B "$build" -DSIMDQUANT_BUILD_PYTHON=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target simdquant_python
cmake --install "$build" --component python
cd / && /usr/bin/python3 -c \
  "import simdquant; print('import simdquant: ok,', simdquant.__file__, simdquant.active_target())"
