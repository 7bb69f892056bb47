// Quantize on every target against the reference, bit for bit; invalid
// parameters must throw std::invalid_argument everywhere alike.
#include <stdexcept>
#include <vector>

#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

namespace {

template <typename T>
void Check(FuzzInput& in, const QuantParams& p, QuantizeMode mode) {
  const size_t offset = in.Byte() % 4;
  const std::vector<float> x = in.FloatsFor(p);
  const size_t n = x.size();
  std::vector<T> want(n);
  bool want_throws = false;
  try {
    reference::Quantize(x.data(), n, p, want.data(), mode);
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  std::vector<float> input(offset + n);  // exact sizes: ASan guards the ends
  std::copy(x.begin(), x.end(), input.begin() + offset);
  ForEachTarget([&](const Target& t) {
    std::vector<T> q(offset + n);
    try {
      Quantize(input.data() + offset, n, p, q.data() + offset, mode);
      if (want_throws) Mismatch("Quantize did not throw", t, 0);
    } catch (const std::invalid_argument&) {
      if (!want_throws) Mismatch("Quantize threw", t, 0);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (q[offset + i] != want[i]) Mismatch("Quantize", t, i);
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const QuantParams p = in.Params();
  const QuantizeMode mode = static_cast<QuantizeMode>(in.Byte() % 3);
  switch (in.Byte() % 4) {
    case 0: Check<uint8_t>(in, p, mode); break;
    case 1: Check<int8_t>(in, p, mode); break;
    case 2: Check<uint16_t>(in, p, mode); break;
    case 3: Check<int16_t>(in, p, mode); break;
  }
  return 0;
}
