// Divide mode's codes come from x * RN(1 / scale) wherever that provably
// gives the code of the correctly rounded quotient (lib/quantize-inl.h,
// FarFromHalfIntegers). The proof is checked here against the reference on every
// float32 x for a set of scales, and on ties and their neighbours for many
// scales. Named LargeTest: far too slow under the sanitizers, it runs in the
// plain builds.
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

class DivideLargeTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(DivideLargeTest);

template <typename T>
void ExpectCodesEqual(const std::vector<float>& x, const QuantParams& p) {
  std::vector<T> q(x.size()), want(x.size());
  Quantize(x.data(), x.size(), p, q.data(), QuantizeMode::kDivide);
  reference::Quantize(x.data(), x.size(), p, want.data(),
                      QuantizeMode::kDivide);
  if (memcmp(q.data(), want.data(), x.size() * sizeof(T)) == 0) return;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(int32_t{q[i]}, int32_t{want[i]})
        << "x=" << std::hexfloat << x[i] << " scale=" << p.scale
        << std::defaultfloat << " zp=" << p.zero_point;
  }
}

// Every float32 bit pattern (NaNs, infinities, subnormals included) with
// two scales whose reciprocals have large rounding errors (1/3, 1/0.1), on
// every target against one reference run per chunk; a sample with an exact
// reciprocal (0.5) and with scales outside [2^-126, 2^126], where the kernels
// divide everywhere. About 40 s on 2 cores.
TEST(DivideLargeTest, EveryFloatForASetOfScales) {
  struct Case {
    float scale;
    Signedness signedness;
    int32_t zero_point;
    uint64_t step;  // through the bit patterns
  };
  const Case cases[] = {{3.0f, Signedness::kUnsigned, 128, 1},
                        {0.1f, Signedness::kSigned, -3, 1},
                        {0.5f, Signedness::kUnsigned, 7, 4099},
                        {1e-39f, Signedness::kSigned, 5, 4099},
                        {1e38f, Signedness::kUnsigned, 200, 4099}};
  const size_t kChunk = size_t{1} << 20;
  std::vector<float> x(kChunk);
  std::vector<uint8_t> q(kChunk), want(kChunk);
  for (const Case& c : cases) {
    QuantParams p;
    p.scale = c.scale;
    p.zero_point = c.zero_point;
    p.signedness = c.signedness;
    const bool is_signed = c.signedness == Signedness::kSigned;
    const auto quantize = [&](bool reference, uint8_t* out) {
      if (is_signed) {
        int8_t* codes = reinterpret_cast<int8_t*>(out);
        return reference ? reference::Quantize(x.data(), kChunk, p, codes,
                                               QuantizeMode::kDivide)
                         : Quantize(x.data(), kChunk, p, codes,
                                    QuantizeMode::kDivide);
      }
      return reference ? reference::Quantize(x.data(), kChunk, p, out,
                                             QuantizeMode::kDivide)
                       : Quantize(x.data(), kChunk, p, out,
                                  QuantizeMode::kDivide);
    };
    for (uint64_t start = 0; start < (uint64_t{1} << 32);
         start += kChunk * c.step) {
      for (size_t i = 0; i < kChunk; ++i) {
        const uint32_t bits = static_cast<uint32_t>(start + i * c.step);
        memcpy(&x[i], &bits, sizeof(bits));
      }
      quantize(true, want.data());
      for (const Target& target : AvailableTargets()) {
        RestrictToTarget(target.name);
        quantize(false, q.data());
        RestrictToTarget("");
        if (memcmp(q.data(), want.data(), kChunk) == 0) continue;
        for (size_t i = 0; i < kChunk; ++i) {
          ASSERT_EQ(q[i], want[i])
              << target.name << " x=" << std::hexfloat << x[i]
              << " scale=" << p.scale << std::defaultfloat
              << " zp=" << p.zero_point;
        }
      }
    }
  }
}

// For random scales (wide range of exponents and mantissas): the float32
// values nearest to every tie (k + 1/2) * scale of the code range, four ulps
// either side, and random values; then again with special values among
// them.
TEST_P(DivideLargeTest, TiesAndNeighboursForManyScales) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-40, 20);
  std::normal_distribution<float> normal(0.0f, 100.0f);
  for (int trial = 0; trial < 2000; ++trial) {
    QuantParams p;
    p.scale = std::ldexp(mantissa(rng), exponent(rng));
    p.zero_point = trial % 256;
    std::vector<float> x;
    for (int k = -300; k <= 300; ++k) {
      float v = static_cast<float>((k + 0.5) * static_cast<double>(p.scale));
      for (int u = 0; u < 4; ++u) {
        v = std::nextafter(v, -std::numeric_limits<float>::infinity());
      }
      for (int u = 0; u < 9; ++u) {
        x.push_back(v);
        v = std::nextafter(v, std::numeric_limits<float>::infinity());
      }
    }
    for (int i = 0; i < 4096; ++i) x.push_back(normal(rng) * p.scale);
    ExpectCodesEqual<uint8_t>(x, p);
    if (::testing::Test::HasFatalFailure()) return;
    // A lane that cannot decide (NaN, +-Inf) must not hide the same lane of
    // a neighbouring vector near a tie (the fuzzer found that in an AVX2
    // version that took the largest distance with vmaxps): blocks of 64 zeros holding the value nearest each
    // tie and, 4, 8 or 16 elements on (the next vector of SSE, AVX2 or
    // AVX-512), a special value.
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
    std::vector<float> blocks;
    for (size_t k = 0; k < 601; ++k) {
      for (size_t next : {4, 8, 16}) {
        std::vector<float> block(64, 0.0f);
        block[k % 4] = x[k * 9 + 4];
        block[k % 4 + next] = specials[k % 3];
        blocks.insert(blocks.end(), block.begin(), block.end());
      }
    }
    ExpectCodesEqual<uint8_t>(blocks, p);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace test
}  // namespace simdquant
