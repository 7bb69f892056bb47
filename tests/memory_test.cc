// Extra memory does not grow with the tensor: every heap allocation made
// during a call is counted (this binary replaces the global operator new),
// on 4M-element inputs (16 MiB): PercentileRange on the distributions that
// used to make it copy up to all of x, and the per-column kernels, which
// used to allocate 2-4x a one-row input.
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/tensor.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SIMDQUANT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIMDQUANT_SANITIZED 1
#endif

#ifndef SIMDQUANT_SANITIZED
namespace {
std::atomic<size_t> live{0}, peak{0};
}  // namespace

// Each block carries its size in front, so delete can subtract it.
void* operator new(size_t size) {
  void* block = malloc(size + 16);
  if (block == nullptr) throw std::bad_alloc();
  *static_cast<size_t*>(block) = size;
  const size_t now = live.fetch_add(size) + size;
  size_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
  return static_cast<char*>(block) + 16;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - 16;
  live.fetch_sub(*static_cast<size_t*>(block));
  free(block);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }
#endif

namespace simdquant {
namespace {

TEST(MemoryTest, PercentileRangeAtMostOneMiBWhateverTheData) {
#ifdef SIMDQUANT_SANITIZED
  GTEST_SKIP() << "sanitizers replace operator new";
#else
  const size_t n = size_t{1} << 22;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> sets(4, std::vector<float>(n));
  for (size_t i = 0; i < n; ++i) {
    sets[0][i] = normal(rng);
    sets[1][i] = i % 2 ? std::fabs(sets[0][i]) : 0.0f;  // ReLU
    sets[2][i] = 0.25f;                                  // n - 2 copies
    sets[3][i] = 1.0f + static_cast<float>(rng() % 4096) * 0x1p-23f;
  }
  sets[2][1] = -1e30f;
  sets[2][n - 2] = 1e30f;
  size_t most = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    for (double pct : {0.01, 25.0, 50.0}) {
      const size_t before = live.load();
      peak.store(before);
      const MinMaxResult r =
          PercentileRange(sets[s].data(), n, pct, 100.0 - pct);
      const size_t extra = peak.load() - before;
      EXPECT_LE(extra, size_t{1} << 20) << "set " << s << " pct " << pct;
      most = std::max(most, extra);
      EXPECT_GT(extra, 0u);  // the counter works
      EXPECT_LE(r.min, r.max);
    }
  }
  printf("most extra memory in one call: %zu bytes (input %zu bytes)\n", most,
         n * sizeof(float));
#endif
}

// Per column the parameters of a window of at most 16384 columns are kept
// (factor and zero point: 128 KiB), whatever the shape: one row of 4M
// columns (the window refilled along it), weights' 4096 columns, and 3.
TEST(MemoryTest, PerColumnKernelsAtMostAQuarterMiB) {
#ifdef SIMDQUANT_SANITIZED
  GTEST_SKIP() << "sanitizers replace operator new";
#else
  const size_t n = size_t{1} << 22;
  std::vector<float> x(n);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  std::vector<uint8_t> q(n), packed(PackedBytes(n, 4));
  std::vector<float> y(n);
  size_t most = 0;
  for (const Layout& layout :
       {Layout::PerColumn(1, n), Layout::PerColumn(n / 4096, 4096),
        Layout::PerColumn(n / 3, 3)}) {
    std::vector<float> scales(layout.cols);
    std::vector<int32_t> zero_points(layout.cols);
    GroupParamsOut out;
    out.scales = scales.data();
    out.zero_points = zero_points.data();
    QuantSpec spec;
    spec.bits = 4;
    spec.mode = QuantizeMode::kReciprocal;
    GroupParams p;
    p.scales = scales.data();
    p.zero_points = zero_points.data();
    p.bits = 4;
    const size_t m = layout.NumElements();
    const auto extra = [&](const auto& call) {
      const size_t before = live.load();
      peak.store(before);
      call();
      return peak.load() - before;
    };
    const size_t used[] = {
        extra([&] { QuantizeDynamic(x.data(), layout, spec, out, q.data()); }),
        extra([&] {
          QuantizeDynamicPacked(x.data(), layout, spec, out, packed.data());
        }),
        extra([&] { Quantize(x.data(), layout, p, q.data()); }),
        extra([&] {
          Quantize(x.data(), layout, p, q.data(), QuantizeMode::kReciprocal);
        }),
        extra([&] { QuantizePacked(x.data(), layout, p, packed.data()); }),
        extra([&] { Dequantize(q.data(), layout, p, y.data()); }),
        extra([&] { DequantizePacked(packed.data(), layout, p, y.data()); }),
    };
    for (size_t k = 0; k < 7; ++k) {
      EXPECT_LE(used[k], size_t{1} << 18)
          << "call " << k << ", " << layout.rows << " x " << layout.cols;
      EXPECT_GT(used[k], 0u);  // the counter works
      most = std::max(most, used[k]);
    }
    // The calls computed something: the last dequantized value is finite.
    EXPECT_TRUE(std::isfinite(y[m - 1]));
  }
  printf("most extra memory in one per-column call: %zu bytes (input %zu "
         "bytes)\n", most, n * sizeof(float));
#endif
}

}  // namespace
}  // namespace simdquant
