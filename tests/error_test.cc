// MeasureError on every target against the reference, within the derived
// tolerance (README, "Error metrics tolerance").
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

// Each element's e, e^2 and x^2 are computed identically everywhere; only the
// order of the additions differs. A recursive sum of n non-negative terms is
// within gamma(n-1) = (n-1)u / (1 - (n-1)u) of the exact sum (u = 2^-53,
// Higham, Accuracy and Stability, 4.2), so two such sums differ by at most
// 2 gamma(n-1) of either; dividing by n adds one rounding to each.
double RelativeTolerance(size_t n) {
  const double u = std::ldexp(1.0, -53);
  const double k = static_cast<double>(n - 1);
  const double gamma = k * u / (1.0 - k * u);
  return 2.0 * gamma + 2.0 * u;
}

void CheckError(const std::vector<float>& values, const QuantParams& p,
                QuantizeMode mode, size_t offset) {
  const size_t n = values.size();
  Guarded<float> x(n, offset);
  for (size_t i = 0; i < n; ++i) x[i] = values[i];
  const ErrorStats got = MeasureError(x.data(), n, p, mode);
  const ErrorStats want = reference::MeasureError(values.data(), n, p, mode);
  const double rel = RelativeTolerance(n);
  if (!std::isfinite(want.mse)) {
    EXPECT_TRUE(std::isnan(want.mse) ? std::isnan(got.mse)
                                     : got.mse == want.mse)
        << n << " " << got.mse << " vs " << want.mse;
  } else {
    EXPECT_NEAR(got.mse, want.mse, rel * want.mse) << "n=" << n;
  }
  EXPECT_TRUE(std::isnan(want.max_abs_error)
                  ? std::isnan(got.max_abs_error)
                  : got.max_abs_error == want.max_abs_error)
      << "n=" << n << " " << got.max_abs_error << " vs "
      << want.max_abs_error;
  if (!std::isfinite(want.sqnr_db)) {
    EXPECT_TRUE(std::isnan(want.sqnr_db) ? std::isnan(got.sqnr_db)
                                         : got.sqnr_db == want.sqnr_db)
        << n << " " << got.sqnr_db << " vs " << want.sqnr_db;
  } else {
    // d(10 log10(s / e)) = 10 / ln(10) (ds / s - de / e): both sums carry
    // relative error `rel`, and log10 and the quotient round a few times.
    const double db_tol = 10.0 / std::log(10.0) * 2.0 * rel +
                          8.0 * std::ldexp(1.0, -52) * std::fabs(want.sqnr_db);
    EXPECT_NEAR(got.sqnr_db, want.sqnr_db, db_tol) << "n=" << n;
  }
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

TEST(ErrorBadInput, EveryBadArgumentThrows) {
  const float x[2] = {1.0f, 2.0f};
  QuantParams good;
  EXPECT_NO_THROW(MeasureError(x, 2, good));
  EXPECT_THROW(MeasureError(x, 0, good), std::invalid_argument);
  EXPECT_THROW(MeasureError(nullptr, 2, good), std::invalid_argument);
  QuantParams p = good;
  p.scale = 0.0f;
  EXPECT_THROW(MeasureError(x, 2, p), std::invalid_argument);
  p = good;
  p.bits = 17;
  EXPECT_THROW(MeasureError(x, 2, p), std::invalid_argument);
  p = good;
  p.zero_point = -3;
  EXPECT_THROW(MeasureError(x, 2, p), std::invalid_argument);
  EXPECT_THROW(MeasureError(x, 2, good, static_cast<QuantizeMode>(2)),
               std::invalid_argument);
  EXPECT_THROW(reference::MeasureError(x, 0, good), std::invalid_argument);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
