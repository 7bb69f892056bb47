// PercentileRange against a sorted copy, and the calibrators: MSE-optimal is
// never worse than min-max or percentiles, and is the same on every target.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

// Random data with duplicates, ties, signed zeros, subnormals and a few huge
// values, the things that break order statistics.
std::vector<float> AwkwardData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> kind(0, 19);
  std::vector<float> x(n);
  for (float& v : x) {
    switch (kind(rng)) {
      case 0: v = 0.0f; break;
      case 1: v = -0.0f; break;
      case 2: v = 1e-40f * normal(rng); break;  // subnormal
      case 3: v = 3e37f * normal(rng); break;   // huge
      case 4: v = 2.5f; break;                  // many duplicates
      case 5: v = std::round(normal(rng) * 4.0f); break;  // ties
      default: v = normal(rng);
    }
  }
  return x;
}

const double kPercentiles[] = {0.0,  0.1,  1.0,  5.0,  12.5, 25.0,
                               33.3, 50.0, 66.7, 75.0, 90.0, 99.0,
                               99.9, 99.99, 100.0};

// Equal to the sorted-copy reference; zeros may differ in sign.
void ExpectSamePercentile(float got, float want, size_t n, double pct) {
  if (got == 0.0f && want == 0.0f) return;
  EXPECT_EQ(BitsOf(got), BitsOf(want))
      << "n=" << n << " pct=" << pct << " got " << got << " want " << want;
}

class PercentileTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(PercentileTest);

TEST_P(PercentileTest, MatchesSortedCopy) {
  std::vector<size_t> lengths;
  for (size_t n = 1; n <= 5 * kMaxLanes; ++n) lengths.push_back(n);
  lengths.push_back(1001);  // (n - 1) * pct / 100 lands on elements for
  lengths.push_back(100001);  // round percentiles: exact ranks, t = 0
  for (size_t n : lengths) {
    const std::vector<float> x = AwkwardData(n, static_cast<uint32_t>(n));
    const std::vector<float> copy = x;
    for (double lo : kPercentiles) {
      for (double hi : {lo, 100.0 - lo}) {
        if (hi < lo) continue;
        const MinMaxResult got = PercentileRange(x.data(), n, lo, hi);
        const MinMaxResult want = reference::PercentileRange(x.data(), n, lo, hi);
        ExpectSamePercentile(got.min, want.min, n, lo);
        ExpectSamePercentile(got.max, want.max, n, hi);
        if (HasFailure()) return;
      }
    }
    ASSERT_EQ(x, copy);  // input untouched (compares -0 == 0, NaN-free)
  }
}

// Hand-worked: np.percentile([1, 2, 3, 4], 25) = 1.75, ... 100 -> 4.
TEST_P(PercentileTest, HandWorked) {
  const float x[4] = {4.0f, 1.0f, 3.0f, 2.0f};
  MinMaxResult r = PercentileRange(x, 4, 25.0, 75.0);
  EXPECT_EQ(r.min, 1.75f);
  EXPECT_EQ(r.max, 3.25f);
  r = PercentileRange(x, 4, 0.0, 100.0);
  EXPECT_EQ(r.min, 1.0f);
  EXPECT_EQ(r.max, 4.0f);
  r = PercentileRange(x, 4, 50.0, 50.0);
  EXPECT_EQ(r.min, 2.5f);
  EXPECT_EQ(Percentile(x, 4, 50.0), 2.5f);
  EXPECT_EQ(Percentile(x, 4, 75.0), 3.25f);
  EXPECT_THROW(Percentile(x, 4, 101.0), std::invalid_argument);
  EXPECT_THROW(Percentile(x, 0, 50.0), std::invalid_argument);
  // numpy interpolates even between equal values: inf - inf gives NaN
  // (np.percentile([-np.inf], 100) is nan). Found by range_fuzzer.
  const float minus_inf = -std::numeric_limits<float>::infinity();
  r = PercentileRange(&minus_inf, 1, 100.0, 100.0);
  EXPECT_TRUE(std::isnan(r.max));
  const float one = -7.0f;
  r = PercentileRange(&one, 1, 10.0, 90.0);
  EXPECT_EQ(r.min, -7.0f);
  EXPECT_EQ(r.max, -7.0f);
}

// The distributions that defeat a one-level histogram (issue: it copied up
// to all of x): half zeros, n - 2 copies plus two extremes, values that
// differ only in low mantissa bits, and a long run with the wanted ranks
// just inside and just outside it (the sampled run check must confirm by
// counting). Exact against the sorted copy.
TEST_P(PercentileTest, HeavyDuplicatesAndNarrowKeys) {
  const size_t n = 100003;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> sets(5, std::vector<float>(n));
  for (size_t i = 0; i < n; ++i) {
    sets[0][i] = i % 2 ? std::fabs(normal(rng)) : (i % 4 ? 0.0f : -0.0f);
    sets[1][i] = 0.25f;
    sets[2][i] = 1.0f + static_cast<float>(rng() % 4096) * 0x1p-23f;
    sets[3][i] = i % 10 < 6 ? 1.0f : normal(rng);  // 60% ones
    sets[4][i] = static_cast<float>(i % 3);        // three long runs
  }
  sets[1][n / 3] = -1e30f;
  sets[1][2 * n / 3] = 1e30f;
  for (const std::vector<float>& x : sets) {
    for (double pct : {0.0, 0.01, 1.0, 20.0, 30.0, 33.0, 33.4, 40.0, 50.0, 66.6,
                       66.7, 70.0, 99.0, 99.99, 100.0}) {
      const double hi = std::max(pct, 100.0 - pct / 2);
      const MinMaxResult got = PercentileRange(x.data(), n, pct, hi);
      const MinMaxResult want = reference::PercentileRange(x.data(), n, pct, hi);
      ExpectSamePercentile(got.min, want.min, n, pct);
      ExpectSamePercentile(got.max, want.max, n, hi);
    }
  }
}

// Infinite values as numpy treats them (np.percentile([1, 2, np.inf, 3], q)):
// an interpolation that reaches Inf gives Inf (a + (inf - a) t) or NaN
// (inf + (inf - inf) 0 at q = 100); the calibrators then refuse the range.
TEST_P(PercentileTest, InfinitiesAsNumpy) {
  const float inf = std::numeric_limits<float>::infinity();
  const float x[4] = {1.0f, 2.0f, inf, 3.0f};
  MinMaxResult r = PercentileRange(x, 4, 50.0, 75.0);
  EXPECT_EQ(r.min, 2.5f);
  EXPECT_EQ(r.max, inf);
  r = PercentileRange(x, 4, 0.0, 100.0);
  EXPECT_EQ(r.min, 1.0f);
  EXPECT_TRUE(std::isnan(r.max));
  const MinMaxResult want = reference::PercentileRange(x, 4, 0.0, 100.0);
  EXPECT_TRUE(std::isnan(want.max));
  QuantSpec spec;
  try {
    CalibratePercentile(x, 4, 100.0, spec);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not finite: x holds an infinity"),
              std::string::npos) << e.what();
  }
}

// Zero extremes of both signs: MinMax may report either, and every element
// must still fall into a histogram bucket (found by range_fuzzer under ASan:
// a -0 below a reported +0 minimum indexed far outside the histogram).
TEST_P(PercentileTest, SignedZeroExtremes) {
  for (float sign : {1.0f, -1.0f}) {
    for (size_t n = 2; n <= 3 * kMaxLanes; ++n) {
      for (size_t start = 0; start < 2; ++start) {
        std::vector<float> x(n);
        for (size_t i = 0; i < n; ++i) x[i] = (i + start) % 2 ? -0.0f : 0.0f;
        x[n / 2] = sign * 3.0f;
        for (double pct : {0.0, 10.0, 50.0, 90.0, 100.0}) {
          const MinMaxResult got = PercentileRange(x.data(), n, pct, pct);
          const MinMaxResult want =
              reference::PercentileRange(x.data(), n, pct, pct);
          ExpectSamePercentile(got.min, want.min, n, pct);
        }
      }
    }
  }
}

// Data spread over a tiny key range (one binade) and over the whole float
// range exercise the bucket width both ways.
TEST_P(PercentileTest, NarrowAndWideRanges) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(1.0f, 2.0f);
  std::vector<float> narrow(50000), wide(50000);
  for (float& v : narrow) v = unit(rng);
  for (size_t i = 0; i < wide.size(); ++i) {
    wide[i] = std::ldexp(unit(rng), static_cast<int>(i % 250) - 125) *
              (i % 3 ? 1.0f : -1.0f);
  }
  for (const auto* x : {&narrow, &wide}) {
    for (double pct : kPercentiles) {
      const MinMaxResult got = PercentileRange(x->data(), x->size(), pct, pct);
      const MinMaxResult want =
          reference::PercentileRange(x->data(), x->size(), pct, pct);
      ExpectSamePercentile(got.min, want.min, x->size(), pct);
    }
  }
}

// The data sets of the seed notebooks and the issue.
std::vector<float> SeedOutlierData() {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-50.0f, 150.0f);
  std::vector<float> x(10001);
  for (float& v : x) v = std::round(u(rng) * 100.0f) / 100.0f;
  x.back() = 1000.0f;
  return x;
}
std::vector<float> NormalData() { return NormalWithOutliers(20000, 8, 1.0f); }
std::vector<float> LaplaceData() {
  std::mt19937 rng(9);
  std::exponential_distribution<float> e(1.0f);
  std::vector<float> x(20000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 ? 1.0f : -1.0f) * e(rng);
  return x;
}

std::vector<QuantSpec> Specs() {
  std::vector<QuantSpec> specs;
  for (int bits : {4, 8}) {
    QuantSpec asym;
    asym.bits = bits;
    specs.push_back(asym);
    QuantSpec sym = asym;
    sym.scheme = Scheme::kSymmetric;
    sym.signedness = Signedness::kSigned;
    specs.push_back(sym);
  }
  return specs;
}

// torch's symmetric rule, bit for bit: torch.ao.quantization.MinMaxObserver(
// dtype=torch.qint8, qscheme=torch.per_tensor_symmetric) on [-1, 0.5, 2]
// gives scale = 2 / 127.5 (float32) and zero_point 0.
TEST(ParamsForRangeTest, TorchSymmetricRule) {
  QuantSpec spec;
  spec.scheme = Scheme::kSymmetric;
  spec.signedness = Signedness::kSigned;
  spec.symmetric_scale = SymmetricScale::kHalfCodeRange;
  QuantParams p = ParamsForRange(-1.0f, 2.0f, spec);
  EXPECT_EQ(p.scale, 2.0f / 127.5f);
  EXPECT_EQ(p.zero_point, 0);
  spec.bits = 4;  // (7 - -8) / 2
  EXPECT_EQ(ParamsForRange(-1.0f, 2.0f, spec).scale, 2.0f / 7.5f);
  spec.narrow_range = true;  // (7 - -7) / 2 = qmax: the two rules agree
  EXPECT_EQ(ParamsForRange(-1.0f, 2.0f, spec).scale, 2.0f / 7.0f);
  spec.symmetric_scale = SymmetricScale::kQmax;
  spec.narrow_range = false;
  EXPECT_EQ(ParamsForRange(-1.0f, 2.0f, spec).scale, 2.0f / 7.0f);
  EXPECT_EQ(ParamsForRange(-1.0f, 2.0f, spec).scale,
            ChooseSymmetricParams(-1.0f, 2.0f, 4).scale);
  spec.symmetric_scale = static_cast<SymmetricScale>(9);
  EXPECT_THROW(ParamsForRange(-1.0f, 2.0f, spec), std::invalid_argument);
}

class CalibrateTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(CalibrateTest);

TEST_P(CalibrateTest, MseOptimalNeverWorse) {
  for (const std::vector<float>& x :
       {SeedOutlierData(), NormalData(), LaplaceData()}) {
    for (const QuantSpec& spec : Specs()) {
      const size_t n = x.size();
      const double best =
          MeasureError(x.data(), n, CalibrateMse(x.data(), n, spec)).mse;
      const double min_max =
          MeasureError(x.data(), n, CalibrateMinMax(x.data(), n, spec)).mse;
      const double p9999 = MeasureError(
          x.data(), n, CalibratePercentile(x.data(), n, 99.99, spec)).mse;
      EXPECT_LE(best, min_max) << "bits=" << spec.bits;
      EXPECT_LE(best, p9999) << "bits=" << spec.bits;
    }
  }
}

// At 4 bits on Laplace data (heavy tails, no extreme outliers) clipping pays
// clearly, and the search must find it.
TEST_P(CalibrateTest, MseOptimalBeatsMinMaxWhereClippingPays) {
  const std::vector<float> x = LaplaceData();
  QuantSpec spec;
  spec.bits = 4;
  const double best =
      MeasureError(x.data(), x.size(), CalibrateMse(x.data(), x.size(), spec))
          .mse;
  const double min_max = MeasureError(x.data(), x.size(),
                                      CalibrateMinMax(x.data(), x.size(), spec))
                             .mse;
  EXPECT_LT(best, 0.5 * min_max) << best << " vs " << min_max;
}

// Every target picks the same parameters (MeasureError is bit-identical).
TEST(CalibrateDeterminism, SameOnEveryTarget) {
  const std::vector<float> x = LaplaceData();
  for (const QuantSpec& spec : Specs()) {
    RestrictToTarget(AvailableTargets().back().name);
    const QuantParams want = CalibrateMse(x.data(), x.size(), spec);
    for (const Target& t : AvailableTargets()) {
      RestrictToTarget(t.name);
      const QuantParams got = CalibrateMse(x.data(), x.size(), spec);
      EXPECT_EQ(got.scale, want.scale) << t.name;
      EXPECT_EQ(got.zero_point, want.zero_point) << t.name;
    }
  }
  RestrictToTarget("");
}

TEST(CalibrateTest2, ConstantData) {
  const std::vector<float> x(100, 0.5f);
  const QuantParams p = CalibrateMse(x.data(), x.size(), QuantSpec());
  EXPECT_EQ(p.scale, 0.5f / 255.0f);
  EXPECT_EQ(p.zero_point, 0);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
