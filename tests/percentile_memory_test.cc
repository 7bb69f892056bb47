// PercentileRange's extra memory does not grow with n: every heap allocation
// made during a call is counted (this binary replaces the global operator
// new), on 4M-element inputs (16 MiB) of the distributions that used to make
// it copy up to all of x.
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

TEST(PercentileMemoryTest, AtMostOneMiBWhateverTheData) {
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

}  // namespace
}  // namespace simdquant
