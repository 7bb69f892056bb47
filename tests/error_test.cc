// MeasureError on every target against the reference, within the derived
// tolerance (README, "Error metrics tolerance").
#include <string.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

bool SameDouble(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) ||
         memcmp(&a, &b, sizeof(a)) == 0;
}

// Every target sums in the same fixed order as the reference, so all three
// metrics are bit-identical to it.
void CheckError(const std::vector<float>& values, const QuantParams& p,
                QuantizeMode mode, size_t offset) {
  const size_t n = values.size();
  Guarded<float> x(n, offset);
  for (size_t i = 0; i < n; ++i) x[i] = values[i];
  const ErrorStats got = MeasureError(x.data(), n, p, mode);
  const ErrorStats want = reference::MeasureError(values.data(), n, p, mode);
  EXPECT_TRUE(SameDouble(got.mse, want.mse))
      << "n=" << n << " " << got.mse << " vs " << want.mse;
  EXPECT_TRUE(SameDouble(got.max_abs_error, want.max_abs_error))
      << "n=" << n << " " << got.max_abs_error << " vs " << want.max_abs_error;
  EXPECT_TRUE(SameDouble(got.sqnr_db, want.sqnr_db))
      << "n=" << n << " " << got.sqnr_db << " vs " << want.sqnr_db;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(SameFloat(x[i], values[i])) << "input modified at " << i;
  }
}

class ErrorTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(ErrorTest);

TEST_P(ErrorTest, AllLengthsModesAndSchemes) {
  const std::vector<float> data = NormalWithOutliers(70000, 5, 2.0f);
  const MinMaxResult r = reference::MinMax(data.data(), data.size());
  const QuantParams params[] = {
      ChooseAsymmetricParams(r.min, r.max, 8),
      ChooseSymmetricParams(r.min, r.max, 4),
      ChooseAsymmetricParams(-1.0f, 1.0f, 2),  // heavy clipping
      ChooseSymmetricParams(r.min, r.max, 16, true)};
  for (const QuantParams& p : params) {
    for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
      for (size_t n : Lengths()) {
        if (n == 0) continue;
        for (size_t offset : Offsets()) {
          CheckError(std::vector<float>(data.begin(), data.begin() + n), p,
                     mode, offset);
        }
      }
    }
  }
}

TEST_P(ErrorTest, SpecialValues) {
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  for (float s : SpecialValues()) {
    for (size_t n : {size_t{1}, size_t{17}, size_t{40}}) {
      std::vector<float> x = NormalWithOutliers(n, 9);
      x[n - 1] = s;
      CheckError(x, p, QuantizeMode::kDivide, 0);
    }
  }
}

// With scale FLT_MAX, +-inf dequantize to +-inf and the error inf - inf is
// NaN although x is not: every metric is NaN on every target. Found by
// error_fuzzer.
TEST_P(ErrorTest, InfiniteDequantizedValues) {
  QuantParams p;
  p.scale = std::numeric_limits<float>::max();
  p.bits = 16;
  p.signedness = Signedness::kSigned;
  p.zero_point = -256;
  const float inf = std::numeric_limits<float>::infinity();
  for (const std::vector<float>& x :
       {std::vector<float>{inf, -inf}, std::vector<float>{1.0f, inf}}) {
    CheckError(x, p, QuantizeMode::kDivide, 0);
    const ErrorStats s = MeasureError(x.data(), x.size(), p);
    EXPECT_TRUE(std::isnan(s.mse) && std::isnan(s.max_abs_error));
  }
}

// +Inf in x with an ordinary scale: x dequantizes to qmax's value, so the
// error is +Inf; signal and noise are both infinite, so sqnr is Inf / Inf =
// NaN (the contract: the formula in IEEE arithmetic, not a special case).
TEST_P(ErrorTest, InfiniteInputGivesInfiniteErrorAndNaNSqnr) {
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  const float inf = std::numeric_limits<float>::infinity();
  for (const std::vector<float>& x :
       {std::vector<float>{1.0f, inf, 0.5f}, std::vector<float>{-inf}}) {
    for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
      const ErrorStats s = MeasureError(x.data(), x.size(), p, mode);
      EXPECT_EQ(s.mse, inf);
      EXPECT_EQ(s.max_abs_error, inf);
      EXPECT_TRUE(std::isnan(s.sqnr_db)) << s.sqnr_db;
      CheckError(x, p, mode, 0);
    }
  }
}

// Values on the grid quantize without error: mse 0 and sqnr +inf.
TEST_P(ErrorTest, ExactValuesHaveNoError) {
  const QuantParams p = ChooseAsymmetricParams(0.0f, 255.0f, 8);  // scale 1
  std::vector<float> x;
  for (int i = 0; i < 100; ++i) x.push_back(static_cast<float>(i % 256));
  const ErrorStats s = MeasureError(x.data(), x.size(), p);
  EXPECT_EQ(s.mse, 0.0);
  EXPECT_EQ(s.max_abs_error, 0.0);
  EXPECT_EQ(s.sqnr_db, std::numeric_limits<double>::infinity());
}

// A case worked by hand: scale 1, codes 0..255; 0.25 -> 0 (e = 0.25),
// 1.5 -> 2 (tie to even, e = -0.5), 300 -> 255 (e = 45).
TEST_P(ErrorTest, HandWorkedExample) {
  const QuantParams p = ChooseAsymmetricParams(0.0f, 255.0f, 8);
  ASSERT_EQ(p.scale, 1.0f);
  const float x[3] = {0.25f, 1.5f, 300.0f};
  const ErrorStats s = MeasureError(x, 3, p);
  EXPECT_DOUBLE_EQ(s.mse, (0.0625 + 0.25 + 2025.0) / 3.0);
  EXPECT_EQ(s.max_abs_error, 45.0);
  EXPECT_DOUBLE_EQ(s.sqnr_db, 10.0 * std::log10((0.0625 + 2.25 + 90000.0) /
                                                (0.0625 + 0.25 + 2025.0)));
}

// Against (nearly) exact arithmetic: a term passes through at most 4095
// additions in its stripe's partial, n / 65536 in the totals and 4 levels of
// the fixed tree, so the computed sum is within gamma(4096 + n / 65536 + 4)
// = k u / (1 - k u), u = 2^-53, of the exact one (Higham, Accuracy and
// Stability, 4.2), plus one rounding for / n.
TEST_P(ErrorTest, AccuracyAgainstLongDouble) {
  const size_t n = 1 << 20;
  const std::vector<float> x = NormalWithOutliers(n, 21, 2.0f);
  const QuantParams p = ChooseSymmetricParams(-4.0f, 4.0f, 4);
  long double sum = 0.0L;  // 64-bit significand: 2^11 times finer than double
  for (float v : x) {
    const float deq = reference::DequantizeOne(
        reference::QuantizeOne(v, p, QuantizeMode::kDivide), p);
    const long double e = static_cast<long double>(v) - deq;
    sum += e * e;
  }
  const double exact_mse = static_cast<double>(sum / n);
  const double u = std::ldexp(1.0, -53);
  const double k = static_cast<double>(4096 + n / 65536 + 4);
  const double bound = (k * u / (1.0 - k * u) + u) * exact_mse;
  const double mse = MeasureError(x.data(), n, p).mse;
  EXPECT_NEAR(mse, exact_mse, bound);
  EXPECT_NE(mse, 0.0);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
