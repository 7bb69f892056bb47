// Dequantize on every target against the reference: every code of every
// container, every length and offset, scales down to subnormal results.
#include <float.h>

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

template <typename T>
void CheckDequantize(const std::vector<T>& codes, const QuantParams& p,
                     size_t offset) {
  const size_t n = codes.size();
  Guarded<T> q(n, offset);
  for (size_t i = 0; i < n; ++i) q[i] = codes[i];
  Guarded<float> x(n, offset);
  x.Poison();
  Dequantize(q.data(), n, p, x.data());
  ASSERT_TRUE(x.GuardsIntact()) << "write outside output, n=" << n;
  for (size_t i = 0; i < n; ++i) {
    const float want = reference::DequantizeOne(codes[i], p);
    ASSERT_EQ(BitsOf(x[i]), BitsOf(want))
        << "i=" << i << " q=" << int32_t{codes[i]} << " got " << x[i]
        << " want " << want << " scale=" << p.scale
        << " zp=" << p.zero_point << " bits=" << p.bits;
    ASSERT_EQ(q[i], codes[i]) << "input modified at " << i;
  }
}

// Every value T can hold, in order (codes outside the code range too: the
// contract converts them as they are).
template <typename T>
std::vector<T> AllCodes() {
  std::vector<T> codes;
  for (int32_t v = std::numeric_limits<T>::min();
       v <= std::numeric_limits<T>::max(); ++v) {
    codes.push_back(static_cast<T>(v));
  }
  return codes;
}

template <typename T>
void CheckAllCodes(Signedness signedness, int bits) {
  QuantParams p;
  p.bits = bits;
  p.signedness = signedness;
  const CodeRange r = CodeRangeOf(bits, signedness, false);
  // Scales: ordinary, a power of two, huge (results overflow to inf), and
  // tiny (results are subnormal).
  for (float scale : {0.0123f, 0.25f, 3e37f, 1e-44f, FLT_EPSILON}) {
    for (int32_t zero_point : {r.min, r.max, (r.min + r.max) / 2}) {
      p.scale = scale;
      p.zero_point = zero_point;
      CheckDequantize(AllCodes<T>(), p, 1);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

class DequantizeTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(DequantizeTest);

TEST_P(DequantizeTest, EveryCodeU8) {
  for (int bits : {1, 4, 8}) CheckAllCodes<uint8_t>(Signedness::kUnsigned, bits);
}
TEST_P(DequantizeTest, EveryCodeI8) {
  for (int bits : {2, 4, 8}) CheckAllCodes<int8_t>(Signedness::kSigned, bits);
}
TEST_P(DequantizeTest, EveryCodeU16) {
  for (int bits : {9, 16}) CheckAllCodes<uint16_t>(Signedness::kUnsigned, bits);
}
TEST_P(DequantizeTest, EveryCodeI16) {
  for (int bits : {9, 16}) CheckAllCodes<int16_t>(Signedness::kSigned, bits);
}

template <typename T>
void CheckAllLengths(const QuantParams& p) {
  const std::vector<T> all = AllCodes<T>();
  for (size_t n : Lengths()) {
    for (size_t offset : Offsets()) {
      std::vector<T> codes(n);
      for (size_t i = 0; i < n; ++i) codes[i] = all[(i * 7919) % all.size()];
      CheckDequantize(codes, p, offset);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST_P(DequantizeTest, AllLengthsAndOffsets) {
  CheckAllLengths<uint8_t>(ChooseAsymmetricParams(-1.0f, 3.0f, 8));
  CheckAllLengths<int8_t>(ChooseSymmetricParams(-1.0f, 3.0f, 8));
  CheckAllLengths<uint16_t>(ChooseAsymmetricParams(-1.0f, 3.0f, 16));
  CheckAllLengths<int16_t>(ChooseSymmetricParams(-1.0f, 3.0f, 16, true));
}

// Quantize then dequantize returns each representable value exactly.
TEST_P(DequantizeTest, RoundTripOfRepresentableValues) {
  const QuantParams p = ChooseAsymmetricParams(-2.0f, 6.0f, 8);
  std::vector<uint8_t> codes = AllCodes<uint8_t>();
  std::vector<float> x(codes.size());
  Dequantize(codes.data(), codes.size(), p, x.data());
  std::vector<uint8_t> again(codes.size());
  Quantize(x.data(), x.size(), p, again.data());
  EXPECT_EQ(again, codes);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
