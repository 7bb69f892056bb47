// Shared test helpers: per-target parameterization, guarded buffers, inputs.
#ifndef SIMDQUANT_TESTS_TEST_UTIL_H_
#define SIMDQUANT_TESTS_TEST_UTIL_H_

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"

namespace simdquant {

// gtest prints a failing instance's parameter by its name.
inline void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

namespace test {

// One instance per target compiled in and supported by this CPU, named after
// it (".../AVX2"). SetUp pins dispatch to the target and checks that the pin
// took, so a test cannot silently run another target's code.
class PerTarget : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    RestrictToTarget(GetParam().name);
    ASSERT_EQ(ActiveTarget().name, GetParam().name);
  }
  void TearDown() override { RestrictToTarget(""); }
};

struct TargetParamName {
  std::string operator()(const ::testing::TestParamInfo<Target>& p) const {
    return p.param.name;
  }
};

#define SIMDQUANT_INSTANTIATE_PER_TARGET(suite)                  \
  INSTANTIATE_TEST_SUITE_P(                                      \
      Targets, suite,                                            \
      ::testing::ValuesIn(::simdquant::AvailableTargets()),      \
      ::simdquant::test::TargetParamName())

// Widest vector of any x86 target: 16 floats (AVX-512).
constexpr size_t kMaxLanes = 16;

// Every length from 0 to 5 widest vectors, then a few large ones.
inline std::vector<size_t> Lengths() {
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 5 * kMaxLanes; ++n) lengths.push_back(n);
  for (size_t n : {size_t{1000}, size_t{4097}, size_t{65536 + 13}}) {
    lengths.push_back(n);
  }
  return lengths;
}

// Start offsets (in elements) that misalign a buffer from its allocation.
inline std::vector<size_t> Offsets() { return {0, 1, 3}; }

// A buffer of n elements at a chosen misalignment, with guard bytes before
// and after that the code under test must not touch.
template <typename T>
class Guarded {
 public:
  static constexpr size_t kGuardBytes = 64;
  static constexpr unsigned char kGuard = 0xA5;

  Guarded(size_t n, size_t offset_elements)
      : n_(n),
        begin_(kGuardBytes + offset_elements * sizeof(T)),
        bytes_(begin_ + n * sizeof(T) + kGuardBytes, kGuard) {}

  T* data() { return reinterpret_cast<T*>(bytes_.data() + begin_); }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return data()[i]; }

  // Fills the payload (not the guards) with a pattern unlike any result.
  void Poison() {
    const auto payload = bytes_.begin() + static_cast<std::ptrdiff_t>(begin_);
    std::fill(payload, payload + static_cast<std::ptrdiff_t>(n_ * sizeof(T)),
              0x5A);
  }

  // True if every guard byte survived.
  bool GuardsIntact() const {
    for (size_t i = 0; i < bytes_.size(); ++i) {
      const bool payload = i >= begin_ && i < begin_ + n_ * sizeof(T);
      if (!payload && bytes_[i] != kGuard) return false;
    }
    return true;
  }

 private:
  size_t n_;
  size_t begin_;
  std::vector<unsigned char> bytes_;
};

inline uint32_t BitsOf(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof(u));
  return u;
}

// Same bits, or both NaN (payloads are not part of any contract).
inline bool SameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || BitsOf(a) == BitsOf(b);
}

// Weights-like data: normal, with a few large outliers of both signs.
inline std::vector<float> NormalWithOutliers(size_t n, uint32_t seed,
                                             float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  for (size_t i = 0; i < n; i += 997) x[i] *= (i % 2 ? -40.0f : 40.0f);
  return x;
}

// Values every kernel must get right: signed zeros, infinities, NaN,
// subnormals, extremes.
inline std::vector<float> SpecialValues() {
  using L = std::numeric_limits<float>;
  return {0.0f,          -0.0f,           L::infinity(),  -L::infinity(),
          L::quiet_NaN(), -L::quiet_NaN(), L::denorm_min(), -L::denorm_min(),
          1e-40f,        -1e-40f,         L::min(),       -L::min(),
          L::max(),      L::lowest(),     1.0f,           -1.0f,
          0.5f,          -0.5f,           1.5f,           -2.5f};
}

// ggml's libggml-base.so from SIMDQUANT_GGML_DIR (the npm package
// @node-llama-cpp/linux-x64; tests/run.sh fetches it), opened once; nullptr
// if it is not there.
inline void* GgmlBase() {
  static void* lib = [] {
    const char* dir = getenv("SIMDQUANT_GGML_DIR");
    return dir == nullptr ? nullptr
                          : dlopen((std::string(dir) + "/libggml-base.so").c_str(),
                                   RTLD_NOW | RTLD_LOCAL);
  }();
  return lib;
}

// In a test comparing with an external implementation: fails if it is
// required (the environment variable `require`, set by tests/run.sh so that
// CI cannot skip) but `loaded` is false, else skips.
#define SIMDQUANT_REQUIRE_ORACLE_OR_SKIP(loaded, require, dir_variable)       \
  do {                                                                      \
    if (!(loaded)) {                                                        \
      if (getenv(require) != nullptr) {                                     \
        FAIL() << require << " is set but the oracle was not loaded from "  \
               << dir_variable;                                             \
      }                                                                     \
      GTEST_SKIP() << "oracle not found (set " << dir_variable << ")";      \
    }                                                                       \
  } while (0)
#define SIMDQUANT_REQUIRE_GGML_OR_SKIP(loaded) \
  SIMDQUANT_REQUIRE_ORACLE_OR_SKIP(loaded, "SIMDQUANT_REQUIRE_GGML", "SIMDQUANT_GGML_DIR")

}  // namespace test
}  // namespace simdquant

#endif  // SIMDQUANT_TESTS_TEST_UTIL_H_
