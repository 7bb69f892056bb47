// float_codes.h: FP8 / FP6 / FP4 codes, MX blocks and NVFP4 on every
// target against the reference; the reference against the formats' rules
// (every code, every midpoint); FP8 against ONNX Runtime's Cast and
// QuantizeLinear; E2M1 against ONNX's float4e2m1 rule table.
#include "simdquant/float_codes.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "tests/ort_oracle.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

constexpr FloatFormat kFormats[] = {
    FloatFormat::kE4M3FN, FloatFormat::kE5M2, FloatFormat::kE4M3FNUZ,
    FloatFormat::kE5M2FNUZ, FloatFormat::kE3M2, FloatFormat::kE2M3,
    FloatFormat::kE2M1};
constexpr MxFormat kMxFormats[] = {
    MxFormat::kMXFP8_E4M3, MxFormat::kMXFP8_E5M2, MxFormat::kMXFP6_E3M2,
    MxFormat::kMXFP6_E2M3, MxFormat::kMXFP4, MxFormat::kMXINT8};
constexpr Overflow kOverflows[] = {Overflow::kSaturate, Overflow::kInfOrNaN};

uint32_t Bits(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return b;
}
float FromBits(uint32_t b) {
  float v;
  memcpy(&v, &b, 4);
  return v;
}
// Equal bits, or both NaN.
bool Same(float a, float b) { return Bits(a) == Bits(b) || (isnan(a) && isnan(b)); }

// The positive finite values of a format, code 0 up (FNUZ's code 0x80 and
// the FP8 specials excluded).
std::vector<float> PositiveValues(FloatFormat f) {
  std::vector<float> values;
  for (int code = 0; code < (1 << (FloatFormatBits(f) - 1)); ++code) {
    const float v = DecodeFloatCode(f, static_cast<uint8_t>(code));
    if (!isfinite(v)) break;
    values.push_back(v);
  }
  return values;
}

// Every value's code through the rules as written in float_codes.h.
TEST(FloatCodesTest, DecodeMatchesTheFormatTables) {
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FN, 0x7E), 448.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FN, 0x01), 0x1p-9f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FN, 0x08), 0x1p-6f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FN, 0xB8), -1.0f);
  EXPECT_TRUE(isnan(DecodeFloatCode(FloatFormat::kE4M3FN, 0x7F)));
  EXPECT_TRUE(isnan(DecodeFloatCode(FloatFormat::kE4M3FN, 0xFF)));
  EXPECT_EQ(Bits(DecodeFloatCode(FloatFormat::kE4M3FN, 0x80)), Bits(-0.0f));
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2, 0x7B), 57344.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2, 0x01), 0x1p-16f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2, 0x7C), INFINITY);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2, 0xFC), -INFINITY);
  for (int c : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) {
    EXPECT_TRUE(isnan(DecodeFloatCode(FloatFormat::kE5M2, static_cast<uint8_t>(c))));
  }
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FNUZ, 0x7F), 240.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FNUZ, 0x01), 0x1p-10f);
  EXPECT_TRUE(isnan(DecodeFloatCode(FloatFormat::kE4M3FNUZ, 0x80)));
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE4M3FNUZ, 0xFF), -240.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2FNUZ, 0x7F), 57344.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE5M2FNUZ, 0x01), 0x1p-17f);
  EXPECT_TRUE(isnan(DecodeFloatCode(FloatFormat::kE5M2FNUZ, 0x80)));
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE3M2, 0x1F), 28.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE3M2, 0x01), 0x1p-4f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE3M2, 0x3F), -28.0f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE2M3, 0x1F), 7.5f);
  EXPECT_EQ(DecodeFloatCode(FloatFormat::kE2M3, 0x01), 0.125f);
  const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};  // OCP MX, ONNX
  for (int c = 0; c < 16; ++c) {
    const float want = c < 8 ? e2m1[c] : -e2m1[c - 8];
    EXPECT_EQ(Bits(DecodeFloatCode(FloatFormat::kE2M1, static_cast<uint8_t>(c))),
              Bits(want)) << c;
  }
  for (FloatFormat f : kFormats) {
    EXPECT_EQ(FloatFormatMax(f), PositiveValues(f).back()) << FloatFormatName(f);
    // Values rise with the code, and each binade has 2^M of them.
    const std::vector<float> v = PositiveValues(f);
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);
  }
}

// The reference at every midpoint between consecutive values and one float32
// ulp either side, against the rule: nearest, ties to the even code, and
// overflow per mode; and every value to its own code.
TEST(FloatCodesTest, ReferenceRoundsEveryMidpointToNearestEven) {
  for (FloatFormat f : kFormats) {
    const std::vector<float> v = PositiveValues(f);
    const uint8_t sign = static_cast<uint8_t>(1u << (FloatFormatBits(f) - 1));
    const bool fnuz = f == FloatFormat::kE4M3FNUZ || f == FloatFormat::kE5M2FNUZ;
    for (Overflow o : kOverflows) {
      for (size_t c = 0; c < v.size(); ++c) {
        EXPECT_EQ(reference::EncodeFloatOne(v[c], f, o), c);
        const uint8_t neg = c == 0 && fnuz ? 0 : static_cast<uint8_t>(c | sign);
        EXPECT_EQ(reference::EncodeFloatOne(-v[c], f, o), neg);
      }
      // The next value after the largest: what the format would have.
      std::vector<float> w = v;
      const float step = v.back() - v[v.size() - 2];
      w.push_back(v.back() + step);
      for (size_t c = 0; c + 1 < w.size(); ++c) {
        const float mid = (w[c] + w[c + 1]) / 2;
        const bool top = c + 1 == w.size() - 1;  // above: overflow
        const uint8_t even = c % 2 == 0 ? static_cast<uint8_t>(c)
                                        : static_cast<uint8_t>(c + 1);
        const auto code_of = [&](size_t k) -> uint8_t {
          if (k < v.size()) return static_cast<uint8_t>(k);
          return reference::EncodeFloatOne(INFINITY, f, o);
        };
        EXPECT_EQ(reference::EncodeFloatOne(mid, f, o), code_of(even))
            << FloatFormatName(f) << " mid " << mid;
        EXPECT_EQ(reference::EncodeFloatOne(nextafterf(mid, 0), f, o), code_of(c));
        EXPECT_EQ(reference::EncodeFloatOne(nextafterf(mid, INFINITY), f, o),
                  code_of(c + 1)) << FloatFormatName(f) << " above " << mid;
        (void)top;
      }
    }
  }
  // Overflow codes and NaN, as float_codes.h states them.
  const float nan = NAN;
  EXPECT_EQ(reference::EncodeFloatOne(INFINITY, FloatFormat::kE4M3FN, Overflow::kSaturate), 0x7E);
  EXPECT_EQ(reference::EncodeFloatOne(-INFINITY, FloatFormat::kE4M3FN, Overflow::kSaturate), 0xFE);
  EXPECT_EQ(reference::EncodeFloatOne(INFINITY, FloatFormat::kE4M3FN, Overflow::kInfOrNaN), 0x7F);
  EXPECT_EQ(reference::EncodeFloatOne(-1e9f, FloatFormat::kE4M3FN, Overflow::kInfOrNaN), 0xFF);
  EXPECT_EQ(reference::EncodeFloatOne(464.0f, FloatFormat::kE4M3FN, Overflow::kInfOrNaN), 0x7E);
  EXPECT_EQ(reference::EncodeFloatOne(61440.0f, FloatFormat::kE5M2, Overflow::kInfOrNaN), 0x7C);
  EXPECT_EQ(reference::EncodeFloatOne(-1e9f, FloatFormat::kE5M2, Overflow::kInfOrNaN), 0xFC);
  EXPECT_EQ(reference::EncodeFloatOne(1e9f, FloatFormat::kE5M2FNUZ, Overflow::kInfOrNaN), 0x80);
  EXPECT_EQ(reference::EncodeFloatOne(-nan, FloatFormat::kE4M3FN, Overflow::kSaturate), 0xFF);
  EXPECT_EQ(reference::EncodeFloatOne(nan, FloatFormat::kE5M2, Overflow::kSaturate), 0x7F);
  EXPECT_EQ(reference::EncodeFloatOne(-nan, FloatFormat::kE4M3FNUZ, Overflow::kSaturate), 0x80);
  EXPECT_EQ(reference::EncodeFloatOne(-nan, FloatFormat::kE2M1, Overflow::kSaturate), 0x07);
  EXPECT_EQ(reference::EncodeFloatOne(-INFINITY, FloatFormat::kE2M1, Overflow::kInfOrNaN), 0x0F);
  EXPECT_EQ(reference::EncodeFloatOne(-0.0f, FloatFormat::kE4M3FNUZ, Overflow::kSaturate), 0x00);
  EXPECT_EQ(reference::EncodeFloatOne(-1e-30f, FloatFormat::kE5M2FNUZ, Overflow::kSaturate), 0x00);
  EXPECT_EQ(reference::EncodeFloatOne(-0.0f, FloatFormat::kE2M3, Overflow::kSaturate), 0x20);
}

// ONNX's float4e2m1 conversion (onnx.helper, float32_to_float4e2m1_unpacked)
// as its thresholds, an implementation independent of both of ours.
TEST(FloatCodesTest, E2M1MatchesOnnxRuleTable) {
  const auto onnx = [](float x) -> uint8_t {
    if (isnan(x)) return 0x7;
    const uint8_t s = signbit(x) ? 0x8 : 0x0;
    const float m = fabsf(x);
    const uint8_t r = m > 5 ? 7 : m >= 3.5f ? 6 : m > 2.5f ? 5 : m >= 1.75f ? 4
                      : m > 1.25f ? 3 : m >= 0.75f ? 2 : m > 0.25f ? 1 : 0;
    return r | s;
  };
  std::vector<float> x;
  for (float m : {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f, 1.5f, 1.75f, 2.0f,
                  2.5f, 3.0f, 3.5f, 4.0f, 5.0f, 6.0f, 7.0f, 1e30f, INFINITY}) {
    for (float v : {m, nextafterf(m, 0), nextafterf(m, INFINITY)}) {
      x.push_back(v);
      x.push_back(-v);
    }
  }
  x.push_back(NAN);
  const float scale = 1.0f;
  std::vector<uint8_t> codes(x.size());
  for (const Target& t : AvailableTargets()) {
    RestrictToTarget(t.name);
    FloatCodeSpec spec;
    spec.format = FloatFormat::kE2M1;
    EncodeFloat(x.data(), Layout::PerTensor(x.size()), &scale, spec, codes.data());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(codes[i], onnx(x[i])) << t.name << " x = " << x[i];
    }
  }
  RestrictToTarget("");
}

class FloatCodesTargetTest : public PerTarget {};

// EncodeFloat of x[0, n) (per tensor) on the active target against the
// reference, code by code.
template <typename T>
void ExpectEncodeMatchesReference(const std::vector<T>& x, float scale,
                                  const FloatCodeSpec& spec) {
  std::vector<uint8_t> got(x.size()), want(x.size());
  EncodeFloat(x.data(), Layout::PerTensor(x.size()), &scale, spec, got.data());
  reference::EncodeFloat(x.data(), Layout::PerTensor(x.size()), &scale, spec,
                         want.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << FloatFormatName(spec.format) << " overflow "
                               << static_cast<int>(spec.overflow) << " scale "
                               << scale << " x = " << reference::ToF32(x[i]);
  }
}



// Every value and every midpoint of a format (and the midpoint above the
// largest value, the overflow threshold) and one ulp of T either side, both
// signs, as T: float, bfloat16 or float16.
float NextToward(float v, int direction) {
  return nextafterf(v, direction > 0 ? INFINITY : 0.0f);
}
template <typename T>
T NextToward(T v, int direction) {
  if (direction > 0) {
    v.bits = static_cast<uint16_t>(v.bits + 1);
  } else if (v.bits != 0) {
    v.bits = static_cast<uint16_t>(v.bits - 1);
  }
  return v;
}
float Negated(float v) { return -v; }
template <typename T>
T Negated(T v) {
  v.bits ^= 0x8000;
  return v;
}

template <typename T>
std::vector<T> Midpoints(FloatFormat f) {
  std::vector<T> x;
  std::vector<float> w = PositiveValues(f);
  w.push_back(2 * w.back());
  for (size_t c = 0; c + 1 < w.size(); ++c) {
    for (float m : {w[c], (w[c] + w[c + 1]) / 2}) {
      const T t = reference::FromF32<T>(m);
      for (T e : {t, NextToward(t, -1), NextToward(t, +1)}) {
        x.push_back(e);
        x.push_back(Negated(e));
      }
    }
  }
  return x;
}

TEST_P(FloatCodesTargetTest, EveryMidpointMatchesReference) {
  for (FloatFormat f : kFormats) {
    for (Overflow o : kOverflows) {
      FloatCodeSpec spec;
      spec.format = f;
      spec.overflow = o;
      ExpectEncodeMatchesReference(Midpoints<float>(f), 1.0f, spec);
      ExpectEncodeMatchesReference(Midpoints<hwy::bfloat16_t>(f), 1.0f, spec);
      ExpectEncodeMatchesReference(Midpoints<hwy::float16_t>(f), 1.0f, spec);
    }
  }
}

// Divide mode takes x * (1 / scale) where that provably has the quotient's
// code: inputs whose quotients fall within a few ulps of every rounding
// boundary (midpoints, the overflow threshold, the subnormal steps), for
// scales whose reciprocals are inexact, against the reference's division.
std::vector<float> NearBoundaries(FloatFormat f, float scale) {
  std::vector<float> x;
  std::vector<float> v = PositiveValues(f);
  v.push_back(2 * v.back());
  for (size_t c = 0; c + 1 < v.size(); ++c) {
    for (float m : {(v[c] + v[c + 1]) / 2, v[c]}) {
      float t = m * scale;
      for (int k = 0; k < 4; ++k) t = nextafterf(t, 0);
      for (int k = 0; k < 9; ++k, t = nextafterf(t, INFINITY)) {
        x.push_back(t);
        x.push_back(-t);
      }
    }
  }
  return x;
}

constexpr float kAwkwardScales[] = {0.37f, 0.1f, 3.0f, 1.0f / 3, 7e-5f, 12345.6f,
                                    0x1.fffffep-3f, 0x1.000002p+1f};

TEST_P(FloatCodesTargetTest, DivideNearBoundariesMatchesReference) {
  for (FloatFormat f : kFormats) {
    for (float scale : kAwkwardScales) {
      for (Overflow o : kOverflows) {
        FloatCodeSpec spec;
        spec.format = f;
        spec.overflow = o;
        ExpectEncodeMatchesReference(NearBoundaries(f, scale), scale, spec);
      }
    }
  }
}

// Inputs with every kind of special value, scaled into and beyond the
// format's range: normal, tiny, subnormal, huge, +-0, +-Inf, NaN, ties.
std::vector<float> HardValues(size_t n, uint32_t seed, float range) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, range / 3);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 12) {
      case 0: x[i] = NAN; break;
      case 1: x[i] = rng() % 2 ? INFINITY : -INFINITY; break;
      case 2: x[i] = rng() % 2 ? 0.0f : -0.0f; break;
      case 3: x[i] = FromBits(rng() % 0x800000 | (rng() % 2 ? 0x80000000u : 0)); break;
      case 4: x[i] = normal(rng) * 1e-6f; break;
      case 5: x[i] = normal(rng) * 1e6f; break;
      case 6: x[i] = (rng() % 2 ? 1.0f : -1.0f) * FLT_MAX; break;
      case 7: x[i] = static_cast<float>(static_cast<int>(rng() % 64) - 32) * 0.0625f; break;
      default: x[i] = normal(rng); break;
    }
  }
  return x;
}

std::vector<Layout> Layouts(size_t rows, size_t cols) {
  return {Layout::PerTensor(rows * cols), Layout::PerRow(rows, cols),
          Layout::PerColumn(rows, cols), Layout::PerGroup(rows, cols, 32),
          Layout::PerGroup(rows, cols, 7)};
}

std::vector<float> Scales(const Layout& layout, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> s(layout.NumParams());
  for (float& v : s) v = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f,
                                    static_cast<int>(rng() % 12) - 6);
  return s;
}

// EncodeFloat and DecodeFloat: every format, layout, mode, overflow and
// packing, lengths with every tail, three alignments; byte- and
// bit-identical to the reference, the guards intact, the input untouched.
TEST_P(FloatCodesTargetTest, EncodeAndDecodeMatchReference) {
  const std::pair<size_t, size_t> shapes[] = {{1, 1}, {1, 7}, {3, 33}, {2, 80},
                                              {5, 17}, {1, 1000}, {4, 129}};
  for (FloatFormat f : kFormats) {
    for (auto [rows, cols] : shapes) {
      for (const Layout& layout : Layouts(rows, cols)) {
        const size_t n = rows * cols;
        const size_t offset = (n + static_cast<size_t>(f)) % 3;
        const std::vector<float> data = HardValues(n, static_cast<uint32_t>(n * 7 + offset),
                                                   FloatFormatMax(f));
        const std::vector<float> scales = Scales(layout, static_cast<uint32_t>(n));
        Guarded<float> x(n, offset);
        std::copy(data.begin(), data.end(), x.data());
        for (int variant = 0; variant < 8; ++variant) {
          FloatCodeSpec spec;
          spec.format = f;
          spec.overflow = variant % 2 ? Overflow::kInfOrNaN : Overflow::kSaturate;
          spec.mode = variant / 2 % 2 ? QuantizeMode::kReciprocal : QuantizeMode::kDivide;
          spec.packed = variant / 4 % 2;
          const size_t bytes = FloatCodeBytes(n, spec);
          Guarded<uint8_t> got(bytes, offset);
          got.Poison();
          std::vector<uint8_t> want(bytes);
          EncodeFloat(x.data(), layout, scales.data(), spec, got.data());
          reference::EncodeFloat(data.data(), layout, scales.data(), spec, want.data());
          ASSERT_TRUE(got.GuardsIntact());
          for (size_t i = 0; i < bytes; ++i) {
            ASSERT_EQ(got[i], want[i]) << FloatFormatName(f) << " " << rows << "x"
                                       << cols << " granularity "
                                       << static_cast<int>(layout.granularity)
                                       << " variant " << variant << " byte " << i;
          }
          for (size_t i = 0; i < n; ++i) ASSERT_EQ(Bits(x[i]), Bits(data[i]));
          // Decoding, from these codes (all the format's codes occur).
          Guarded<float> y(n, offset);
          y.Poison();
          std::vector<float> y_want(n);
          DecodeFloat(want.data(), layout, scales.data(), spec, y.data());
          reference::DecodeFloat(want.data(), layout, scales.data(), spec, y_want.data());
          ASSERT_TRUE(y.GuardsIntact());
          for (size_t i = 0; i < n; ++i) {
            ASSERT_TRUE(Same(y[i], y_want[i])) << FloatFormatName(f) << " " << i;
          }
        }
      }
    }
  }
}

// Decoding every byte value of every format, to float32, bfloat16, float16.
TEST_P(FloatCodesTargetTest, DecodeEveryCodeMatchesReference) {
  std::vector<uint8_t> codes(256 + 13);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i * 37 % 256);
  const Layout layout = Layout::PerTensor(codes.size());
  for (FloatFormat f : kFormats) {
    FloatCodeSpec spec;
    spec.format = f;
    // Codes beyond the format's bits: only the low bits count.
    const float scale = 0.75f;
    std::vector<float> y(codes.size()), y_want(codes.size());
    DecodeFloat(codes.data(), layout, &scale, spec, y.data());
    reference::DecodeFloat(codes.data(), layout, &scale, spec, y_want.data());
    for (size_t i = 0; i < codes.size(); ++i) {
      ASSERT_TRUE(Same(y[i], y_want[i])) << FloatFormatName(f) << " code " << int(codes[i]);
      ASSERT_TRUE(Same(y[i], DecodeFloatCode(f, codes[i]) * scale));
    }
    std::vector<hwy::bfloat16_t> b(codes.size()), b_want(codes.size());
    DecodeFloat(codes.data(), layout, &scale, spec, b.data());
    reference::DecodeFloat(codes.data(), layout, &scale, spec, b_want.data());
    std::vector<hwy::float16_t> h(codes.size()), h_want(codes.size());
    DecodeFloat(codes.data(), layout, &scale, spec, h.data());
    reference::DecodeFloat(codes.data(), layout, &scale, spec, h_want.data());
    for (size_t i = 0; i < codes.size(); ++i) {
      ASSERT_EQ(b[i].bits, b_want[i].bits) << FloatFormatName(f) << " " << i;
      ASSERT_EQ(h[i].bits, h_want[i].bits) << FloatFormatName(f) << " " << i;
    }
  }
}

// bfloat16 / float16 inputs widen exactly: the codes of the widened floats.
TEST_P(FloatCodesTargetTest, SixteenBitInputsMatchReference) {
  const size_t n = 517;
  const std::vector<float> data = HardValues(n, 9, 448.0f);
  std::vector<hwy::bfloat16_t> b(n);
  std::vector<hwy::float16_t> h(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = reference::BF16FromF32(data[i]);
    h[i] = reference::F16FromF32(data[i]);
  }
  const Layout layout = Layout::PerGroup(11, 47, 16);
  const std::vector<float> scales = Scales(layout, 3);
  for (FloatFormat f : kFormats) {
    FloatCodeSpec spec;
    spec.format = f;
    spec.packed = true;
    std::vector<uint8_t> got(FloatCodeBytes(n, spec)), want(got.size());
    EncodeFloat(b.data(), layout, scales.data(), spec, got.data());
    reference::EncodeFloat(b.data(), layout, scales.data(), spec, want.data());
    EXPECT_EQ(got, want) << FloatFormatName(f) << " bfloat16";
    EncodeFloat(h.data(), layout, scales.data(), spec, got.data());
    reference::EncodeFloat(h.data(), layout, scales.data(), spec, want.data());
    EXPECT_EQ(got, want) << FloatFormatName(f) << " float16";
  }
}

TEST_P(FloatCodesTargetTest, MeasureFloatErrorMatchesReference) {
  for (size_t n : {size_t{1}, size_t{100}, size_t{70000}}) {
    std::vector<float> x = HardValues(n, 4, 100.0f);
    x[n / 2] = NAN;
    std::vector<float> finite = x;
    for (float& v : finite) v = isfinite(v) ? v : 1.0f;
    const Layout layout = Layout::PerGroup(1, n, 32);
    const std::vector<float> scales = Scales(layout, 5);
    for (FloatFormat f : kFormats) {
      FloatCodeSpec spec;
      spec.format = f;
      for (const std::vector<float>* in : {&x, &finite}) {
        const ErrorStats got = MeasureFloatError(in->data(), layout, scales.data(), spec);
        const ErrorStats want =
            reference::MeasureFloatError(in->data(), layout, scales.data(), spec);
        EXPECT_TRUE(Same(static_cast<float>(got.mse), static_cast<float>(want.mse)));
        EXPECT_EQ(Bits(static_cast<float>(got.max_abs_error)),
                  Bits(static_cast<float>(want.max_abs_error)));
        if (in == &finite) {
          EXPECT_EQ(got.mse, want.mse) << FloatFormatName(f) << " n=" << n;
          EXPECT_EQ(got.sqnr_db, want.sqnr_db);
          EXPECT_GT(got.mse, 0.0);
        } else {
          EXPECT_TRUE(isnan(got.mse));  // NaN input
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// MX

// Blocks of every kind: normal, all zero, subnormal amax, near FLT_MAX,
// NaN, Inf, a single outlier, exact powers of two (the round-up rule's
// edge), and amax just above a power of two times the largest element.
std::vector<float> MxValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (size_t b = 0; b < n; b += 16) {
    const int kind = static_cast<int>((b / 16 * 5 + seed) % 11);
    for (size_t i = b; i < std::min(n, b + 16); ++i) {
      float v = normal(rng);
      switch (kind) {
        case 0: v = rng() % 2 ? 0.0f : -0.0f; break;
        case 1: v = FromBits(rng() % 0x800000) * (rng() % 2 ? 1.0f : -1.0f); break;
        case 2: v *= 1e38f; break;
        case 3: if (i == b) v = NAN; break;
        case 4: if (i == b + 1) v = -INFINITY; break;
        case 5: if (i == b) v *= 1e4f; break;
        case 6: v = std::ldexp(1.0f, static_cast<int>(rng() % 20) - 10); break;
        case 7: v = (rng() % 2 ? 448.0f : 6.0f) * (1.0f + 0x1p-20f) * (i == b ? 1.0f : 0.01f); break;
        case 8: v *= 1e-39f; break;
        default: break;
      }
      x[i] = v;
    }
  }
  return x;
}

TEST_P(FloatCodesTargetTest, MxMatchesReference) {
  // Whole blocks (the batched path: 3 x 1024 spans chunks and batches) and
  // ragged rows (block by block).
  const std::pair<size_t, size_t> shapes[] = {{1, 32}, {1, 1}, {3, 33}, {2, 96},
                                              {4, 70}, {1, 5000}, {7, 31},
                                              {3, 1024}};
  for (MxFormat f : kMxFormats) {
    for (MxScaleRule rule : {MxScaleRule::kFloor, MxScaleRule::kRoundUp}) {
      for (auto [rows, cols] : shapes) {
        const size_t n = rows * cols;
        const std::vector<float> data = MxValues(n, static_cast<uint32_t>(n + cols));
        const size_t offset = n % 3;
        Guarded<float> x(n, offset);
        std::copy(data.begin(), data.end(), x.data());
        const size_t scale_count = MxScaleCount(rows, cols);
        const size_t bytes = MxElementBytes(f, n);
        Guarded<uint8_t> scales(scale_count, offset), elements(bytes, offset);
        scales.Poison();
        elements.Poison();
        std::vector<uint8_t> scales_want(scale_count), elements_want(bytes);
        EncodeMx(x.data(), rows, cols, f, scales.data(), elements.data(), rule);
        reference::EncodeMx(data.data(), rows, cols, f, scales_want.data(),
                            elements_want.data(), rule);
        ASSERT_TRUE(scales.GuardsIntact() && elements.GuardsIntact());
        for (size_t k = 0; k < scale_count; ++k) {
          ASSERT_EQ(scales[k], scales_want[k]) << MxFormatName(f) << " block " << k;
        }
        for (size_t i = 0; i < bytes; ++i) {
          ASSERT_EQ(elements[i], elements_want[i])
              << MxFormatName(f) << " rule " << static_cast<int>(rule) << " "
              << rows << "x" << cols << " byte " << i;
        }
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(Bits(x[i]), Bits(data[i]));
        Guarded<float> y(n, offset);
        y.Poison();
        std::vector<float> y_want(n);
        DecodeMx(scales_want.data(), elements_want.data(), rows, cols, f, y.data());
        reference::DecodeMx(scales_want.data(), elements_want.data(), rows, cols,
                            f, y_want.data());
        ASSERT_TRUE(y.GuardsIntact());
        for (size_t i = 0; i < n; ++i) ASSERT_TRUE(Same(y[i], y_want[i])) << i;
        const ErrorStats got_error = MeasureMxError(data.data(), rows, cols, f, rule);
        const ErrorStats want_error =
            reference::MeasureMxError(data.data(), rows, cols, f, rule);
        EXPECT_TRUE(Same(static_cast<float>(got_error.mse), static_cast<float>(want_error.mse)));
      }
    }
  }
}

// The scale rules on blocks whose outcome is known by hand.
TEST(MxTest, ScaleRulesAndSpecialBlocks) {
  const auto scale_of = [](std::vector<float> block, MxFormat f, MxScaleRule rule) {
    block.resize(32, 0.0f);
    uint8_t scale;
    std::vector<uint8_t> elements(MxElementBytes(f, 32));
    EncodeMx(block.data(), 1, 32, f, &scale, elements.data(), rule);
    return static_cast<int>(scale);
  };
  // amax 448 = 1.75 * 2^8: floor rule 2^(8 - 8) = 1, round-up also 1.
  EXPECT_EQ(scale_of({448.0f}, MxFormat::kMXFP8_E4M3, MxScaleRule::kFloor), 127);
  EXPECT_EQ(scale_of({448.0f}, MxFormat::kMXFP8_E4M3, MxScaleRule::kRoundUp), 127);
  // amax 500: floor keeps 1 (500 saturates to 448), round-up takes 2.
  EXPECT_EQ(scale_of({500.0f}, MxFormat::kMXFP8_E4M3, MxScaleRule::kFloor), 127);
  EXPECT_EQ(scale_of({500.0f}, MxFormat::kMXFP8_E4M3, MxScaleRule::kRoundUp), 128);
  // MXFP4: amax 6 -> 2^(2 - 2) = 1; 7 -> floor 1 (saturates), round-up 2.
  EXPECT_EQ(scale_of({-6.0f}, MxFormat::kMXFP4, MxScaleRule::kFloor), 127);
  EXPECT_EQ(scale_of({7.0f}, MxFormat::kMXFP4, MxScaleRule::kRoundUp), 128);
  // MXINT8: amax 1.984375 = 127/64 -> 1; 1.99 -> round-up 2.
  EXPECT_EQ(scale_of({127.0f / 64}, MxFormat::kMXINT8, MxScaleRule::kRoundUp), 127);
  EXPECT_EQ(scale_of({1.99f}, MxFormat::kMXINT8, MxScaleRule::kRoundUp), 128);
  // All zero: 2^-127; subnormal amax: clamped at 2^-127 too.
  EXPECT_EQ(scale_of({0.0f, -0.0f}, MxFormat::kMXFP8_E5M2, MxScaleRule::kFloor), 0);
  EXPECT_EQ(scale_of({0x1p-140f}, MxFormat::kMXFP8_E5M2, MxScaleRule::kFloor), 0);
  // A subnormal amax of 1.9921875 * 2^-127 needs 2^-126 for MXINT8's 127/64.
  EXPECT_EQ(scale_of({0x1.fep-127f}, MxFormat::kMXINT8, MxScaleRule::kFloor), 0);
  EXPECT_EQ(scale_of({0x1.fep-127f}, MxFormat::kMXINT8, MxScaleRule::kRoundUp), 1);
  // Near FLT_MAX: 2^(127 - emax).
  EXPECT_EQ(scale_of({FLT_MAX}, MxFormat::kMXFP6_E2M3, MxScaleRule::kFloor), 127 + 125);
  EXPECT_EQ(scale_of({FLT_MAX}, MxFormat::kMXINT8, MxScaleRule::kRoundUp), 254);
  // NaN or Inf anywhere: the NaN scale, and its block decodes to NaN.
  EXPECT_EQ(scale_of({1.0f, NAN}, MxFormat::kMXFP4, MxScaleRule::kFloor), 255);
  EXPECT_EQ(scale_of({INFINITY}, MxFormat::kMXFP8_E5M2, MxScaleRule::kFloor), 255);
  const uint8_t nan_scale = 255, zero = 0;
  float y[2];
  DecodeMx(&nan_scale, &zero, 1, 2, MxFormat::kMXFP4, y);
  EXPECT_TRUE(isnan(y[0]) && isnan(y[1]));
  // Elements: 500 in MXFP8_E4M3 with scale 2 is 250 -> 256 (0x78), and
  // MXINT8 values q / 64.
  std::vector<float> block(32, 0.0f);
  block[0] = 500.0f;
  block[1] = -0.3f;
  uint8_t scale;
  uint8_t elements[32];
  EncodeMx(block.data(), 1, 32, MxFormat::kMXFP8_E4M3, &scale, elements,
           MxScaleRule::kRoundUp);
  EXPECT_EQ(elements[0], 0x78);
  EncodeMx(block.data(), 1, 32, MxFormat::kMXINT8, &scale, elements);
  EXPECT_EQ(scale, 127 + 8);  // 2^8: 500 / 256 = 1.95 -> 125 / 64
  EXPECT_EQ(static_cast<int8_t>(elements[0]), 125);
  EXPECT_EQ(static_cast<int8_t>(elements[1]), 0);  // -0.3/256*64 = -0.075
}

// ---------------------------------------------------------------------------
// NVFP4

TEST_P(FloatCodesTargetTest, NvFp4MatchesReference) {
  const std::pair<size_t, size_t> shapes[] = {{1, 16}, {1, 1}, {3, 17}, {2, 64},
                                              {5, 33}, {1, 3000}, {4, 1024}};
  for (auto [rows, cols] : shapes) {
    const size_t n = rows * cols;
    std::vector<float> data = MxValues(n, static_cast<uint32_t>(n));
    for (float& v : data) v = isfinite(v) ? v : 2.5f;
    float amax = 0;
    for (float v : data) amax = std::max(amax, fabsf(v));
    for (float t : {NvFp4TensorScale(amax), 1.0f, 1e-30f}) {
      const size_t offset = n % 3;
      Guarded<float> x(n, offset);
      std::copy(data.begin(), data.end(), x.data());
      const size_t blocks = NvFp4ScaleCount(rows, cols), bytes = PackedBytes(n, 4);
      Guarded<uint8_t> scales(blocks, offset), elements(bytes, offset);
      scales.Poison();
      elements.Poison();
      std::vector<uint8_t> scales_want(blocks), elements_want(bytes);
      EncodeNvFp4(x.data(), rows, cols, t, scales.data(), elements.data());
      reference::EncodeNvFp4(data.data(), rows, cols, t, scales_want.data(),
                             elements_want.data());
      ASSERT_TRUE(scales.GuardsIntact() && elements.GuardsIntact());
      for (size_t k = 0; k < blocks; ++k) ASSERT_EQ(scales[k], scales_want[k]) << k;
      for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(elements[i], elements_want[i]) << i;
      std::vector<float> y(n), y_want(n);
      DecodeNvFp4(scales_want.data(), elements_want.data(), rows, cols, t, y.data());
      reference::DecodeNvFp4(scales_want.data(), elements_want.data(), rows, cols,
                             t, y_want.data());
      for (size_t i = 0; i < n; ++i) ASSERT_TRUE(Same(y[i], y_want[i])) << i;
      const ErrorStats e = MeasureNvFp4Error(data.data(), rows, cols, t);
      const ErrorStats e_want = reference::MeasureNvFp4Error(data.data(), rows, cols, t);
      EXPECT_EQ(e.mse, e_want.mse);
    }
  }
}

TEST(NvFp4Test, KnownBlock) {
  // amax 6 with t = 1/448: s = E4M3(6 / 6 * 448) = 448, d = 1.
  std::vector<float> x = {6.0f, -3.0f, 2.5f, 0.25f, 0.75f, 100.0f / 448};
  x.resize(16, 0.0f);
  const float t = NvFp4TensorScale(6.0f * 448.0f / 448.0f);
  EXPECT_EQ(t, 6.0f / (6.0f * 448.0f));
  uint8_t scale, elements[8];
  EncodeNvFp4(x.data(), 1, 16, t, &scale, elements);
  EXPECT_EQ(scale, 0x7E);  // 448
  EXPECT_EQ(elements[0], 0x7 | 0xD << 4);  // 6, -3
  EXPECT_EQ(elements[1], 0x4 | 0x0 << 4);  // 2.5 -> 2 (even), 0.25 -> 0
  EXPECT_EQ(elements[2] & 0xF, 0x2);       // 0.75 -> 1 (even)
  EXPECT_EQ(NvFp4TensorScale(0.0f), 1.0f);
}

// ---------------------------------------------------------------------------
// ONNX Runtime: Cast (saturate 1 and 0) and QuantizeLinear to the four FP8
// types, and Cast from them to float, on every float16 value, the midpoints
// of each format and random floats.

const char* OrtDir() { return getenv("SIMDQUANT_ORT_DIR"); }
#define SIMDQUANT_REQUIRE_ORT_OR_SKIP(loaded) \
  SIMDQUANT_REQUIRE_ORACLE_OR_SKIP(loaded, "SIMDQUANT_REQUIRE_ORT", "SIMDQUANT_ORT_DIR")

OnnxRuntime* Ort() {
  static OnnxRuntime* ort = OrtDir() == nullptr ? nullptr : new OnnxRuntime(OrtDir());
  return ort != nullptr && ort->ok() ? ort : nullptr;
}

int OnnxTypeOf(FloatFormat f) {
  switch (f) {
    case FloatFormat::kE4M3FN: return kOnnxE4M3FN;
    case FloatFormat::kE5M2: return kOnnxE5M2;
    case FloatFormat::kE4M3FNUZ: return kOnnxE4M3FNUZ;
    case FloatFormat::kE5M2FNUZ: return kOnnxE5M2FNUZ;
    default: return 0;
  }
}

std::vector<float> OracleInputs() {
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    x.push_back(reference::F32FromF16(hwy::float16_t{static_cast<uint16_t>(h)}));
  }
  for (FloatFormat f : {FloatFormat::kE4M3FN, FloatFormat::kE5M2,
                        FloatFormat::kE4M3FNUZ, FloatFormat::kE5M2FNUZ}) {
    std::vector<float> v = PositiveValues(f);
    v.push_back(2 * v.back());
    for (size_t c = 0; c + 1 < v.size(); ++c) {
      const float mid = (v[c] + v[c + 1]) / 2;
      for (float e : {mid, nextafterf(mid, 0), nextafterf(mid, INFINITY)}) {
        x.push_back(e);
        x.push_back(-e);
      }
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) x.push_back(FromBits(static_cast<uint32_t>(rng())));
  const uint32_t snan = 0x7F800001u;
  x.push_back(FromBits(snan));
  return x;
}

// Where ONNX Runtime 1.30 departs from the rule (ONNX's Cast table: values
// that round beyond the largest finite value overflow), both without
// saturation, and only there:
//   E5M2, 61440 <= |x| < 65536 (rounding to 2^16): ORT NaN (0x7F), we Inf;
//   E4M3FN, 480 <= |x| < 496 (whose top bits are the NaN pattern and that
//   do not round up): ORT +-448 (0x7E), we NaN.
// Returns the code ORT gives there, or -1 elsewhere.
int OrtDeparture(FloatFormat f, Overflow o, float x) {
  const float m = fabsf(x);
  const int sign = signbit(x) ? 0x80 : 0;
  if (o != Overflow::kInfOrNaN) return -1;
  if (f == FloatFormat::kE5M2 && m >= 61440.0f && m < 65536.0f) return 0x7F | sign;
  if (f == FloatFormat::kE4M3FN && m >= 480.0f && m < 496.0f) return 0x7E | sign;
  return -1;
}

TEST(OnnxRuntimeTest, Fp8CastMatchesOnnxRuntime) {
  OnnxRuntime* ort = Ort();
  SIMDQUANT_REQUIRE_ORT_OR_SKIP(ort != nullptr);
  const std::vector<float> x = OracleInputs();
  const float one = 1.0f;
  size_t departures = 0;
  for (FloatFormat f : {FloatFormat::kE4M3FN, FloatFormat::kE5M2,
                        FloatFormat::kE4M3FNUZ, FloatFormat::kE5M2FNUZ}) {
    for (Overflow o : kOverflows) {
      const int type = OnnxTypeOf(f);
      const std::string model = OneNodeModel(
          "Cast", {"x"}, {},
          {IntAttribute("to", type), IntAttribute("saturate", o == Overflow::kSaturate)},
          type, static_cast<int64_t>(x.size()));
      const std::vector<uint8_t> want = ort->Run(model, x.data(), x.size(), x.size());
      FloatCodeSpec spec;
      spec.format = f;
      spec.overflow = o;
      std::vector<uint8_t> got(x.size());
      for (const Target& t : AvailableTargets()) {
        RestrictToTarget(t.name);
        EncodeFloat(x.data(), Layout::PerTensor(x.size()), &one, spec, got.data());
        for (size_t i = 0; i < x.size(); ++i) {
          const int departure = OrtDeparture(f, o, x[i]);
          if (departure >= 0) {
            ASSERT_EQ(want[i], departure) << x[i];
            ASSERT_EQ(got[i], reference::EncodeFloatOne(x[i], f, o));
            ++departures;
            continue;
          }
          ASSERT_EQ(got[i], want[i]) << t.name << " " << FloatFormatName(f)
                                     << " saturate " << (o == Overflow::kSaturate)
                                     << " x = " << x[i] << " (bits " << std::hex
                                     << Bits(x[i]) << ")";
        }
      }
      RestrictToTarget("");
    }
  }
  EXPECT_GT(departures, 0u);  // the departures are still there
}

TEST(OnnxRuntimeTest, Fp8QuantizeLinearMatchesOnnxRuntime) {
  OnnxRuntime* ort = Ort();
  SIMDQUANT_REQUIRE_ORT_OR_SKIP(ort != nullptr);
  for (float scale : {0.37f, 3.0f, 0x1p-10f, 0.1f}) {
    for (FloatFormat f : {FloatFormat::kE4M3FN, FloatFormat::kE5M2,
                          FloatFormat::kE4M3FNUZ, FloatFormat::kE5M2FNUZ}) {
      std::vector<float> x = OracleInputs();
      const std::vector<float> near = NearBoundaries(f, scale);
      x.insert(x.end(), near.begin(), near.end());
      const int type = OnnxTypeOf(f);
      const uint8_t zero = 0;
      const std::string model = OneNodeModel(
          "QuantizeLinear", {"x", "s", "z"},
          {Scalar("s", kOnnxFloat, &scale, 4), Scalar("z", type, &zero, 1)}, {},
          type, static_cast<int64_t>(x.size()));
      const std::vector<uint8_t> want = ort->Run(model, x.data(), x.size(), x.size());
      FloatCodeSpec spec;
      spec.format = f;
      std::vector<uint8_t> got(x.size());
      EncodeFloat(x.data(), Layout::PerTensor(x.size()), &scale, spec, got.data());
      for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(got[i], want[i]) << FloatFormatName(f) << " scale " << scale
                                   << " x = " << x[i];
      }
    }
  }
}

TEST(OnnxRuntimeTest, Fp8DecodeMatchesOnnxRuntime) {
  OnnxRuntime* ort = Ort();
  SIMDQUANT_REQUIRE_ORT_OR_SKIP(ort != nullptr);
  std::vector<uint8_t> codes(256);
  for (int c = 0; c < 256; ++c) codes[c] = static_cast<uint8_t>(c);
  for (FloatFormat f : {FloatFormat::kE4M3FN, FloatFormat::kE5M2,
                        FloatFormat::kE4M3FNUZ, FloatFormat::kE5M2FNUZ}) {
    const int type = OnnxTypeOf(f);
    const std::string model = OneNodeModel("Cast", {"x"}, {},
                                           {IntAttribute("to", kOnnxFloat)},
                                           kOnnxFloat, 256, type);
    const std::vector<uint8_t> bytes = ort->Run(model, codes.data(), 256, 256, type, 1024);
    std::vector<float> want(256), got(256);
    memcpy(want.data(), bytes.data(), 1024);
    FloatCodeSpec spec;
    spec.format = f;
    const float one = 1.0f;
    DecodeFloat(codes.data(), Layout::PerTensor(256), &one, spec, got.data());
    for (int c = 0; c < 256; ++c) {
      ASSERT_TRUE(Same(got[c], want[c])) << FloatFormatName(f) << " code " << c
                                         << ": " << got[c] << " vs " << want[c];
    }
  }
}

// ---------------------------------------------------------------------------
// Bad input

template <class F>
void ExpectError(const F& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << fragment;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(FloatCodesTest, BadInputThrows) {
  const float x[40] = {};
  uint8_t codes[40];
  float y[40];
  const float one = 1.0f;
  const Layout layout = Layout::PerTensor(40);
  FloatCodeSpec spec;
  ExpectError([&] { EncodeFloat(static_cast<const float*>(nullptr), layout, &one, spec, codes); }, "x");
  ExpectError([&] { EncodeFloat(x, layout, &one, spec, nullptr); }, "codes");
  ExpectError([&] { EncodeFloat(x, layout, nullptr, spec, codes); }, "scales");
  for (float bad : {0.0f, -1.0f, NAN, INFINITY}) {
    ExpectError([&] { EncodeFloat(x, layout, &bad, spec, codes); }, "scales[0]");
    ExpectError([&] { DecodeFloat(codes, layout, &bad, spec, y); }, "scales[0]");
  }
  const Layout rows = Layout::PerRow(2, 20);
  const float two[2] = {1.0f, -2.0f};
  ExpectError([&] { EncodeFloat(x, rows, two, spec, codes); }, "scales[1]");
  FloatCodeSpec bad = spec;
  bad.format = static_cast<FloatFormat>(7);
  ExpectError([&] { EncodeFloat(x, layout, &one, bad, codes); }, "format = 7");
  ExpectError([&] { DecodeFloat(codes, layout, &one, bad, y); }, "format = 7");
  bad = spec;
  bad.overflow = static_cast<Overflow>(2);
  ExpectError([&] { EncodeFloat(x, layout, &one, bad, codes); }, "overflow = 2");
  bad = spec;
  bad.mode = static_cast<QuantizeMode>(9);
  ExpectError([&] { EncodeFloat(x, layout, &one, bad, codes); }, "mode");
  Layout broken = Layout::PerGroup(2, 20, 0);
  ExpectError([&] { EncodeFloat(x, broken, &one, spec, codes); }, "group_size");
  ExpectError([&] { MeasureFloatError(x, Layout::PerTensor(0), &one, spec); }, "MeasureFloatError");
  uint8_t scales[2];
  ExpectError([&] { EncodeMx(x, 1, 40, static_cast<MxFormat>(6), scales, codes); }, "format = 6");
  ExpectError([&] { EncodeMx(x, 1, 40, MxFormat::kMXFP4, scales, codes,
                             static_cast<MxScaleRule>(2)); }, "rule = 2");
  ExpectError([&] { EncodeMx(x, 1, 40, MxFormat::kMXFP4, nullptr, codes); }, "scales");
  ExpectError([&] { EncodeMx(x, SIZE_MAX, 40, MxFormat::kMXFP4, scales, codes); }, "overflow");
  ExpectError([&] { DecodeMx(scales, codes, 1, 40, MxFormat::kMXFP4, static_cast<float*>(nullptr)); }, "y");
  ExpectError([&] { MeasureMxError(x, 0, 40, MxFormat::kMXFP4); }, "MeasureMxError");
  for (float t : {0.0f, -1.0f, NAN, INFINITY}) {
    ExpectError([&] { EncodeNvFp4(x, 1, 40, t, scales, codes); }, "tensor_scale");
    ExpectError([&] { DecodeNvFp4(scales, codes, 1, 40, t, y); }, "tensor_scale");
  }
  for (float a : {-1.0f, NAN, INFINITY}) {
    ExpectError([&] { NvFp4TensorScale(a); }, "amax");
  }
  float with_nan[40] = {};
  with_nan[20] = NAN;
  uint8_t nv_scales[3];
  ExpectError([&] { EncodeNvFp4(with_nan, 1, 40, 1.0f, nv_scales, codes); }, "x[16]");
  float inf64[64] = {};
  inf64[40] = -INFINITY;  // whole blocks: the batched path
  uint8_t codes64[32], nv_scales4[4];
  ExpectError([&] { EncodeNvFp4(inf64, 2, 32, 1.0f, nv_scales4, codes64); }, "x[32]");
  // Empty tensors are no-ops.
  EncodeFloat(x, Layout::PerTensor(0), &one, spec, nullptr);
  EncodeMx(x, 0, 32, MxFormat::kMXFP4, nullptr, nullptr);
}

SIMDQUANT_INSTANTIATE_PER_TARGET(FloatCodesTargetTest);

}  // namespace
}  // namespace test
}  // namespace simdquant
