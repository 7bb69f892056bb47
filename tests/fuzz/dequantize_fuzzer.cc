// Dequantize on every target against the reference, bit for bit, for any
// code values (in or out of the code range) and any parameters.
#include <stdexcept>
#include <vector>

#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

namespace {

template <typename T>
void Check(FuzzInput& in, const QuantParams& p) {
  const size_t offset = in.Byte() % 4;
  std::vector<T> codes;
  while (in.Remaining() >= sizeof(T) && codes.size() < 600) {
    codes.push_back(static_cast<T>(sizeof(T) == 1 ? in.Byte() : in.U32()));
  }
  const size_t n = codes.size();
  std::vector<float> want(n);
  bool want_throws = false;
  try {
    reference::Dequantize(codes.data(), n, p, want.data());
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  std::vector<T> input(offset + n);  // exact sizes: ASan guards the ends
  std::copy(codes.begin(), codes.end(), input.begin() + offset);
  ForEachTarget([&](const Target& t) {
    std::vector<float> y(offset + n);
    try {
      Dequantize(input.data() + offset, n, p, y.data() + offset);
      if (want_throws) Mismatch("Dequantize did not throw", t, 0);
    } catch (const std::invalid_argument&) {
      if (!want_throws) Mismatch("Dequantize threw", t, 0);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (!SameBits(y[offset + i], want[i])) Mismatch("Dequantize", t, i);
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const QuantParams p = in.Params();
  switch (in.Byte() % 4) {
    case 0: Check<uint8_t>(in, p); break;
    case 1: Check<int8_t>(in, p); break;
    case 2: Check<uint16_t>(in, p); break;
    case 3: Check<int16_t>(in, p); break;
  }
  return 0;
}
