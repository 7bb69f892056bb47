// Code ranges and parameter choice: golden values worked out by hand (and
// agreeing with torch's MinMaxObserver), and every bad input.
#include <float.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "simdquant/simdquant.h"

namespace simdquant {
namespace {

constexpr Signedness kU = Signedness::kUnsigned;
constexpr Signedness kS = Signedness::kSigned;

TEST(CodeRangeTest, EveryBitWidth) {
  for (int bits = 1; bits <= 16; ++bits) {
    const CodeRange u = CodeRangeOf(bits, kU, false);
    EXPECT_EQ(u.min, 0);
    EXPECT_EQ(u.max, (1 << bits) - 1);
    if (bits < 2) continue;
    const CodeRange s = CodeRangeOf(bits, kS, false);
    EXPECT_EQ(s.min, -(1 << (bits - 1)));
    EXPECT_EQ(s.max, (1 << (bits - 1)) - 1);
    const CodeRange narrow = CodeRangeOf(bits, kS, true);
    EXPECT_EQ(narrow.min, -((1 << (bits - 1)) - 1));
    EXPECT_EQ(narrow.max, (1 << (bits - 1)) - 1);
  }
  EXPECT_EQ(CodeRangeOf(2, kS, true).min, -1);  // {-1, 0, 1}
  EXPECT_EQ(CodeRangeOf(2, kS, true).max, 1);
}

// Worked by hand in float32, as torch's MinMaxObserver computes:
//   scale = max((hi - lo) / (qmax - qmin), eps), zp = qmin - round(lo / scale)
TEST(ChooseAsymmetricTest, GoldenValues) {
  struct Case {
    float min, max;
    int bits;
    Signedness s;
    float scale;
    int32_t zero_point;
  };
  const Case cases[] = {
      // [-3, 2]: scale 5/255, -3 / scale = -153 exactly.
      {-3.0f, 2.0f, 8, kU, 0.019607844f, 153},
      // All negative: the range extends up to 0; -4 / (4/255) = -254.99998.
      {-4.0f, -1.0f, 8, kU, 0.015686275f, 255},
      // All positive: extends down to 0, zero point at qmin.
      {1.0f, 5.0f, 8, kU, 0.019607844f, 0},
      {1.0f, 5.0f, 8, kS, 0.019607844f, -128},
      // [-1, 1]: -1 / (2/255) = -127.49999 in float32 rounds to -127, so
      // quint8 gets 127 and qint8 -1 (torch gives the same).
      {-1.0f, 1.0f, 8, kU, 0.007843138f, 127},
      {-1.0f, 1.0f, 8, kS, 0.007843138f, -1},
      // All zero (and any constant 0): scale floors at FLT_EPSILON.
      {0.0f, 0.0f, 8, kU, FLT_EPSILON, 0},
      {0.0f, 0.0f, 8, kS, FLT_EPSILON, -128},
      // Constant 3: range [0, 3].
      {3.0f, 3.0f, 8, kU, 3.0f / 255.0f, 0},
      // 4 bits: [-1, 2] -> scale 3/15 = 0.2, -1 / 0.2 = -5 -> zp 5.
      {-1.0f, 2.0f, 4, kU, 0.2f, 5},
      // 1 bit: [-1, 1] -> scale 2, -1/2 = -0.5 rounds to even 0 -> zp 0.
      {-1.0f, 1.0f, 1, kU, 2.0f, 0},
      // The first seed notebook's array.
      {-20.0944f, 194.7485f, 8, kU, 0.8425212f, 24},
  };
  for (const Case& c : cases) {
    const QuantParams p = ChooseAsymmetricParams(c.min, c.max, c.bits, c.s);
    EXPECT_EQ(p.scale, c.scale) << c.min << " " << c.max;
    EXPECT_EQ(p.zero_point, c.zero_point) << c.min << " " << c.max;
    EXPECT_EQ(p.bits, c.bits);
    EXPECT_EQ(p.signedness, c.s);
    EXPECT_NO_THROW(ValidateParams(p));
  }
  const QuantParams narrow = ChooseAsymmetricParams(-1.0f, 1.0f, 8, kS, true);
  EXPECT_EQ(narrow.scale, 2.0f / 254.0f);
  EXPECT_EQ(narrow.zero_point, 0);
  EXPECT_TRUE(narrow.narrow_range);
}

TEST(ChooseSymmetricTest, GoldenValues) {
  QuantParams p = ChooseSymmetricParams(-1.0f, 0.5f, 8);
  EXPECT_EQ(p.scale, 1.0f / 127.0f);
  EXPECT_EQ(p.zero_point, 0);
  EXPECT_EQ(p.signedness, kS);
  p = ChooseSymmetricParams(-0.25f, 3.5f, 4);
  EXPECT_EQ(p.scale, 0.5f);  // 3.5 / 7
  p = ChooseSymmetricParams(-3.5f, 0.0f, 4, true);
  EXPECT_EQ(p.scale, 0.5f);  // narrow range keeps qmax = 7
  EXPECT_TRUE(p.narrow_range);
  p = ChooseSymmetricParams(0.0f, 0.0f, 8);
  EXPECT_EQ(p.scale, FLT_EPSILON);
  p = ChooseSymmetricParams(-20.0944f, 194.7485f, 8);  // seed notebook
  EXPECT_EQ(p.scale, 1.5334527f);
  p = ChooseSymmetricParams(-1.0f, 1.0f, 2);  // qmax = 1
  EXPECT_EQ(p.scale, 1.0f);
}

// Subnormal scales are valid (positive and finite).
TEST(ValidateParamsTest, SubnormalScaleIsValid) {
  QuantParams p;
  p.scale = 1e-45f;
  EXPECT_NO_THROW(ValidateParams(p));
}

}  // namespace
}  // namespace simdquant
