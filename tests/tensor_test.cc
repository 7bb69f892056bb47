// Per-channel and per-group kernels against the reference, on every target:
// ranges, quantize (containers and packed), dynamic quantize, dequantize;
// float, bfloat16 and float16 tensors; shapes from 1 x 1 to rows longer than
// several vectors, groups that do not divide the row.
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/tensor.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

class TensorTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(TensorTest);

std::string Describe(const Layout& l) {
  const char* names[] = {"tensor", "row", "column", "group"};
  return std::to_string(l.rows) + "x" + std::to_string(l.cols) + " per " +
         names[static_cast<int>(l.granularity)] +
         (l.group_size ? " G=" + std::to_string(l.group_size) : "");
}

// Every granularity over shapes including 1 x 1, rows shorter than a
// vector, rows of a few vectors plus a tail, and groups that do not divide
// the row (or are longer than it).
std::vector<Layout> Layouts() {
  std::vector<Layout> layouts;
  const size_t shapes[][2] = {{1, 1},  {1, 7},   {3, 5},  {2, 16}, {4, 17},
                              {5, 33}, {3, 100}, {7, 64}, {2, 257}};
  for (const auto& s : shapes) {
    const size_t rows = s[0], cols = s[1];
    layouts.push_back(Layout::PerTensor(rows * cols));
    layouts.push_back(Layout::PerRow(rows, cols));
    layouts.push_back(Layout::PerColumn(rows, cols));
    for (size_t g : {size_t{1}, size_t{3}, size_t{8}, size_t{32},
                     size_t{128}}) {
      layouts.push_back(Layout::PerGroup(rows, cols, g));
    }
  }
  return layouts;
}

// Weights-like values with special values sprinkled in; without
// `with_nan`, only those dynamic quantization accepts (finite, and not so
// large that the range overflows a float scale).
std::vector<float> Values(size_t n, uint32_t seed, bool with_nan) {
  std::vector<float> x = NormalWithOutliers(n, seed, 0.5f);
  std::vector<float> special = SpecialValues();
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; i += 1 + rng() % 11) {
    const float s = special[rng() % special.size()];
    if (!with_nan && !(std::fabs(s) < 1e30f)) continue;
    x[i] = s;
  }
  return x;
}

template <typename T>
std::vector<T> Narrowed(const std::vector<float>& x) {
  std::vector<T> out(x.size());
  std::transform(x.begin(), x.end(), out.begin(), reference::FromF32<T>);
  return out;
}

// Random parameter sets for a layout: scales log-uniform over several
// decades, zero points anywhere in the code range.
struct RandomParams {
  RandomParams(const Layout& layout, int bits, Signedness s, bool narrow,
               bool f16_scales, uint32_t seed) {
    std::mt19937 rng(seed);
    const CodeRange r = CodeRangeOf(bits, s, narrow);
    const size_t count = layout.NumParams();
    scales.resize(count);
    scales_f16.resize(count);
    zero_points.resize(count);
    for (size_t k = 0; k < count; ++k) {
      const float scale =
          std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000.0f,
                     static_cast<int>(rng() % 16) - 12);
      scales_f16[k] = reference::F16FromF32(scale);
      scales[k] = f16_scales ? reference::F32FromF16(scales_f16[k]) : scale;
      zero_points[k] =
          r.min + static_cast<int32_t>(rng() % (static_cast<uint32_t>(
                                                     r.max - r.min) + 1));
    }
    params.bits = bits;
    params.signedness = s;
    params.narrow_range = narrow;
    params.zero_points = zero_points.data();
    if (f16_scales) {
      params.scales_f16 = scales_f16.data();
    } else {
      params.scales = scales.data();
    }
  }
  std::vector<float> scales;
  std::vector<hwy::float16_t> scales_f16;
  std::vector<int32_t> zero_points;
  GroupParams params;
};

struct Format {
  int bits;
  Signedness signedness;
  bool narrow;
};

template <typename T>
std::vector<Format> FormatsFor() {
  std::vector<Format> formats;
  const int max_bits = sizeof(T) * 8;
  for (int bits = 1; bits <= max_bits; ++bits) {
    if (sizeof(T) == 2 && bits < 9 && bits % 3 != 0) continue;  // 16-bit: few
    if (std::is_signed_v<T>) {
      if (bits >= 2) {
        formats.push_back({bits, Signedness::kSigned, false});
        formats.push_back({bits, Signedness::kSigned, true});
      }
    } else {
      formats.push_back({bits, Signedness::kUnsigned, false});
    }
  }
  return formats;
}

template <typename TIn, typename T>
void ExpectQuantizeMatches(const Layout& layout, uint32_t seed) {
  const size_t n = layout.NumElements();
  const std::vector<TIn> x = Narrowed<TIn>(Values(n, seed, true));
  for (const Format& f : FormatsFor<T>()) {
    for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
      const RandomParams rp(layout, f.bits, f.signedness, f.narrow,
                            seed % 2 == 0, seed + f.bits);
      Guarded<T> q(n, seed % 3);
      q.Poison();
      std::vector<T> expected(n);
      Quantize(x.data(), layout, rp.params, q.data(), mode);
      reference::Quantize(x.data(), layout, rp.params, expected.data(), mode);
      ASSERT_TRUE(q.GuardsIntact()) << Describe(layout);
      ASSERT_EQ(memcmp(q.data(), expected.data(), n * sizeof(T)), 0)
          << Describe(layout) << " bits " << f.bits;

      if (sizeof(T) != 1) continue;  // packed: the 8-bit formats
      const size_t bytes = PackedBytes(n, f.bits);
      Guarded<uint8_t> packed(bytes, seed % 3);
      packed.Poison();
      std::vector<uint8_t> expected_packed(bytes);
      QuantizePacked(x.data(), layout, rp.params, packed.data(), mode);
      reference::QuantizePacked(x.data(), layout, rp.params,
                                expected_packed.data(), mode);
      ASSERT_TRUE(packed.GuardsIntact()) << Describe(layout);
      ASSERT_EQ(memcmp(packed.data(), expected_packed.data(), bytes), 0)
          << Describe(layout) << " packed bits " << f.bits;
    }
  }
}

template <typename TIn>
void ExpectQuantizeMatchesForAllCodes(const Layout& layout, uint32_t seed) {
  ExpectQuantizeMatches<TIn, uint8_t>(layout, seed);
  ExpectQuantizeMatches<TIn, int8_t>(layout, seed);
  ExpectQuantizeMatches<TIn, uint16_t>(layout, seed);
  ExpectQuantizeMatches<TIn, int16_t>(layout, seed);
}

TEST_P(TensorTest, QuantizeMatchesReference) {
  uint32_t seed = 1;
  for (const Layout& layout : Layouts()) {
    ExpectQuantizeMatchesForAllCodes<float>(layout, seed++);
    ExpectQuantizeMatchesForAllCodes<hwy::float16_t>(layout, seed++);
    ExpectQuantizeMatchesForAllCodes<hwy::bfloat16_t>(layout, seed++);
  }
}

template <typename T, typename TOut>
void ExpectDequantizeMatches(const Layout& layout, uint32_t seed) {
  const size_t n = layout.NumElements();
  std::mt19937 rng(seed);
  for (const Format& f : FormatsFor<T>()) {
    const RandomParams rp(layout, f.bits, f.signedness, f.narrow,
                          seed % 2 == 1, seed + f.bits);
    const CodeRange r = CodeRangeOf(f.bits, f.signedness, f.narrow);
    std::vector<T> q(n);
    for (T& v : q) {
      v = static_cast<T>(r.min + static_cast<int32_t>(
                                     rng() % (static_cast<uint32_t>(
                                                  r.max - r.min) + 1)));
    }
    Guarded<TOut> y(n, seed % 3);
    y.Poison();
    std::vector<TOut> expected(n);
    Dequantize(q.data(), layout, rp.params, y.data());
    reference::Dequantize(q.data(), layout, rp.params, expected.data());
    ASSERT_TRUE(y.GuardsIntact()) << Describe(layout);
    ASSERT_EQ(memcmp(y.data(), expected.data(), n * sizeof(TOut)), 0)
        << Describe(layout) << " bits " << f.bits;

    if constexpr (sizeof(T) == 1) {
      std::vector<uint8_t> packed(PackedBytes(n, f.bits));
      reference::Pack(q.data(), n, f.bits, packed.data());
      Guarded<uint8_t> packed_in(packed.size(), 1);  // guard pages: no overread
      memcpy(packed_in.data(), packed.data(), packed.size());
      y.Poison();
      DequantizePacked(packed_in.data(), layout, rp.params, y.data());
      ASSERT_TRUE(y.GuardsIntact()) << Describe(layout);
      ASSERT_EQ(memcmp(y.data(), expected.data(), n * sizeof(TOut)), 0)
          << Describe(layout) << " packed bits " << f.bits;
    }
  }
}

template <typename TOut>
void ExpectDequantizeMatchesForAllCodes(const Layout& layout, uint32_t seed) {
  ExpectDequantizeMatches<uint8_t, TOut>(layout, seed);
  ExpectDequantizeMatches<int8_t, TOut>(layout, seed);
  ExpectDequantizeMatches<uint16_t, TOut>(layout, seed);
  ExpectDequantizeMatches<int16_t, TOut>(layout, seed);
}

TEST_P(TensorTest, DequantizeMatchesReference) {
  uint32_t seed = 100;
  for (const Layout& layout : Layouts()) {
    ExpectDequantizeMatchesForAllCodes<float>(layout, seed++);
    ExpectDequantizeMatchesForAllCodes<hwy::float16_t>(layout, seed++);
    ExpectDequantizeMatchesForAllCodes<hwy::bfloat16_t>(layout, seed++);
  }
}

template <typename TIn>
void ExpectMinMaxMatches(const Layout& layout, uint32_t seed) {
  for (bool with_nan : {false, true}) {
    const std::vector<TIn> x =
        Narrowed<TIn>(Values(layout.NumElements(), seed, with_nan));
    std::vector<MinMaxResult> ranges(layout.NumParams() + 1, {7.0f, 7.0f});
    std::vector<MinMaxResult> expected(layout.NumParams());
    MinMax(x.data(), layout, ranges.data());
    reference::MinMax(x.data(), layout, expected.data());
    for (size_t k = 0; k < expected.size(); ++k) {
      // Zeros may come out either sign (MinMax's contract): compare values.
      ASSERT_TRUE(SameFloat(ranges[k].min, expected[k].min) ||
                  ranges[k].min == expected[k].min)
          << Describe(layout) << " set " << k;
      ASSERT_TRUE(SameFloat(ranges[k].max, expected[k].max) ||
                  ranges[k].max == expected[k].max)
          << Describe(layout) << " set " << k;
    }
    ASSERT_EQ(ranges.back().min, 7.0f) << "wrote past NumParams()";
  }
}

TEST_P(TensorTest, MinMaxMatchesReference) {
  uint32_t seed = 200;
  for (const Layout& layout : Layouts()) {
    ExpectMinMaxMatches<float>(layout, seed++);
    ExpectMinMaxMatches<hwy::float16_t>(layout, seed++);
    ExpectMinMaxMatches<hwy::bfloat16_t>(layout, seed++);
  }
}

template <typename TIn, typename T>
void ExpectDynamicMatches(const Layout& layout, const QuantSpec& spec,
                          bool f16_scales, uint32_t seed) {
  const size_t n = layout.NumElements();
  const size_t count = layout.NumParams();
  const std::vector<TIn> x = Narrowed<TIn>(Values(n, seed, false));
  std::vector<float> scales(count, -1.0f), expected_scales(count, -2.0f);
  std::vector<hwy::float16_t> scales_f16(count), expected_f16(count);
  std::vector<int32_t> zps(count, -7), expected_zps(count, -8);
  GroupParamsOut out, expected_out;
  if (f16_scales) {
    out.scales_f16 = scales_f16.data();
    expected_out.scales_f16 = expected_f16.data();
  } else {
    out.scales = scales.data();
    expected_out.scales = expected_scales.data();
  }
  out.zero_points = zps.data();
  expected_out.zero_points = expected_zps.data();
  std::vector<T> q(n), expected_q(n);
  QuantizeDynamic(x.data(), layout, spec, out, q.data());
  reference::QuantizeDynamic(x.data(), layout, spec, expected_out,
                             expected_q.data());
  ASSERT_EQ(q, expected_q) << Describe(layout) << " bits " << spec.bits;
  ASSERT_EQ(zps, expected_zps) << Describe(layout);
  for (size_t k = 0; k < count; ++k) {
    if (f16_scales) {
      ASSERT_EQ(scales_f16[k].bits, expected_f16[k].bits) << Describe(layout);
    } else {
      ASSERT_EQ(BitsOf(scales[k]), BitsOf(expected_scales[k]))
          << Describe(layout);
    }
  }
  if (spec.bits > 8) return;
  std::vector<uint8_t> packed(PackedBytes(n, spec.bits));
  std::vector<uint8_t> expected_packed(packed.size());
  QuantizeDynamicPacked(x.data(), layout, spec, out, packed.data());
  reference::QuantizeDynamicPacked(x.data(), layout, spec, expected_out,
                                   expected_packed.data());
  ASSERT_EQ(packed, expected_packed) << Describe(layout) << " packed";
}

TEST_P(TensorTest, DynamicMatchesReference) {
  uint32_t seed = 300;
  for (const Layout& layout : Layouts()) {
    for (int bits : {2, 4, 8}) {
      QuantSpec asym;
      asym.bits = bits;
      QuantSpec sym;
      sym.bits = bits;
      sym.scheme = Scheme::kSymmetric;
      sym.signedness = Signedness::kSigned;
      sym.mode = QuantizeMode::kReciprocal;
      const bool f16 = seed % 2 == 0;
      ExpectDynamicMatches<float, uint8_t>(layout, asym, f16, seed++);
      ExpectDynamicMatches<hwy::bfloat16_t, int8_t>(layout, sym, !f16, seed++);
      ExpectDynamicMatches<hwy::float16_t, uint8_t>(layout, asym, !f16, seed++);
    }
    QuantSpec wide;
    wide.bits = 12;
    ExpectDynamicMatches<float, uint16_t>(layout, wide, false, seed++);
  }
}

// Random shapes and group sizes, every granularity, packed and container
// codes, float and float16 input.
TEST_P(TensorTest, RandomShapesMatchReference) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 40; ++trial) {
    const size_t rows = 1 + rng() % 9, cols = 1 + rng() % 150;
    const size_t g = 1 + rng() % (cols + 40);
    const Layout layouts[] = {Layout::PerTensor(rows * cols),
                              Layout::PerRow(rows, cols),
                              Layout::PerColumn(rows, cols),
                              Layout::PerGroup(rows, cols, g)};
    const Layout& layout = layouts[rng() % 4];
    const uint32_t seed = 1000 + static_cast<uint32_t>(trial);
    ExpectQuantizeMatches<float, uint8_t>(layout, seed);
    ExpectQuantizeMatches<hwy::float16_t, int8_t>(layout, seed);
    ExpectDequantizeMatches<uint8_t, hwy::bfloat16_t>(layout, seed);
    QuantSpec spec;
    spec.bits = 1 + static_cast<int>(rng() % 8);
    ExpectDynamicMatches<float, uint8_t>(layout, spec, trial % 2 == 0, seed);
  }
}

// Per-group kernels take groups of whole vectors in batches of 64 whole
// groups (parameters chosen or loaded in vectors across groups): layouts
// with full and short batches, back-to-back groups and rows whose last
// group is short, and groups of one, two, four and eight vectors on every
// target, against the reference for every container and spec.
std::vector<Layout> BatchLayouts() {
  std::vector<Layout> layouts;
  for (size_t g : {size_t{16}, size_t{32}, size_t{64}, size_t{128}}) {
    layouts.push_back(Layout::PerGroup(3, 64 * g + 5 * g, g));   // back to back
    layouts.push_back(Layout::PerGroup(2, 70 * g + 7, g));       // short last
    layouts.push_back(Layout::PerGroup(1, 64 * g, g));           // one batch
  }
  return layouts;
}

TEST_P(TensorTest, BatchedGroupsMatchReference) {
  uint32_t seed = 500;
  for (const Layout& layout : BatchLayouts()) {
    ExpectQuantizeMatches<float, uint8_t>(layout, seed++);
    ExpectQuantizeMatches<hwy::bfloat16_t, int8_t>(layout, seed++);
    ExpectDequantizeMatches<int8_t, float>(layout, seed++);
    ExpectDequantizeMatches<uint8_t, hwy::float16_t>(layout, seed++);
    for (bool f16 : {false, true}) {
      QuantSpec asym;
      asym.bits = 4;
      QuantSpec sym;  // ggml's Q8_0 with f16 scales
      sym.scheme = Scheme::kSymmetric;
      sym.signedness = Signedness::kSigned;
      sym.mode = QuantizeMode::kReciprocal;
      ExpectDynamicMatches<float, uint8_t>(layout, asym, f16, seed++);
      ExpectDynamicMatches<float, int8_t>(layout, sym, f16, seed++);
      ExpectDynamicMatches<hwy::float16_t, int8_t>(layout, sym, f16, seed++);
      QuantSpec sym_torch = sym;  // torch's divisor, 127.5
      sym_torch.symmetric_scale = SymmetricScale::kHalfCodeRange;
      ExpectDynamicMatches<float, int8_t>(layout, sym_torch, f16, seed++);
    }
  }
}

// Per column the parameters come through a bounded window (ColumnWindow):
// repeated columns crossing rows (3 and 8191 columns), all columns in one
// window (8193), and windows refilled along each row (16405: a last window
// of 21 columns; 40000), with float and float16 scales, packed codes whose
// blocks start mid-row, on every target; and narrow column ranges.
TEST_P(TensorTest, ColumnWindowsMatchReference) {
  uint32_t seed = 700;
  for (const Layout& layout :
       {Layout::PerColumn(3001, 3), Layout::PerColumn(2, 8191),
        Layout::PerColumn(3, 8193), Layout::PerColumn(2, 16405),
        Layout::PerColumn(2, 40000)}) {
    ExpectQuantizeMatches<float, uint8_t>(layout, seed++);
    ExpectQuantizeMatches<hwy::float16_t, int8_t>(layout, seed++);
    ExpectDequantizeMatches<uint8_t, float>(layout, seed++);
    ExpectDequantizeMatches<int16_t, hwy::bfloat16_t>(layout, seed++);
    QuantSpec asym;
    asym.bits = 3;
    QuantSpec sym;
    sym.scheme = Scheme::kSymmetric;
    sym.signedness = Signedness::kSigned;
    sym.mode = QuantizeMode::kReciprocal;
    ExpectDynamicMatches<float, uint8_t>(layout, asym, false, seed++);
    ExpectDynamicMatches<hwy::bfloat16_t, int8_t>(layout, sym, true, seed++);
  }
  // Column ranges of narrow tensors (fewer columns than lanes) fold rows of
  // columns x lanes elements: every remainder, with and without NaN.
  for (const Layout& layout :
       {Layout::PerColumn(3001, 3), Layout::PerColumn(37, 1),
        Layout::PerColumn(50, 5), Layout::PerColumn(16, 15),
        Layout::PerColumn(33, 7), Layout::PerColumn(4, 3)}) {
    ExpectMinMaxMatches<float>(layout, seed++);
    ExpectMinMaxMatches<hwy::float16_t>(layout, seed++);
    QuantSpec spec;
    spec.bits = 5;
    ExpectDynamicMatches<float, uint8_t>(layout, spec, false, seed++);
  }
}

// A bad group inside a batch (NaN, Inf, a range whose scale overflows
// float32 or float16) sends the batch to the per-group path: the same
// error as the reference, and every group before the bad one written as
// the reference writes it. Huge finite values whose sum overflows (the
// batch's finiteness test) must still quantize exactly.
TEST_P(TensorTest, BadGroupInABatchActsAsTheReference) {
  const size_t g = 32, rows = 2, cols = 100 * g;
  const Layout layout = Layout::PerGroup(rows, cols, g);
  const size_t n = rows * cols, count = layout.NumParams();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    float value;
    Scheme scheme;
    bool f16;
    bool throws;
  };
  const Case cases[] = {
      {std::numeric_limits<float>::quiet_NaN(), Scheme::kAsymmetric, false, true},
      {inf, Scheme::kSymmetric, true, true},
      {-inf, Scheme::kAsymmetric, true, true},
      {3e38f, Scheme::kAsymmetric, false, true},  // hi - lo overflows
      {1e7f, Scheme::kSymmetric, true, true},     // scale over 65504
      {3e38f, Scheme::kSymmetric, false, false},  // sum overflows only
  };
  for (const Case& c : cases) {
    for (size_t bad_group : {size_t{0}, size_t{37}, size_t{63}, size_t{64},
                             size_t{150}}) {
      std::vector<float> x = NormalWithOutliers(n, static_cast<uint32_t>(7 + bad_group));
      x[bad_group * g + 5] = c.value;
      if (c.value == 3e38f) {  // and a second one: -3e38 for a wide range
        x[bad_group * g + 9] = c.throws ? -3e38f : 3e38f;
      }
      QuantSpec spec;
      spec.scheme = c.scheme;
      spec.signedness = Signedness::kSigned;
      std::vector<int8_t> q(n, 11), want(n, 11);
      std::vector<float> scales(count, -1.0f), want_scales(count, -1.0f);
      std::vector<hwy::float16_t> f16(count), want_f16(count);
      std::vector<int32_t> zps(count, -1), want_zps(count, -1);
      GroupParamsOut out, want_out;
      out.zero_points = zps.data();
      want_out.zero_points = want_zps.data();
      if (c.f16) {
        out.scales_f16 = f16.data();
        want_out.scales_f16 = want_f16.data();
      } else {
        out.scales = scales.data();
        want_out.scales = want_scales.data();
      }
      std::string error, want_error;
      try {
        QuantizeDynamic(x.data(), layout, spec, out, q.data());
      } catch (const std::invalid_argument& e) {
        error = e.what();
      }
      try {
        reference::QuantizeDynamic(x.data(), layout, spec, want_out,
                                   want.data());
      } catch (const std::invalid_argument& e) {
        want_error = e.what();
      }
      const std::string what = "value " + std::to_string(c.value) +
                               " in group " + std::to_string(bad_group);
      ASSERT_EQ(!error.empty(), c.throws) << what << ": " << error;
      // The same message, naming the function called.
      const std::string prefix = "simdquant::reference::";
      if (want_error.compare(0, prefix.size(), prefix) == 0) {
        want_error = "simdquant::" + want_error.substr(prefix.size());
      }
      ASSERT_EQ(error, want_error) << what;
      if (c.throws) {
        EXPECT_NE(error.find("parameter set " + std::to_string(bad_group)),
                  std::string::npos) << error;
      }
      // On an error the reference has written no codes yet (it chooses every
      // set first); both have written the sets before the bad group.
      const size_t groups = c.throws ? bad_group : count;
      if (!c.throws) {
        ASSERT_EQ(memcmp(q.data(), want.data(), n), 0) << what;
      }
      ASSERT_TRUE(std::equal(zps.begin(), zps.begin() + groups,
                             want_zps.begin()))
          << what;
      for (size_t k = 0; k < groups; ++k) {
        ASSERT_EQ(c.f16 ? f16[k].bits : BitsOf(scales[k]),
                  c.f16 ? want_f16[k].bits : BitsOf(want_scales[k]))
            << what << " set " << k;
      }
    }
  }
}

// GroupParams::Of keeps pointers into its argument: a temporary would
// dangle, so it does not compile (checked here, at compile time).
template <typename T>
constexpr auto OfCompiles(int)
    -> decltype(GroupParams::Of(std::declval<T>()), bool()) {
  return true;
}
template <typename T>
constexpr bool OfCompiles(...) {
  return false;
}
static_assert(OfCompiles<const QuantParams&>(0), "lvalues bind");
static_assert(!OfCompiles<QuantParams>(0), "temporaries must not bind");

// A group larger than the row is one group per row, whatever its size:
// GPTQ's "group_size: -1" becomes SIZE_MAX after a cast, where
// ceil(cols / group_size) used to wrap to 0 sets (no parameter checked, one
// read per row past the arrays).
TEST_P(TensorTest, HugeGroupSizeIsOneGroupPerRow) {
  const size_t rows = 3, cols = 100;
  for (size_t g : {size_t{101}, size_t{1} << 63, SIZE_MAX - 15, SIZE_MAX}) {
    const Layout layout = Layout::PerGroup(rows, cols, g);
    ASSERT_EQ(layout.GroupsPerRow(), 1u) << g;
    ASSERT_EQ(layout.NumParams(), rows) << g;
    ASSERT_EQ(layout.ParamIndex(2, 99), 2u) << g;
    ExpectQuantizeMatches<float, uint8_t>(layout, 41);
    ExpectDequantizeMatches<int8_t, float>(layout, 42);
    ExpectMinMaxMatches<float>(layout, 43);
    if (HasFatalFailure()) return;

    // The same codes as per row, and every set is checked.
    const RandomParams rp(layout, 8, Signedness::kUnsigned, false, false, 44);
    const std::vector<float> x = Values(rows * cols, 45, true);
    std::vector<uint8_t> q(rows * cols), per_row(rows * cols);
    Quantize(x.data(), layout, rp.params, q.data());
    Quantize(x.data(), Layout::PerRow(rows, cols), rp.params, per_row.data());
    EXPECT_EQ(q, per_row) << g;
    std::vector<float> bad_scales = rp.scales;
    bad_scales[rows - 1] = -1.0f;
    GroupParams bad = rp.params;
    bad.scales = bad_scales.data();
    EXPECT_THROW(Quantize(x.data(), layout, bad, q.data()),
                 std::invalid_argument)
        << g;
  }
}

// The fused per-group path chooses what a user would by hand: the group's
// MinMax, then ChooseAsymmetricParams, then Quantize.
TEST_P(TensorTest, DynamicPerGroupEqualsTheManualSteps) {
  const size_t rows = 3, cols = 200, g = 64;
  const std::vector<float> x = NormalWithOutliers(rows * cols, 9);
  const Layout layout = Layout::PerGroup(rows, cols, g);
  std::vector<float> scales(layout.NumParams());
  std::vector<int32_t> zps(layout.NumParams());
  std::vector<uint8_t> q(rows * cols);
  QuantSpec spec;
  spec.bits = 4;
  GroupParamsOut out;
  out.scales = scales.data();
  out.zero_points = zps.data();
  QuantizeDynamic(x.data(), layout, spec, out, q.data());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c0 = 0; c0 < cols; c0 += g) {
      const size_t len = std::min(g, cols - c0);
      const float* group = x.data() + r * cols + c0;
      const MinMaxResult mm = MinMax(group, len);
      const QuantParams p = ChooseAsymmetricParams(mm.min, mm.max, 4);
      const size_t k = layout.ParamIndex(r, c0);
      ASSERT_EQ(scales[k], p.scale);
      ASSERT_EQ(zps[k], p.zero_point);
      std::vector<uint8_t> expected(len);
      Quantize(group, len, p, expected.data());
      ASSERT_EQ(memcmp(expected.data(), q.data() + r * cols + c0, len), 0);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace simdquant
