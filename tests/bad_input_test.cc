// Every bad input of every public function, one test per row of the README's
// "Bad input" table: each call must throw std::invalid_argument whose message
// names the function and the parameter (and the value where there is one).
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"
#include "simdquant/tensor.h"

namespace simdquant {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Row {
  std::string name;  // the test's name
  std::vector<std::function<void()>> calls;  // each must throw
  std::string message;  // a fragment every message contains
};

QuantParams With(void (*edit)(QuantParams&)) {
  QuantParams p;
  edit(p);
  return p;
}

// Where QuantizeDynamic may write three sets of float32 parameters.
GroupParamsOut ThreeSets() {
  static float scales[3];
  static int32_t zero_points[3];
  GroupParamsOut out;
  out.scales = scales;
  out.zero_points = zero_points;
  return out;
}

std::vector<Row> Rows() {
  static const float x[3] = {1.0f, -2.0f, 3.0f};
  static const float x_nan[3] = {1.0f, kNaN, 3.0f};
  static const float x_inf[3] = {1.0f, kInf, 3.0f};
  static uint8_t q8[3];
  static int8_t qi8[3];
  static int16_t qi16[3];
  static float y[3];
  const QuantParams ok;
  const QuantSpec spec;
  return {
      {"BitsOutOfRange",
       {[] { CodeRangeOf(0, Signedness::kUnsigned, false); },
        [] { CodeRangeOf(17, Signedness::kUnsigned, false); },
        [] { CodeRangeOf(1, Signedness::kSigned, false); },
        [] { ValidateParams(With([](QuantParams& p) { p.bits = -3; })); },
        [] { Quantize(x, 3, With([](QuantParams& p) { p.bits = 17; }), q8); },
        [] { Dequantize(q8, 3, With([](QuantParams& p) { p.bits = 0; }), y); },
        [] { MeasureError(x, 3, With([](QuantParams& p) { p.bits = 99; })); },
        [] { ChooseAsymmetricParams(-1, 1, 0); },
        [] { ChooseSymmetricParams(-1, 1, 1); },
        [] { QuantSpec s; s.bits = 20; CalibrateMse(x, 3, s); }},
       "bits = "},
      {"SignednessNotAnEnumerator",
       {[] { CodeRangeOf(8, static_cast<Signedness>(7), false); },
        [] { ChooseAsymmetricParams(-1, 1, 8, static_cast<Signedness>(7)); }},
       "signedness = 7"},
      {"NarrowRangeWithUnsignedCodes",
       {[] { CodeRangeOf(8, Signedness::kUnsigned, true); },
        [] { ChooseAsymmetricParams(-1, 1, 8, Signedness::kUnsigned, true); },
        [] { Quantize(x, 3, With([](QuantParams& p) { p.narrow_range = true; }),
                      q8); }},
       "narrow_range = true needs signed codes"},
      {"ScaleZeroNegativeNaNOrInfinite",
       {[] { ValidateParams(With([](QuantParams& p) { p.scale = 0.0f; })); },
        [] { Quantize(x, 3, With([](QuantParams& p) { p.scale = -1.0f; }), q8); },
        [] { Dequantize(q8, 3, With([](QuantParams& p) { p.scale = kNaN; }), y); },
        [] { MeasureError(x, 3, With([](QuantParams& p) { p.scale = kInf; })); }},
       "scale = "},
      {"ZeroPointOutsideCodeRange",
       {[] { ValidateParams(With([](QuantParams& p) { p.zero_point = 256; })); },
        [] { Quantize(x, 3, With([](QuantParams& p) { p.zero_point = -1; }), q8); },
        [] { Dequantize(q8, 3, With([](QuantParams& p) { p.zero_point = 300; }),
                        y); },
        [] { MeasureError(x, 3, With([](QuantParams& p) { p.zero_point = -9; })); }},
       "zero_point = "},
      {"ContainerTooNarrow",
       {[ok] { Quantize(x, 3, ok, qi8); },  // 8-bit unsigned codes in int8_t
        [] { Quantize(x, 3, With([](QuantParams& p) { p.bits = 9; }), q8); },
        [] { Dequantize(qi16, 3, With([](QuantParams& p) { p.bits = 16; }), y); },
        [] {
          Quantize(x, 3, With([](QuantParams& p) {
                     p.signedness = Signedness::kSigned;
                   }),
                   q8);
        },
        [ok] { Quantize(x, Layout::PerTensor(3), GroupParams::Of(ok), qi8); },
        [] {
          QuantSpec s;
          s.bits = 12;
          QuantizeDynamic(x, Layout::PerRow(3, 1), s, ThreeSets(), q8);
        }},
       "cannot hold the code range"},
      {"ModeNotAnEnumerator",
       {[ok] { Quantize(x, 3, ok, q8, static_cast<QuantizeMode>(5)); },
        [ok] { MeasureError(x, 3, ok, static_cast<QuantizeMode>(5)); },
        [] { QuantSpec s; s.mode = static_cast<QuantizeMode>(5); CalibrateMse(x, 3, s); }},
       "mode = 5"},
      {"NullPointerWithNonZeroLength",
       {[] { MinMax(nullptr, 3); },
        [] { AbsMax(nullptr, 3); },
        [ok] { Quantize(nullptr, 3, ok, q8); },
        [ok] { Quantize(x, 3, ok, static_cast<uint8_t*>(nullptr)); },
        [ok] { Dequantize(static_cast<const uint8_t*>(nullptr), 3, ok, y); },
        [ok] { Dequantize(q8, 3, ok, nullptr); },
        [ok] { MeasureError(nullptr, 3, ok); },
        [] { PercentileRange(nullptr, 3, 1, 99); },
        [spec] { CalibrateMinMax(nullptr, 3, spec); },
        [ok] {
          Quantize(static_cast<const float*>(nullptr), Layout::PerTensor(3),
                   GroupParams::Of(ok), q8);
        },
        [ok] {
          DequantizePacked(static_cast<const uint8_t*>(nullptr),
                           Layout::PerRow(1, 3), GroupParams::Of(ok), y);
        },
        [] { Pack(static_cast<const uint8_t*>(nullptr), 3, 4, q8); },
        [] { Unpack(q8, 3, 4, static_cast<int8_t*>(nullptr)); }},
       "is null but n = 3"},
      {"EmptyInputWhereAResultIsNeeded",
       {[] { MinMax(x, 0); },
        [] { AbsMax(x, 0); },
        [ok] { MeasureError(x, 0, ok); },
        [] { PercentileRange(x, 0, 1, 99); },
        [spec] { CalibrateMse(x, 0, spec); },
        [spec] { CalibratePercentile(x, 0, 99.9, spec); }},
       "n = 0"},
      {"RangeNotFinite",
       {[] { ChooseAsymmetricParams(kNaN, 1, 8); },
        [] { ChooseAsymmetricParams(-1, kInf, 8); },
        [] { ChooseSymmetricParams(-kInf, 1, 8); }},
       "is not finite"},
      {"RangeMinAboveMax",
       {[] { ChooseAsymmetricParams(2, 1, 8); },
        [] { ChooseSymmetricParams(2, 1, 8); }},
       "min = 2 > max = 1"},
      {"RangeTooWideForFloat",
       {[] { ChooseAsymmetricParams(-3e38f, 3e38f, 8); }},
       "overflows float32"},
      {"NaNInData",
       {[] { PercentileRange(x_nan, 3, 1, 99); },
        [spec] { CalibrateMinMax(x_nan, 3, spec); },
        [spec] { CalibrateMse(x_nan, 3, spec); },
        [spec] { CalibratePercentile(x_nan, 3, 99.9, spec); }},
       "x contains NaN"},
      {"InfinityInDataForRangeCalibrators",
       {[spec] { CalibrateMinMax(x_inf, 3, spec); },
        [spec] { CalibrateMse(x_inf, 3, spec); }},
       "x contains an infinity"},
      {"PercentileOutsideRangeOrNaN",
       {[] { PercentileRange(x, 3, -1, 99); },
        [] { PercentileRange(x, 3, 1, 100.5); },
        [] { PercentileRange(x, 3, std::nan(""), 99); }},
       "is outside [0, 100]"},
      {"LowerPercentileAboveUpper",
       {[] { PercentileRange(x, 3, 60, 40); }},
       "lower_pct = 60"},
      {"CalibrationPercentileBelowFifty",
       {[spec] { CalibratePercentile(x, 3, 40.0, spec); }},
       "pct = 40"},
      {"SymmetricSchemeWithUnsignedCodes",
       {[] {
         QuantSpec s;
         s.scheme = Scheme::kSymmetric;
         ParamsForRange(-1, 1, s);
       }},
       "symmetric quantization needs signed codes"},
      {"SchemeNotAnEnumerator",
       {[] {
         QuantSpec s;
         s.scheme = static_cast<Scheme>(9);
         ParamsForRange(-1, 1, s);
       }},
       "scheme = 9"},
      {"LayoutInvalid",
       {[] { ValidateLayout(Layout::PerRow(SIZE_MAX / 2, 3)); },
        [] { ValidateLayout(Layout::PerGroup(2, 64, 0)); },
        [] { ValidateLayout(Layout{2, 5, Granularity::kPerTensor, 0}); },
        [] { ValidateLayout(Layout{2, 5, Granularity::kPerRow, 4}); },
        [] { ValidateLayout(Layout{2, 5, static_cast<Granularity>(7), 0}); },
        [] {
          QuantParams p;
          Quantize(x, Layout::PerGroup(1, 3, 0), GroupParams::Of(p), q8);
        }},
       "layout."},
      {"ScalesNotExactlyOneArray",
       {[] {
          GroupParams p;  // neither scales nor scales_f16
          Quantize(x, Layout::PerTensor(3), p, q8);
        },
        [] {
          static const float s = 1.0f;
          static const hwy::float16_t s16 = {0x3C00};
          GroupParams p;
          p.scales = &s;
          p.scales_f16 = &s16;
          Dequantize(q8, Layout::PerTensor(3), p, y);
        },
        [] {
          QuantSpec qs;
          QuantizeDynamicPacked(x, Layout::PerTensor(3), qs,
                                GroupParamsOut(), q8);
        }},
       "exactly one of"},
      {"BadParameterSetOfALayout",
       {[] {
          const float scales[3] = {1.0f, 0.0f, 1.0f};
          GroupParams p;
          p.scales = scales;
          Quantize(x, Layout::PerColumn(1, 3), p, q8);
        },
        [] {
          const float scales[3] = {1.0f, 1.0f, 1.0f};
          const int32_t zps[3] = {0, 0, 300};
          GroupParams p;
          p.scales = scales;
          p.zero_points = zps;
          Dequantize(q8, Layout::PerGroup(1, 3, 1), p, y);
        }},
       "parameter set "},
      {"PackedBitsOutOfRange",
       {[] { Pack(q8, 3, 0, q8); },
        [] { Pack(qi8, 3, 1, q8); },  // signed codes need 2 bits
        [] { Unpack(q8, 3, 9, q8); },
        [] {
          static const QuantParams twelve =
              With([](QuantParams& q) { q.bits = 12; });
          QuantizePacked(x, Layout::PerTensor(3), GroupParams::Of(twelve), q8);
        }},
       "for packed"},
      {"CodeOutsidePackedWidth",
       {[] {
          const uint8_t codes[3] = {1, 16, 2};
          uint8_t packed[2];
          Pack(codes, 3, 4, packed);
        },
        [] {
          const int8_t codes[3] = {1, -9, 2};
          uint8_t packed[2];
          Pack(codes, 3, 4, packed);
        }},
       "-bit range"},
      {"GroupRangeNotFinite",
       {[] {
          QuantSpec qs;
          QuantizeDynamic(x_nan, Layout::PerGroup(1, 3, 1), qs, ThreeSets(), q8);
        },
        [] {
          QuantSpec qs;
          QuantizeDynamicPacked(x_inf, Layout::PerColumn(1, 3), qs, ThreeSets(), q8);
        }},
       "not finite"},
      {"Float16ScaleOverflow",
       {[] {
          static const float big[2] = {0.0f, 1e8f};
          QuantSpec qs;
          hwy::float16_t scale;
          int32_t zp;
          GroupParamsOut out;
          out.scales_f16 = &scale;
          out.zero_points = &zp;
          QuantizeDynamic(big, Layout::PerTensor(2), qs, out, q8);
        }},
       "overflows float16"},
      {"ZeroPointsMissingForAsymmetric",
       {[] {
          QuantSpec qs;
          float scales[3];
          GroupParamsOut out;
          out.scales = scales;
          QuantizeDynamic(x, Layout::PerRow(3, 1), qs, out, q8);
        }},
       "out.zero_points is null"},
      {"EmptyLayoutWhereARangeIsNeeded",
       {[] {
          MinMaxResult r[1];
          MinMax(x, Layout::PerRow(0, 3), r);
        },
        [] {
          MinMaxResult r[3];
          MinMax(x, Layout::PerColumn(3, 0), r);
        }},
       "the layout has no elements"},
      {"UnknownTarget",
       {[] { RestrictToTarget("NEON"); }},
       "is not available; available:"},
      {"ReferenceChecksTheSame",
       {[] { reference::MinMax(x, 0); },
        [ok] { reference::Quantize(x, 3, ok, qi8); },
        [] { reference::Dequantize(q8, 3, With([](QuantParams& p) { p.scale = 0; }),
                                   y); },
        [] { reference::PercentileRange(x_nan, 3, 1, 99); },
        [] {
          GroupParams p;
          reference::Quantize(x, Layout::PerTensor(3), p, q8);
        }},
       "simdquant::reference::"},
  };
}

class BadInputTest : public ::testing::TestWithParam<Row> {};

TEST_P(BadInputTest, ThrowsInvalidArgumentNamingTheParameter) {
  const Row& row = GetParam();
  for (size_t i = 0; i < row.calls.size(); ++i) {
    try {
      row.calls[i]();
      ADD_FAILURE() << "call " << i << " did not throw";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(row.message), std::string::npos)
          << "call " << i << ": \"" << e.what() << "\" lacks \"" << row.message
          << "\"";
      EXPECT_EQ(std::string(e.what()).rfind("simdquant::", 0), 0u) << e.what();
    }
  }
}

struct RowName {
  std::string operator()(const ::testing::TestParamInfo<Row>& row) const {
    return row.param.name;
  }
};
INSTANTIATE_TEST_SUITE_P(Rows, BadInputTest, ::testing::ValuesIn(Rows()),
                         RowName());

// Zero elements with null pointers are fine where no result is needed.
TEST(BadInputNot, ZeroLengthWithNullIsANoOp) {
  const QuantParams ok;
  EXPECT_NO_THROW(Quantize(nullptr, 0, ok, static_cast<uint8_t*>(nullptr)));
  EXPECT_NO_THROW(Dequantize(static_cast<const int16_t*>(nullptr), 0,
                             ChooseSymmetricParams(-1, 1, 16), nullptr));
}

// The full messages, for the README's examples.
TEST(BadInputMessages, Examples) {
  QuantParams p;
  p.scale = -2.0f;
  uint8_t q;
  const float x = 1.0f;
  try {
    Quantize(&x, 1, p, &q);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "simdquant::Quantize: scale = -2 is not finite and > 0");
  }
  int8_t qi;
  try {
    Quantize(&x, 1, QuantParams(), &qi);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "simdquant::Quantize: container int8_t cannot hold the code "
                 "range [0, 255] of 8-bit unsigned codes");
  }
}

// Each message names the public function called (not a helper it uses), the
// parameter set where there are several, and values with all their digits.
TEST(BadInputMessages, NameTheFunctionCalledAndTheValue) {
  const auto what = [](const std::function<void()>& call) -> std::string {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  const float max = std::numeric_limits<float>::max();
  const float wide[2] = {-max, max};
  const std::string too_wide =
      "the range [-3.40282347e+38, 3.40282347e+38] is too wide: its scale "
      "overflows float32";
  const QuantSpec spec;
  EXPECT_EQ(what([&] { CalibrateMinMax(wide, 2, spec); }),
            "simdquant::CalibrateMinMax: " + too_wide);
  EXPECT_EQ(what([&] { CalibrateMse(wide, 2, spec); }),
            "simdquant::CalibrateMse: " + too_wide);
  EXPECT_EQ(what([&] { CalibratePercentile(wide, 2, 100.0, spec); }),
            "simdquant::CalibratePercentile: " + too_wide);
  EXPECT_EQ(what([&] { ParamsForRange(-max, max, spec); }),
            "simdquant::ParamsForRange: " + too_wide);
  const float x_nan[2] = {1.0f, kNaN};
  EXPECT_EQ(what([&] { CalibratePercentile(x_nan, 2, 99.0, spec); }),
            "simdquant::CalibratePercentile: x contains NaN");

  // The second of three groups spans the float range.
  const float x[6] = {1.0f, 2.0f, -max, max, 3.0f, 4.0f};
  const Layout groups = Layout::PerGroup(1, 6, 2);
  uint8_t q[6];
  EXPECT_EQ(what([&] { QuantizeDynamic(x, groups, spec, ThreeSets(), q); }),
            "simdquant::QuantizeDynamic: parameter set 1: " + too_wide);
  QuantSpec four = spec;
  four.bits = 4;
  EXPECT_EQ(
      what([&] { QuantizeDynamicPacked(x, groups, four, ThreeSets(), q); }),
      "simdquant::QuantizeDynamicPacked: parameter set 1: " + too_wide);
  const float x_inf[6] = {1.0f, 2.0f, 3.0f, 4.0f, kInf, 4.0f};
  EXPECT_EQ(what([&] { QuantizeDynamic(x_inf, groups, spec, ThreeSets(), q); }),
            "simdquant::QuantizeDynamic: parameter set 2: range [4, inf] is "
            "not finite");

  // A bad signedness gets its own message with a symmetric spec too.
  QuantSpec bad_sign;
  bad_sign.scheme = Scheme::kSymmetric;
  bad_sign.signedness = static_cast<Signedness>(7);
  EXPECT_EQ(what([&] { ParamsForRange(-1.0f, 1.0f, bad_sign); }),
            "simdquant::ParamsForRange: signedness = 7 is neither kUnsigned "
            "nor kSigned");

  // Percentiles with all their digits: never "-0.000000" or "100.000000".
  const float three[3] = {1.0f, 2.0f, 3.0f};
  EXPECT_EQ(what([&] { PercentileRange(three, 3, -1e-300, 50.0); }),
            "simdquant::PercentileRange: percentile -1e-300 is outside [0, "
            "100]");
  EXPECT_EQ(what([&] { PercentileRange(three, 3, 0.0, 100.0 + 1e-12); }),
            "simdquant::PercentileRange: percentile 100.00000000000099 is "
            "outside [0, 100]");
  EXPECT_EQ(what([&] { CalibratePercentile(three, 3, 100.0 + 1e-12, spec); }),
            "simdquant::CalibratePercentile: pct = 100.00000000000099 is "
            "outside [50, 100]");
}

}  // namespace
}  // namespace simdquant
