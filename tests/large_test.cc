// Lengths above 2^32: indices and counts are size_t all the way through.
// The array is 16 GiB of untouched anonymous memory, which reads as zeros
// without being allocated; only the pages written below take memory.
#include <sys/mman.h>

#include <stdint.h>

#include "gtest/gtest.h"
#include "simdquant/simdquant.h"

namespace simdquant {
namespace {

TEST(LargeTest, MinMaxBeyondFourGigaElements) {
  const size_t n = (size_t{1} << 32) + 37;
  void* p = mmap(nullptr, n * sizeof(float), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) GTEST_SKIP() << "cannot map 16 GiB of address space";
  madvise(p, n * sizeof(float), MADV_HUGEPAGE);  // Fewer, 2 MiB, faults.
  float* x = static_cast<float*>(p);
  // Extremes only past 2^32, where a 32-bit index would wrap to the start.
  x[(size_t{1} << 32) + 3] = -3.0f;
  x[n - 1] = 5.0f;
  const MinMaxResult r = MinMax(x, n);
  EXPECT_EQ(r.min, -3.0f);
  EXPECT_EQ(r.max, 5.0f);
  munmap(p, n * sizeof(float));
}

}  // namespace
}  // namespace simdquant
