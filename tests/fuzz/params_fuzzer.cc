// Parameter choice: any range and format gives valid parameters that make 0
// exact and cover the range, or the documented error; never a crash.
#include <cmath>
#include <stdexcept>

#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const float a = in.Float(), b = in.Float();
  const int bits = static_cast<int8_t>(in.Byte()) % 20;
  const Signedness s = static_cast<Signedness>(in.Byte() % 3);
  const bool narrow = in.Bool();
  const bool symmetric = in.Bool();
  QuantParams p;
  try {
    p = symmetric ? ChooseSymmetricParams(a, b, bits, narrow)
                  : ChooseAsymmetricParams(a, b, bits, s, narrow);
  } catch (const std::invalid_argument&) {
    return 0;  // the documented error
  }
  ValidateParams(p);  // must not throw
  // 0 is exactly representable: it quantizes to the zero point, which
  // dequantizes to 0.
  if (reference::QuantizeOne(0.0f, p, QuantizeMode::kDivide) != p.zero_point ||
      reference::DequantizeOne(p.zero_point, p) != 0.0f) {
    Mismatch("zero not exact", Target{}, 0);
  }
  // The range [min(a,0), max(b,0)] is covered to within one step (the zero
  // point is rounded, so the ends may shift by up to half a step each way).
  if (!symmetric) {
    const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
    const double lo = reference::DequantizeOne(r.min, p);
    const double hi = reference::DequantizeOne(r.max, p);
    const double step = p.scale * (1.0 + 1e-6);
    if (std::fmin(a, 0.0f) < lo - step || std::fmax(b, 0.0f) > hi + step) {
      if (p.scale > 1.2e-7f) Mismatch("range not covered", Target{}, 0);
    }
  }
  return 0;
}
