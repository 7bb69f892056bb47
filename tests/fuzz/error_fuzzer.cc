// MeasureError on every target against the reference: bit-identical mse,
// max |error| and SQNR (the summation order is fixed), same errors thrown.
#include <stdexcept>
#include <vector>

#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const QuantParams p = in.Params();
  const QuantizeMode mode = static_cast<QuantizeMode>(in.Byte() % 3);
  const size_t offset = in.Byte() % 4;
  const std::vector<float> x = in.FloatsFor(p);
  const size_t n = x.size();
  ErrorStats want{};
  bool want_throws = false;
  try {
    want = reference::MeasureError(x.data(), n, p, mode);
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  std::vector<float> input(offset + n);
  std::copy(x.begin(), x.end(), input.begin() + offset);
  ForEachTarget([&](const Target& t) {
    try {
      const ErrorStats got = MeasureError(input.data() + offset, n, p, mode);
      if (want_throws) Mismatch("MeasureError did not throw", t, 0);
      if (!SameBits(got.mse, want.mse) ||
          !SameBits(got.max_abs_error, want.max_abs_error) ||
          !SameBits(got.sqnr_db, want.sqnr_db)) {
        Mismatch("MeasureError", t, 0);
      }
    } catch (const std::invalid_argument&) {
      if (!want_throws) Mismatch("MeasureError threw", t, 0);
    }
  });
  return 0;
}
