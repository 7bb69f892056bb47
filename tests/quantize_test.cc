// Quantize on every target against the reference, for every container, bit
// width, signedness, range, mode and length; golden values; bad input.
#include <float.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

constexpr QuantizeMode kModes[] = {QuantizeMode::kDivide,
                                   QuantizeMode::kReciprocal};

const char* ModeName(QuantizeMode mode) {
  return mode == QuantizeMode::kDivide ? "divide" : "reciprocal";
}

// Quantizes `values` at `offset` into a guarded T buffer and compares every
// code with the reference; checks guards and that the input is unchanged.
template <typename T>
void CheckQuantize(const std::vector<float>& values, const QuantParams& p,
                   QuantizeMode mode, size_t offset) {
  const size_t n = values.size();
  Guarded<float> x(n, offset);
  for (size_t i = 0; i < n; ++i) x[i] = values[i];
  Guarded<T> q(n, offset);
  q.Poison();
  Quantize(x.data(), n, p, q.data(), mode);
  ASSERT_TRUE(q.GuardsIntact()) << "write outside output, n=" << n;
  for (size_t i = 0; i < n; ++i) {
    const int32_t want = reference::QuantizeOne(values[i], p, mode);
    ASSERT_EQ(int32_t{q[i]}, want)
        << "i=" << i << " of n=" << n << " x=" << values[i] << " ("
        << std::hexfloat << values[i] << std::defaultfloat << ") scale="
        << p.scale << " zp=" << p.zero_point << " bits=" << p.bits
        << " signed=" << (p.signedness == Signedness::kSigned)
        << " narrow=" << p.narrow_range << " mode=" << ModeName(mode);
    ASSERT_TRUE(SameFloat(x[i], values[i])) << "input modified at " << i;
  }
}

// Inputs that probe p: special values, values a hair either side of every
// rounding tie and clamp bound near both ends of the code range, ties in the
// middle, and random values spanning past the range.
std::vector<float> ProbeInputs(const QuantParams& p) {
  std::vector<float> x = SpecialValues();
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  const auto add = [&](double k) {
    const float v = static_cast<float>(k * p.scale);
    x.push_back(v);
    x.push_back(std::nextafter(v, std::numeric_limits<float>::infinity()));
    x.push_back(std::nextafter(v, -std::numeric_limits<float>::infinity()));
  };
  const double lo = r.min - p.zero_point, hi = r.max - p.zero_point;
  for (double k = -2.0; k <= 2.0; k += 0.5) {
    add(lo + k);
    add(hi + k);
    add(k);
  }
  std::mt19937 rng(static_cast<uint32_t>(p.bits * 131 + p.zero_point));
  std::uniform_int_distribution<int32_t> code(r.min, r.max);
  for (int i = 0; i < 24; ++i) add(code(rng) - p.zero_point + 0.5);
  std::uniform_real_distribution<double> wide(lo - 3.0, hi + 3.0);
  for (int i = 0; i < 24; ++i) add(wide(rng));
  return x;
}

// Every format whose code range the container T holds.
template <typename T>
std::vector<QuantParams> FormatsFor() {
  std::vector<QuantParams> formats;
  for (int bits = 1; bits <= 16; ++bits) {
    for (const auto& [signedness, narrow] :
         {std::pair{Signedness::kUnsigned, false},
          std::pair{Signedness::kSigned, false},
          std::pair{Signedness::kSigned, true}}) {
      if (signedness == Signedness::kSigned && bits < 2) continue;
      const CodeRange r = CodeRangeOf(bits, signedness, narrow);
      if (r.min < std::numeric_limits<T>::min() ||
          r.max > std::numeric_limits<T>::max()) {
        continue;
      }
      QuantParams p;
      p.bits = bits;
      p.signedness = signedness;
      p.narrow_range = narrow;
      formats.push_back(p);
    }
  }
  return formats;
}

template <typename T>
void CheckAllFormats() {
  // Powers of two make exact ties; the others are ordinary, tiny and huge
  // scales, FLT_EPSILON (the choosers' floor) and one whose reciprocal
  // overflows to +inf (the reciprocal mode must still match the reference).
  const float scales[] = {1.0f, 0.25f, 0.0123f, 3.7e-7f, FLT_EPSILON,
                          6.1e29f, 2e-39f};
  for (QuantParams p : FormatsFor<T>()) {
    const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
    for (float scale : scales) {
      for (int32_t zero_point : {r.min, r.max, (r.min + r.max) / 2}) {
        p.scale = scale;
        p.zero_point = zero_point;
        const std::vector<float> x = ProbeInputs(p);
        for (QuantizeMode mode : kModes) {
          CheckQuantize<T>(x, p, mode, 1);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }
}

class QuantizeTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(QuantizeTest);

TEST_P(QuantizeTest, AllFormatsScalesZeroPointsU8) { CheckAllFormats<uint8_t>(); }
TEST_P(QuantizeTest, AllFormatsScalesZeroPointsI8) { CheckAllFormats<int8_t>(); }
TEST_P(QuantizeTest, AllFormatsScalesZeroPointsU16) {
  CheckAllFormats<uint16_t>();
}
TEST_P(QuantizeTest, AllFormatsScalesZeroPointsI16) {
  CheckAllFormats<int16_t>();
}

template <typename T>
void CheckAllLengths(Signedness signedness, int bits) {
  const std::vector<float> data = NormalWithOutliers(70000, 11, 3.0f);
  const MinMaxResult range = reference::MinMax(data.data(), data.size());
  const QuantParams p =
      signedness == Signedness::kSigned
          ? ChooseSymmetricParams(range.min, range.max, bits)
          : ChooseAsymmetricParams(range.min, range.max, bits);
  for (size_t n : Lengths()) {
    for (size_t offset : Offsets()) {
      const std::vector<float> x(data.begin(), data.begin() + n);
      for (QuantizeMode mode : kModes) {
        CheckQuantize<T>(x, p, mode, offset);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
}

TEST_P(QuantizeTest, AllLengthsAndOffsets) {
  CheckAllLengths<uint8_t>(Signedness::kUnsigned, 8);
  CheckAllLengths<int8_t>(Signedness::kSigned, 4);
  CheckAllLengths<uint16_t>(Signedness::kUnsigned, 12);
  CheckAllLengths<int16_t>(Signedness::kSigned, 16);
}

// Special values map as the contract says, on their own: NaN -> zero point,
// +-Inf -> qmax / qmin, huge finite values saturate, +-0 -> zero point.
TEST_P(QuantizeTest, SpecialValuesMapAsDocumented) {
  using L = std::numeric_limits<float>;
  QuantParams p;
  p.scale = 0.5f;
  p.zero_point = 100;
  const std::vector<float> x = {L::quiet_NaN(), -L::quiet_NaN(), L::infinity(),
                                -L::infinity(), L::max(),        L::lowest(),
                                0.0f,           -0.0f,           1e-40f};
  const std::vector<int> want = {100, 100, 255, 0, 255, 0, 100, 100, 100};
  for (QuantizeMode mode : kModes) {
    std::vector<uint8_t> q(x.size());
    Quantize(x.data(), x.size(), p, q.data(), mode);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(q[i], want[i]) << "x=" << x[i] << " " << ModeName(mode);
    }
  }
}

// A scale below about 2.94e-39 has a reciprocal that overflows float32, so in
// reciprocal mode (x * (1.0f / scale), as the contract writes it) every
// nonzero x saturates and +-0 * Inf = NaN gives the zero point; divide mode
// still divides. Every target, the reference and the per-group path agree.
TEST_P(QuantizeTest, ScalesWithAnInfiniteReciprocalSaturateInReciprocalMode) {
  using L = std::numeric_limits<float>;
  QuantParams p;
  p.zero_point = 100;
  const std::vector<float> x = {0.0f,  -0.0f, L::denorm_min(), -L::denorm_min(),
                                1.0f,  -1.0f, L::quiet_NaN(),  L::infinity(),
                                3e-39f, 1e-39f};
  const std::vector<int> want = {100, 100, 255, 0, 255, 0, 100, 255, 255, 255};
  for (const float scale : {2.9e-39f, 1e-42f, L::denorm_min()}) {
    p.scale = scale;
    ASSERT_TRUE(std::isinf(1.0f / scale));
    std::vector<uint8_t> q(x.size()), q_divide(x.size());
    Quantize(x.data(), x.size(), p, q.data(), QuantizeMode::kReciprocal);
    Quantize(x.data(), x.size(), p, q_divide.data(), QuantizeMode::kDivide);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(q[i], want[i]) << "x=" << x[i] << " scale=" << scale;
      EXPECT_EQ(q[i], reference::QuantizeOne(x[i], p, QuantizeMode::kReciprocal));
      EXPECT_EQ(q_divide[i], reference::QuantizeOne(x[i], p, QuantizeMode::kDivide));
    }
    EXPECT_EQ(q_divide[2], 100 + (scale == L::denorm_min()));  // 1 ulp / 1 ulp.
  }
  // Per group, beside a normal group, in the batched engine (64 groups).
  std::vector<float> rows(64 * 32);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = x[i % x.size()];
  std::vector<float> scales(64, 0.5f);
  std::vector<int32_t> zero_points(64, 100);
  scales[5] = 1e-42f;
  GroupParams g;
  g.scales = scales.data();
  g.zero_points = zero_points.data();
  const Layout layout = Layout::PerGroup(2, 32 * 32, 32);
  std::vector<uint8_t> q(rows.size()), q_ref(rows.size());
  Quantize(rows.data(), layout, g, q.data(), QuantizeMode::kReciprocal);
  reference::Quantize(rows.data(), layout, g, q_ref.data(),
                      QuantizeMode::kReciprocal);
  EXPECT_EQ(q, q_ref);
  EXPECT_EQ(q[5 * 32 + 4], 255);  // 1.0 in the tiny-scale group.

  // The smallest scale with a finite reciprocal behaves normally.
  p.scale = 2.94e-39f;
  ASSERT_FALSE(std::isinf(1.0f / p.scale));
  const float one_step = p.scale;
  uint8_t code;
  Quantize(&one_step, 1, p, &code, QuantizeMode::kReciprocal);
  EXPECT_EQ(code, 101);
}

// Parameters covering the whole float range: with ChooseSymmetricParams the
// scale FLT_MAX / qmax rounds up for some widths, so qmax * scale overflows
// and FLT_MAX comes back as +Inf (8 bits: scale 2.67939e36, 127 * scale >
// FLT_MAX); for others it comes back finite. The contract's formulas, on
// every target.
// Subnormal x are replaced by 0 before the multiply where that provably
// gives the zero point (internal::FlushesSubnormals: factor <= 2^124 or
// scale >= 2^-124), so that x86 takes no microcode assist; with tinier
// scales a subnormal x can reach other codes (x = 2^-127 / 2^-127 = 1), and
// the plain path runs. Every kernel that quantizes equals the reference on
// runs of mixed subnormal, normal, NaN and zero values, on both sides of the
// boundary, per tensor (the 8-bit fast path), per group of 32 (batched),
// per column and in MeasureError.
TEST_P(QuantizeTest, SubnormalInputsAsTheReferenceOnBothSidesOfTheFlushBound) {
  using L = std::numeric_limits<float>;
  std::mt19937 rng(9);
  const size_t n = 64 * 32;
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const float sub = static_cast<float>(rng() % (1u << 23)) * 0x1p-149f;
    x[i] = (rng() % 2 ? -1.0f : 1.0f) * sub;  // subnormal or zero
    if (i % 7 == 3) x[i] = static_cast<float>(rng() % 1000) * 0x1p-135f;
    if (i % 97 == 5) x[i] = L::quiet_NaN();
    if (i % 89 == 6) x[i] = 0.5f;
  }
  x[1] = L::min() - L::denorm_min();  // the largest subnormal
  x[2] = -L::denorm_min();
  for (const float scale : {0x1p-124f, 0x1.fffffep-125f, 0x1p-127f, 0x1p-140f,
                            1e-3f, 0x1p124f}) {
    for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
      if (mode == QuantizeMode::kReciprocal && std::isinf(1.0f / scale)) {
        continue;
      }
      QuantParams p;
      p.scale = scale;
      p.zero_point = 3;
      p.bits = 8;
      p.signedness = Signedness::kSigned;
      std::vector<int8_t> q(n), want(n);
      Quantize(x.data(), n, p, q.data(), mode);
      reference::Quantize(x.data(), n, p, want.data(), mode);
      ASSERT_EQ(q, want) << "scale " << scale;
      // MeasureError without the NaNs (which make every statistic NaN).
      std::vector<float> finite = x;
      for (float& v : finite) v = std::isnan(v) ? 0.25f : v;
      const ErrorStats e = MeasureError(finite.data(), n, p, mode);
      const ErrorStats e_want =
          reference::MeasureError(finite.data(), n, p, mode);
      EXPECT_EQ(e.max_abs_error, e_want.max_abs_error) << "scale " << scale;
      EXPECT_EQ(e.mse, e_want.mse) << "scale " << scale;
      // Per group of 32 (one group at the other scale) and per column.
      std::vector<float> scales(64, scale);
      scales[7] = 1.0f;
      std::vector<int32_t> zero_points(64, 3);
      GroupParams g;
      g.scales = scales.data();
      g.zero_points = zero_points.data();
      g.bits = 8;
      g.signedness = Signedness::kSigned;
      for (const Layout& layout :
           {Layout::PerGroup(1, n, 32), Layout::PerColumn(n / 64, 64)}) {
        Quantize(x.data(), layout, g, q.data(), mode);
        reference::Quantize(x.data(), layout, g, want.data(), mode);
        ASSERT_EQ(q, want) << "scale " << scale;
      }
    }
    // Where it is allowed, a subnormal x gives the zero point.
    if (scale >= 0x1p-124f) {
      QuantParams p;
      p.scale = scale;
      p.zero_point = 3;
      uint8_t code = 0;
      Quantize(&x[1], 1, p, &code);
      EXPECT_EQ(code, 3);
    }
  }
}

// The 8-bit kernels first run 16384-element chunks without NaN and
// subnormal masks (lib/quantize-inl.h, Codes8) and redo a chunk that raised
// the invalid flag: here one chunk has a NaN, the others subnormals, -Inf,
// products below INT32_MIN, ties and subnormal products, and no NaN.
TEST_P(QuantizeTest, UnmaskedChunksAsTheReferenceAroundOneNaN) {
  using L = std::numeric_limits<float>;
  constexpr size_t kChunk = 16384;
  const size_t n = 3 * kChunk + 4 * 16 + 5;
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const float scale : {0.05f, 1e-3f, 0x1p-124f, 3e5f}) {
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = normal(rng);
      switch (rng() % 16) {
        case 0:  // subnormal
          x[i] = static_cast<float>(rng() % (1u << 23)) * 0x1p-149f;
          break;
        case 1:  // a tie
          x[i] = (static_cast<float>(rng() % 64) - 32.5f) * scale;
          break;
        case 2:  // a normal x whose product is subnormal at large scales
          x[i] = 0x1p-120f * static_cast<float>(rng() % 100);
          break;
        case 3:
          x[i] = -L::infinity();
          break;
        case 4:  // below INT32_MIN once scaled
          x[i] = -0x1p33f * scale;
          break;
        default:
          break;
      }
    }
    x[kChunk + 777] = L::quiet_NaN();  // the second chunk only
    for (QuantizeMode mode : kModes) {
      for (const Signedness sign : {Signedness::kUnsigned, Signedness::kSigned}) {
        QuantParams p;
        p.scale = scale;
        p.zero_point = sign == Signedness::kSigned ? -7 : 129;
        p.signedness = sign;
        if (sign == Signedness::kSigned) {
          std::vector<int8_t> q(n), want(n);
          Quantize(x.data(), n, p, q.data(), mode);
          reference::Quantize(x.data(), n, p, want.data(), mode);
          ASSERT_EQ(q, want) << "scale " << scale << " " << ModeName(mode);
        } else {
          std::vector<uint8_t> q(n), want(n);
          Quantize(x.data(), n, p, q.data(), mode);
          reference::Quantize(x.data(), n, p, want.data(), mode);
          ASSERT_EQ(q, want) << "scale " << scale << " " << ModeName(mode);
          EXPECT_EQ(q[kChunk + 777], 129);  // NaN -> the zero point
        }
      }
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
// Those kernels set MXCSR (DAZ, FTZ, flags) for their chunks: the caller's
// control bits come back, and its sticky flags stay set (kernels may raise
// more, as any floating-point code does).
TEST_P(QuantizeTest, CallersFloatingPointEnvironmentIsRestored) {
  std::vector<float> x(4096, 0.3f);
  x[100] = std::numeric_limits<float>::quiet_NaN();
  x[200] = 0x1p-140f;
  std::vector<uint8_t> q(x.size());
  QuantParams p;
  p.scale = 0.01f;
  p.zero_point = 128;
  const unsigned saved = _mm_getcsr();
  // Every exception masked, round to nearest, the inexact and underflow
  // flags set, DAZ and FTZ off.
  const unsigned caller = 0x1F80u | 0x20u | 0x10u;
  constexpr unsigned kFlags = 0x3F;
  _mm_setcsr(caller);
  const bool flags_modeled = (_mm_getcsr() & kFlags) == (caller & kFlags);
  _mm_setcsr(saved);
  if (!flags_modeled) GTEST_SKIP() << "MXCSR flags not modeled (Valgrind)";
  for (QuantizeMode mode : kModes) {
    _mm_setcsr(caller);
    Quantize(x.data(), x.size(), p, q.data(), mode);
    const unsigned after = _mm_getcsr();
    _mm_setcsr(saved);
    EXPECT_EQ(after & ~kFlags, caller & ~kFlags) << ModeName(mode);
    EXPECT_EQ(after & caller & kFlags, caller & kFlags) << ModeName(mode);
    EXPECT_EQ(q[100], 128);
    EXPECT_EQ(q[200], 128);
  }
}
#endif

TEST_P(QuantizeTest, FloatMaxRoundTripMayOverflowToInfinity) {
  const float max = std::numeric_limits<float>::max();
  const float x[2] = {max, -max};
  for (int bits = 2; bits <= 16; ++bits) {
    const QuantParams p = ChooseSymmetricParams(-max, max, bits);
    const int32_t qmax = (1 << (bits - 1)) - 1;
    int16_t q[2];
    Quantize(x, 2, p, q);
    EXPECT_EQ(q[0], qmax);
    EXPECT_EQ(q[1], -qmax);
    float y[2];
    Dequantize(q, 2, p, y);
    const float want = static_cast<float>(qmax) * p.scale;  // may be +Inf
    EXPECT_EQ(y[0], want) << bits;
    EXPECT_EQ(y[1], -want) << bits;
    EXPECT_EQ(y[0], reference::DequantizeOne(q[0], p));
    if (bits == 8) {
      EXPECT_TRUE(std::isinf(y[0]));
    }
    if (bits == 9) {
      EXPECT_EQ(y[0], max);
    }
  }
}

// Ties round half to even after scaling, before the zero point is added.
TEST_P(QuantizeTest, TiesRoundToEven) {
  QuantParams p;
  p.scale = 0.5f;
  p.zero_point = 3;
  const std::vector<float> x = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, -1.25f};
  // x / 0.5 = 0.5, 1.5, 2.5, -0.5, -1.5, -2.5 -> 0, 2, 2, -0, -2, -2.
  const std::vector<int> want = {3, 5, 5, 3, 1, 1};
  for (QuantizeMode mode : kModes) {
    std::vector<uint8_t> q(x.size());
    Quantize(x.data(), x.size(), p, q.data(), mode);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(q[i], want[i]) << i;
  }
}

// ONNX DynamicQuantizeLinear's backend test cases (outputs as its numpy
// reference computes them): ChooseAsymmetricParams + divide.
TEST_P(QuantizeTest, OnnxDynamicQuantizeLinear) {
  struct Case {
    std::vector<float> x;
    float scale;
    int zero_point;
    std::vector<int> codes;
  };
  const Case cases[] = {
      {{0, 2, -3, -2.5f, 1.34f, 0.5f}, 0.019607844f, 153,
       {153, 255, 0, 26, 221, 179}},
      {{-1.0f, -2.1f, -1.3f, -2.5f, -3.34f, -4.0f}, 0.015686275f, 255,
       {191, 121, 172, 96, 42, 0}},
      {{1, 2.1f, 1.3f, 2.5f, 3.34f, 4, 1.5f, 2.6f, 3.9f, 4, 3, 2.345f},
       0.015686275f, 0,
       {64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149}},
  };
  for (const Case& c : cases) {
    const MinMaxResult r = MinMax(c.x.data(), c.x.size());
    const QuantParams p = ChooseAsymmetricParams(r.min, r.max, 8);
    EXPECT_EQ(p.scale, c.scale);
    EXPECT_EQ(p.zero_point, c.zero_point);
    std::vector<uint8_t> q(c.x.size());
    Quantize(c.x.data(), c.x.size(), p, q.data());
    for (size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i], c.codes[i]) << i;
  }
  // The case that tells the modes apart: -2.5 / (5/255) = -127.49999 rounds
  // to -127 (code 26), -2.5 * (255/5) = -127.5 rounds to even -128 (code 25).
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 2.0f, 8);
  const float x = -2.5f;
  uint8_t q;
  Quantize(&x, 1, p, &q, QuantizeMode::kDivide);
  EXPECT_EQ(q, 26);
  Quantize(&x, 1, p, &q, QuantizeMode::kReciprocal);
  EXPECT_EQ(q, 25);
}

// torch.quantize_per_tensor(torch.tensor([-1.0, 0.0, 1.0, 2.0]), 0.1, 10,
// torch.quint8).int_repr() is [0, 10, 20, 30] (torch's documented example).
TEST_P(QuantizeTest, TorchQuantizePerTensorExample) {
  QuantParams p;
  p.scale = 0.1f;
  p.zero_point = 10;
  const float x[4] = {-1.0f, 0.0f, 1.0f, 2.0f};
  uint8_t q[4];
  Quantize(x, 4, p, q, QuantizeMode::kReciprocal);
  EXPECT_EQ(std::vector<int>(q, q + 4), (std::vector<int>{0, 10, 20, 30}));
}

// The first seed notebook's array at 8 bits. Its asymmetric codes differ from
// the notebook's at two places (45 vs 44, 153 vs 152) because the notebook
// adds a float zero point of 23.85 before rounding; the contract rounds
// x / scale first and adds the integer zero point 24.
TEST_P(QuantizeTest, SeedNotebookExample) {
  const std::vector<float> x = {194.7485f, -20.0944f, 0.0f,     17.3086f,
                                11.5532f,  114.3453f, 72.5922f, 11.1024f,
                                108.8563f, 30.072f,   108.287f, -19.0944f,
                                53.1751f,  91.8896f,  36.3399f};
  const MinMaxResult r = MinMax(x.data(), x.size());
  const QuantParams asym = ChooseAsymmetricParams(r.min, r.max, 8);
  EXPECT_EQ(asym.scale, 0.8425212f);
  EXPECT_EQ(asym.zero_point, 24);
  std::vector<uint8_t> qa(x.size());
  Quantize(x.data(), x.size(), asym, qa.data());
  EXPECT_EQ(std::vector<int>(qa.begin(), qa.end()),
            (std::vector<int>{255, 0, 24, 45, 38, 160, 110, 37, 153, 60, 153,
                              1, 87, 133, 67}));
  const QuantParams sym = ChooseSymmetricParams(r.min, r.max, 8);
  EXPECT_EQ(sym.scale, 1.5334527f);
  std::vector<int8_t> qs(x.size());
  Quantize(x.data(), x.size(), sym, qs.data());
  EXPECT_EQ(std::vector<int>(qs.begin(), qs.end()),
            (std::vector<int>{127, -13, 0, 11, 8, 75, 47, 7, 71, 20, 71, -12,
                              35, 60, 24}));
}

}  // namespace
}  // namespace test
}  // namespace simdquant
