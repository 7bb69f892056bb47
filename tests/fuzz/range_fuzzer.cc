// MinMax, AbsMax and PercentileRange on every target against the reference.
#include <stdexcept>
#include <vector>

#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const size_t offset = in.Byte() % 4;
  const double lo_pct = in.Byte() * (100.0 / 255.0);
  const double hi_pct = in.Byte() * (100.0 / 255.0);
  std::vector<float> values;
  while (in.Remaining() > 0 && values.size() < 600) values.push_back(in.Float());
  const size_t n = values.size();
  // Exactly sized, so that AddressSanitizer catches any access past the end.
  std::vector<float> buffer(offset + n);
  std::copy(values.begin(), values.end(), buffer.begin() + offset);
  const float* x = buffer.data() + offset;

  if (n == 0) {
    try { MinMax(x, 0); abort(); } catch (const std::invalid_argument&) {}
    try { AbsMax(x, 0); abort(); } catch (const std::invalid_argument&) {}
    return 0;
  }
  const MinMaxResult want = reference::MinMax(values.data(), n);
  const float want_abs = reference::AbsMax(values.data(), n);
  bool want_pct_throws = false;
  MinMaxResult want_pct{0, 0};
  try {
    want_pct = reference::PercentileRange(values.data(), n, lo_pct, hi_pct);
  } catch (const std::invalid_argument&) {
    want_pct_throws = true;
  }
  const auto same = [](float a, float b) {
    return (a == 0.0f && b == 0.0f) || SameBits(a, b);
  };
  ForEachTarget([&](const Target& t) {
    const MinMaxResult got = MinMax(x, n);
    if (!same(got.min, want.min) || !same(got.max, want.max)) {
      Mismatch("MinMax", t, 0);
    }
    if (!SameBits(AbsMax(x, n), want_abs)) Mismatch("AbsMax", t, 0);
    try {
      const MinMaxResult pct = PercentileRange(x, n, lo_pct, hi_pct);
      if (want_pct_throws || !same(pct.min, want_pct.min) ||
          !same(pct.max, want_pct.max)) {
        Mismatch("PercentileRange", t, 0);
      }
    } catch (const std::invalid_argument&) {
      if (!want_pct_throws) Mismatch("PercentileRange threw", t, 0);
    }
  });
  for (size_t i = 0; i < n; ++i) {
    if (!SameBits(x[i], values[i])) Mismatch("input modified", Target{}, i);
  }
  return 0;
}
