#!/usr/bin/env bash
# Installs what is missing, builds (Release) and runs the whole test suite:
#   1. g++            (fallback target SCALAR)             build/test
#   2. clang++-14     (fallback target EMU128)             build/test-clang
#   3. clang++-14 with AddressSanitizer + UBSan            build/test-asan
#   4. clang++-14 with ThreadSanitizer: concurrency and parallel tests  build/test-tsan
#   5. the libFuzzer differential fuzzers, briefly         build/test-asan
#      (built beside the ASan tests: one sanitized library for both)
# The g++ build also builds the Python module and runs its pytest suite and
# examples (ctest's python_* tests, against torch too), then installs the
# package with cmake/install-python.sh (the README's Python command) and
# imports it from outside the tree.
# Each covers every x86 target this CPU supports. Warnings are errors when CI
# is set. FUZZ_SECONDS (default 12) is the run time of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh cmake make g++ clang-14 libclang-rt-14-dev \
  libhwy-dev libgtest-dev pkgconf python3-dev python3-numpy pybind11-dev \
  python3-pybind11 python3-pytest python3-torch python3-matplotlib
# ggml's own encoders, the oracle of the GGUF tests (tests/gguf_test.cc):
# fetched once from npm; required, so that no run skips that comparison.
SIMDQUANT_GGML_DIR=$(bash cmake/fetch-ggml.sh build/peers)
export SIMDQUANT_GGML_DIR SIMDQUANT_REQUIRE_GGML=1
# ONNX Runtime's Cast and QuantizeLinear, the oracle of the FP8 tests
# (tests/float_codes_test.cc): the same, from npm.
SIMDQUANT_ORT_DIR=$(bash cmake/fetch-onnxruntime.sh build/peers)
export SIMDQUANT_ORT_DIR SIMDQUANT_REQUIRE_ORT=1
werror=OFF
[ -n "${CI:-}" ] && werror=ON
jobs=$(nproc)

configure() {  # build-dir compiler extra-cmake-args...
  local build=$1 compiler=$2
  shift 2
  echo "=== $build ($compiler $*)"
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_BUILD_TYPE=Release -DSIMDQUANT_BUILD_TESTS=ON \
    -DSIMDQUANT_WERROR="$werror" "$@" >/dev/null
}

configure build/test g++ -DSIMDQUANT_BUILD_PYTHON=ON
cmake --build build/test -j"$jobs"
ctest --test-dir build/test -j"$jobs" --output-on-failure
bash cmake/install-python.sh build/test

configure build/test-clang clang++-14
cmake --build build/test-clang -j"$jobs"
ctest --test-dir build/test-clang -j"$jobs" --output-on-failure

# The installed-package test links without sanitizers, and LargeTest's 16 GiB
# mapping is not meant for shadow memory: both run in the builds above. The
# fuzzers' coverage instrumentation (fuzzer-no-link) costs the tests little
# and saves building the sanitized library twice.
configure build/test-asan clang++-14 -DSIMDQUANT_BUILD_FUZZERS=ON \
  -DSIMDQUANT_SANITIZE=fuzzer-no-link,address,undefined
cmake --build build/test-asan -j"$jobs"
ctest --test-dir build/test-asan -j"$jobs" --output-on-failure \
  -E 'LargeTest|install_and_consume'

configure build/test-tsan clang++-14 -DSIMDQUANT_SANITIZE=thread \
  -DSIMDQUANT_BUILD_EXAMPLES=OFF
cmake --build build/test-tsan -j"$jobs" --target concurrency_test parallel_test
ctest --test-dir build/test-tsan -j"$jobs" --output-on-failure \
  -R 'Concurrency|Parallel|ThreadPool|Executor'

# Differential fuzzing: every kernel family on every target against the
# reference, from the committed seed corpus (copied: runs add to it); the
# fuzzers were built with the ASan tests.
fuzz=build/test-asan/fuzz
for fuzzer in range params quantize dequantize error tensor float_codes; do
  corpus=$fuzz/corpus/$fuzzer
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/$fuzzer/* "$corpus/"
  log=$fuzz/$fuzzer.log
  if ! build/test-asan/tests/fuzz/${fuzzer}_fuzzer -max_total_time="${FUZZ_SECONDS:-12}" \
      -print_final_stats=1 -artifact_prefix=$fuzz/ "$corpus" >"$log" 2>&1; then
    cat "$log"
    echo "${fuzzer}_fuzzer failed; the input is in $fuzz/crash-* (add it to tests/fuzz/corpus/$fuzzer)"
    exit 1
  fi
  echo "${fuzzer}_fuzzer: $(grep -E '^Done' "$log")"
done

# Every step above stops the script on failure.
echo "suites: 5 passed, 0 failed"
