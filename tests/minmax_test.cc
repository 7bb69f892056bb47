// MinMax and AbsMax on every target against the reference.
#include <string.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

// Equal to the reference bit for bit, except that a zero may have either sign
// (min/max of -0 and +0 is either, and they compare equal).
void ExpectSameRange(float got, float want, size_t n, size_t offset,
                     const char* what) {
  if (got == 0.0f && want == 0.0f) return;
  EXPECT_TRUE(SameFloat(got, want))
      << what << " n=" << n << " offset=" << offset << " got " << got
      << " want " << want;
}

void CheckRanges(const std::vector<float>& values, size_t offset) {
  const size_t n = values.size();
  Guarded<float> x(n, offset);
  for (size_t i = 0; i < n; ++i) x[i] = values[i];
  const MinMaxResult got = MinMax(x.data(), n);
  const MinMaxResult want = reference::MinMax(values.data(), n);
  ExpectSameRange(got.min, want.min, n, offset, "min");
  ExpectSameRange(got.max, want.max, n, offset, "max");
  const float abs_max = AbsMax(x.data(), n);
  EXPECT_TRUE(SameFloat(abs_max, reference::AbsMax(values.data(), n)))
      << "AbsMax n=" << n << " got " << abs_max;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(SameFloat(x[i], values[i])) << "input modified at " << i;
  }
}

class MinMaxTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(MinMaxTest);

TEST_P(MinMaxTest, RandomAllLengthsAndOffsets) {
  for (size_t n : Lengths()) {
    if (n == 0) continue;
    for (size_t offset : Offsets()) {
      CheckRanges(NormalWithOutliers(n, static_cast<uint32_t>(n)), offset);
    }
  }
}

// Any alignment is allowed: float arrays at an odd byte address, short ones
// included (their padding used to read x[j] as a float, which UBSan reports
// in the sanitizer build), and PercentileRange's scalar passes.
TEST_P(MinMaxTest, MisalignedArraysOfEveryShortLength) {
  for (size_t n = 1; n <= 40; ++n) {
    const std::vector<float> values =
        NormalWithOutliers(n, static_cast<uint32_t>(n + 100));
    std::vector<unsigned char> bytes((n + 1) * sizeof(float));
    for (size_t misalign = 1; misalign < sizeof(float); ++misalign) {
      memcpy(bytes.data() + misalign, values.data(), n * sizeof(float));
      const float* x = reinterpret_cast<const float*>(bytes.data() + misalign);
      const MinMaxResult got = MinMax(x, n);
      const MinMaxResult want = reference::MinMax(values.data(), n);
      ExpectSameRange(got.min, want.min, n, misalign, "min");
      ExpectSameRange(got.max, want.max, n, misalign, "max");
      EXPECT_TRUE(SameFloat(AbsMax(x, n), reference::AbsMax(values.data(), n)))
          << "AbsMax n=" << n;
      const MinMaxResult p = PercentileRange(x, n, 10.0, 90.0);
      const MinMaxResult p_want = PercentileRange(values.data(), n, 10.0, 90.0);
      EXPECT_TRUE(SameFloat(p.min, p_want.min) && SameFloat(p.max, p_want.max))
          << "PercentileRange n=" << n;
    }
  }
}

// The extreme sits at every position once, so every lane, every unrolled
// accumulator and the tail each get to hold it.
TEST_P(MinMaxTest, ExtremeAtEveryPosition) {
  for (size_t n = 1; n <= 5 * kMaxLanes + 3; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      std::vector<float> x(n, 1.0f);
      x[pos] = -7.0f;
      x[(pos + 1) % n] = n == 1 ? -7.0f : 9.0f;
      CheckRanges(x, 1);
    }
  }
}

TEST_P(MinMaxTest, NaNAnywhereGivesNaN) {
  for (size_t n = 1; n <= 5 * kMaxLanes + 3; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      std::vector<float> x = NormalWithOutliers(n, 7);
      x[pos] = std::numeric_limits<float>::quiet_NaN();
      const MinMaxResult r = MinMax(x.data(), n);
      ASSERT_TRUE(std::isnan(r.min) && std::isnan(r.max)) << n << " " << pos;
      ASSERT_TRUE(std::isnan(AbsMax(x.data(), n))) << n << " " << pos;
    }
  }
}

TEST_P(MinMaxTest, SpecialValues) {
  const std::vector<float> specials = SpecialValues();
  // Every special value alone, amid normal data, and all non-NaN together.
  std::vector<float> no_nan;
  for (float s : specials) {
    if (!std::isnan(s)) no_nan.push_back(s);
    for (size_t n : {size_t{1}, size_t{5}, size_t{33}}) {
      std::vector<float> x = NormalWithOutliers(n, 3);
      x[n / 2] = s;
      CheckRanges(x, 0);
    }
  }
  CheckRanges(no_nan, 0);
  const std::vector<float> subnormals = {1e-40f, -1e-41f, 1e-45f, -3e-39f};
  CheckRanges(subnormals, 2);
  const MinMaxResult r = MinMax(subnormals.data(), subnormals.size());
  EXPECT_EQ(r.min, -3e-39f);  // Not flushed to zero.
  EXPECT_EQ(r.max, 1e-40f);
}

TEST_P(MinMaxTest, SignedZerosCompareEqual) {
  const std::vector<float> zeros = {-0.0f, 0.0f, -0.0f, 0.0f, 0.0f};
  const MinMaxResult r = MinMax(zeros.data(), zeros.size());
  EXPECT_EQ(r.min, 0.0f);
  EXPECT_EQ(r.max, 0.0f);
  const float abs_max = AbsMax(zeros.data(), zeros.size());
  EXPECT_EQ(BitsOf(abs_max), BitsOf(0.0f));  // Never -0.
}

}  // namespace
}  // namespace test
}  // namespace simdquant
