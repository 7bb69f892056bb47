// bfloat16 and float16 tensors: widening is exact and narrowing rounds to
// nearest even, on every target, bit for bit as the reference.
//
// The kernels are the probes: MinMax per column of a 1-row tensor returns
// each element widened, and Dequantize per column with codes +-1 and zero
// point 0 returns each column's scale (any positive finite float) narrowed.
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/tensor.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

class ConvertTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(ConvertTest);

float FromBits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof(f));
  return f;
}

template <typename T16>
std::vector<T16> AllPatterns() {
  std::vector<T16> all(65536);
  for (uint32_t b = 0; b < 65536; ++b) all[b].bits = static_cast<uint16_t>(b);
  return all;
}


template <typename T16>
void ExpectExactWidening() {
  const std::vector<T16> all = AllPatterns<T16>();
  std::vector<MinMaxResult> ranges(all.size());
  MinMax(all.data(), Layout::PerColumn(1, all.size()), ranges.data());
  for (uint32_t b = 0; b < 65536; ++b) {
    const float expected = reference::ToF32(all[b]);
    ASSERT_TRUE(SameFloat(ranges[b].min, expected))
        << std::hex << "pattern 0x" << b << ": " << ranges[b].min << " vs "
        << expected;
    ASSERT_TRUE(SameFloat(ranges[b].max, expected)) << std::hex << b;
  }
}

TEST_P(ConvertTest, F16WideningIsExactForAllPatterns) {
  ExpectExactWidening<hwy::float16_t>();
  // Spot checks of the reference itself.
  hwy::float16_t h;
  h.bits = 0x0001;  // smallest subnormal
  EXPECT_EQ(reference::F32FromF16(h), 0x1p-24f);
  h.bits = 0x7BFF;
  EXPECT_EQ(reference::F32FromF16(h), 65504.0f);
  h.bits = 0xFC00;
  EXPECT_EQ(reference::F32FromF16(h), -std::numeric_limits<float>::infinity());
  h.bits = 0x7E00;
  EXPECT_TRUE(std::isnan(reference::F32FromF16(h)));
}

TEST_P(ConvertTest, BF16WideningIsExactForAllPatterns) {
  ExpectExactWidening<hwy::bfloat16_t>();
}

// Floats that stress rounding to float16 and bfloat16: ties (to even, both
// directions), the overflow threshold, subnormal boundaries, powers of two,
// and random bit patterns of every exponent.
std::vector<float> NarrowingProbes() {
  std::vector<float> v;
  for (int e = -30; e <= 17; ++e) {  // float16 ties: 1 + k / 2048 at scale 2^e
    for (uint32_t k = 0; k < 8; ++k) {
      v.push_back(std::ldexp(1.0f + static_cast<float>(k) / 2048.0f, e));
      v.push_back(std::ldexp(1.0f + static_cast<float>(k) / 2048.0f +
                                 0x1p-20f, e));
    }
  }
  for (uint32_t k = 1; k < 8; ++k) {  // float16 subnormal ties: k / 2 * 2^-24
    v.push_back(static_cast<float>(k) * 0x1p-25f);
  }
  for (float f : {65504.0f, 65519.0f, 65519.996f, 65520.0f, 65536.0f, 1e10f,
                  0x1p-14f, 0x1.ff8p-15f, 0x1.ffcp-15f, 0x1p-24f, 0x1p-25f,
                  0x1.000002p-25f, std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::denorm_min(), 1e-40f,
                  FromBits(0x3F808000),    // bfloat16 tie, rounds to even
                  FromBits(0x3F818000),    // bfloat16 tie, rounds up
                  FromBits(0x7F7F8000),    // bfloat16 tie at the top: Inf
                  FromBits(0x7F7F7FFF)}) {  // just below: max bfloat16
    v.push_back(f);
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const float f = FromBits(rng() & 0x7FFFFFFF);
    if (std::isfinite(f) && f > 0.0f) v.push_back(f);
  }
  return v;
}

template <typename T16>
void ExpectNearestEvenNarrowing() {
  const std::vector<float> probes = NarrowingProbes();
  const size_t cols = probes.size();
  // Codes +1 and -1 (zero point 0): y = +-scale, exactly, before narrowing.
  std::vector<int8_t> q(2 * cols);
  for (size_t c = 0; c < cols; ++c) {
    q[c] = 1;
    q[cols + c] = -1;
  }
  GroupParams p;
  p.scales = probes.data();
  p.bits = 8;
  p.signedness = Signedness::kSigned;
  const Layout layout = Layout::PerColumn(2, cols);
  std::vector<T16> y(2 * cols), expected(2 * cols);
  Dequantize(q.data(), layout, p, y.data());
  reference::Dequantize(q.data(), layout, p, expected.data());
  for (size_t i = 0; i < 2 * cols; ++i) {
    ASSERT_EQ(y[i].bits, expected[i].bits)
        << std::hex << "value " << (i < cols ? 1 : -1) * probes[i % cols]
        << " (bits 0x" << test::BitsOf(probes[i % cols]) << ")";
  }
}

TEST_P(ConvertTest, F16NarrowingRoundsToNearestEven) {
  ExpectNearestEvenNarrowing<hwy::float16_t>();
  // Spot checks of the reference itself.
  EXPECT_EQ(reference::F16FromF32(1.0f + 0x1p-11f).bits, 0x3C00);  // tie down
  EXPECT_EQ(reference::F16FromF32(1.0f + 3 * 0x1p-11f).bits, 0x3C02);  // up
  EXPECT_EQ(reference::F16FromF32(65519.996f).bits, 0x7BFF);
  EXPECT_EQ(reference::F16FromF32(65520.0f).bits, 0x7C00);
  EXPECT_EQ(reference::F16FromF32(0x1p-25f).bits, 0x0000);  // tie to 0
  EXPECT_EQ(reference::F16FromF32(3 * 0x1p-25f).bits, 0x0002);
  EXPECT_EQ(reference::F16FromF32(-0.0f).bits, 0x8000);
}

TEST_P(ConvertTest, BF16NarrowingRoundsToNearestEven) {
  ExpectNearestEvenNarrowing<hwy::bfloat16_t>();
  EXPECT_EQ(reference::BF16FromF32(FromBits(0x3F808000)).bits, 0x3F80);
  EXPECT_EQ(reference::BF16FromF32(FromBits(0x3F818000)).bits, 0x3F82);
  EXPECT_EQ(reference::BF16FromF32(FromBits(0x7F7F8000)).bits, 0x7F80);
  EXPECT_EQ(reference::BF16FromF32(std::numeric_limits<float>::denorm_min())
                .bits,
            0x0000);
}

// The public array conversions (tensor.h): every 16-bit pattern widened, and
// the probes (both signs, NaN payloads of both signs, Inf) narrowed, bit for
// bit as the reference, at every length and misalignment with guards intact
// and the input untouched.
template <typename T16>
void ExpectArrayConversions() {
  const std::vector<T16> all = AllPatterns<T16>();
  std::vector<float> wide(all.size());
  ConvertToF32(all.data(), all.size(), wide.data());
  for (uint32_t b = 0; b < 65536; ++b) {
    ASSERT_EQ(BitsOf(wide[b]), BitsOf(reference::ToF32(all[b])))
        << std::hex << "pattern 0x" << b;
  }
  std::vector<float> probes = NarrowingProbes();
  const size_t positive = probes.size();
  for (size_t i = 0; i < positive; ++i) probes.push_back(-probes[i]);
  for (uint32_t nan : {0x7F800001u, 0x7FC00000u, 0x7FBFFFFFu, 0x7FFFE000u,
                       0xFF800001u, 0xFFC00001u, 0x7F801FFFu}) {
    probes.push_back(FromBits(nan));
  }
  probes.push_back(std::numeric_limits<float>::infinity());
  probes.push_back(-std::numeric_limits<float>::infinity());
  probes.push_back(-0.0f);
  std::vector<T16> narrow(probes.size());
  ConvertFromF32(probes.data(), probes.size(), narrow.data());
  for (size_t i = 0; i < probes.size(); ++i) {
    ASSERT_EQ(narrow[i].bits, reference::FromF32<T16>(probes[i]).bits)
        << std::hex << "float bits 0x" << BitsOf(probes[i]);
  }
  for (size_t n : Lengths()) {
    for (size_t offset : Offsets()) {
      Guarded<float> x(n, offset);
      Guarded<T16> y(n, offset);
      for (size_t i = 0; i < n; ++i) x[i] = probes[(i * 7919) % probes.size()];
      const std::vector<float> before(x.data(), x.data() + n);
      y.Poison();
      ConvertFromF32(x.data(), n, y.data());
      Guarded<float> back(n, offset);
      back.Poison();
      ConvertToF32(y.data(), n, back.data());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(y[i].bits, reference::FromF32<T16>(before[i]).bits)
            << "n " << n << " offset " << offset << " i " << i;
        ASSERT_EQ(BitsOf(back[i]), BitsOf(reference::ToF32(y[i])));
        ASSERT_EQ(BitsOf(x[i]), BitsOf(before[i]));
      }
      ASSERT_TRUE(x.GuardsIntact() && y.GuardsIntact() && back.GuardsIntact())
          << "n " << n << " offset " << offset;
    }
  }
}

TEST_P(ConvertTest, F16ArraysConvertAsTheReference) {
  ExpectArrayConversions<hwy::float16_t>();
}
TEST_P(ConvertTest, BF16ArraysConvertAsTheReference) {
  ExpectArrayConversions<hwy::bfloat16_t>();
}

TEST(ConvertArgsTest, NullPointersAreErrors) {
  float f[1] = {1.0f};
  hwy::bfloat16_t b[1];
  hwy::float16_t h[1];
  EXPECT_THROW(ConvertFromF32(nullptr, 1, b), std::invalid_argument);
  EXPECT_THROW(ConvertFromF32(f, 1, static_cast<hwy::float16_t*>(nullptr)),
               std::invalid_argument);
  EXPECT_THROW(ConvertToF32(static_cast<const hwy::bfloat16_t*>(nullptr), 1, f),
               std::invalid_argument);
  EXPECT_THROW(ConvertToF32(h, 1, nullptr), std::invalid_argument);
  // Nothing to convert: null is fine.
  EXPECT_NO_THROW(ConvertToF32(h, 0, nullptr));
}

// Infinity out of Dequantize (a product that overflows) narrows to Inf.
TEST_P(ConvertTest, OverflowingProductsNarrowToInfinity) {
  const int8_t q[2] = {2, -2};
  QuantParams p;
  p.scale = std::numeric_limits<float>::max();
  p.bits = 8;
  p.signedness = Signedness::kSigned;
  hwy::float16_t h[2];
  hwy::bfloat16_t b[2];
  Dequantize(q, Layout::PerTensor(2), GroupParams::Of(p), h);
  Dequantize(q, Layout::PerTensor(2), GroupParams::Of(p), b);
  EXPECT_EQ(h[0].bits, 0x7C00);
  EXPECT_EQ(h[1].bits, 0xFC00);
  EXPECT_EQ(b[0].bits, 0x7F80);
  EXPECT_EQ(b[1].bits, 0xFF80);
}

// NaN, Inf and subnormal inputs quantize from bf16 / f16 as from float.
TEST_P(ConvertTest, SpecialInputsQuantizeAsTheirFloatValues) {
  std::vector<float> values = SpecialValues();
  QuantParams p;
  p.scale = 0.01f;
  p.zero_point = 128;
  std::vector<hwy::float16_t> h(values.size());
  std::vector<hwy::bfloat16_t> b(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    h[i] = reference::F16FromF32(values[i]);
    b[i] = reference::BF16FromF32(values[i]);
  }
  const Layout layout = Layout::PerTensor(values.size());
  std::vector<uint8_t> qh(values.size()), qb(values.size());
  Quantize(h.data(), layout, GroupParams::Of(p), qh.data());
  Quantize(b.data(), layout, GroupParams::Of(p), qb.data());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(qh[i], reference::QuantizeOne(reference::F32FromF16(h[i]), p,
                                            QuantizeMode::kDivide))
        << values[i];
    EXPECT_EQ(qb[i], reference::QuantizeOne(reference::F32FromBF16(b[i]), p,
                                            QuantizeMode::kDivide))
        << values[i];
  }
  // NaN -> zero point, +-Inf -> the ends, as for float input.
  EXPECT_EQ(qh[4], 128);
  EXPECT_EQ(qb[2], 255);
  EXPECT_EQ(qb[3], 0);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
