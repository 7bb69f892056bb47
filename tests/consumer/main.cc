// Quantizes and dequantizes a few values through the installed library and
// checks the result against the reference; exit status 0 means it worked.
#include <stdio.h>

#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"
#include "simdquant/tensor.h"

// The library's build settings stay out of its consumers' compiles.
#if defined(HWY_WANT_AVX3_DL) || defined(HWY_COMPILE_ALL_ATTAINABLE)
#error "simdquant's Highway target settings leaked into a consumer"
#endif

int main() {
  const float x[6] = {0.0f, 2.0f, -3.0f, -2.5f, 1.34f, 0.5f};
  const simdquant::MinMaxResult r = simdquant::MinMax(x, 6);
  const simdquant::QuantParams p =
      simdquant::ChooseAsymmetricParams(r.min, r.max, 8);
  uint8_t q[6], q_ref[6];
  simdquant::Quantize(x, 6, p, q);
  simdquant::reference::Quantize(x, 6, p, q_ref);
  float y[6];
  simdquant::Dequantize(q, 6, p, y);
  int failures = 0;
  for (int i = 0; i < 6; ++i) {
    if (q[i] != q_ref[i] || y[i] != simdquant::reference::DequantizeOne(q[i], p)) {
      ++failures;
    }
  }
  // tensor.h (which includes hwy/base.h): 4-bit packed codes per row.
  uint8_t packed[simdquant::PackedBytes(6, 4)], packed_ref[sizeof(packed)];
  const simdquant::Layout rows = simdquant::Layout::PerRow(2, 3);
  const float scales[2] = {0.5f, 0.25f};
  const int32_t zero_points[2] = {8, 7};
  simdquant::GroupParams g;
  g.scales = scales;
  g.zero_points = zero_points;
  g.bits = 4;
  simdquant::QuantizePacked(x, rows, g, packed);
  simdquant::reference::QuantizePacked(x, rows, g, packed_ref);
  for (size_t i = 0; i < sizeof(packed); ++i) {
    if (packed[i] != packed_ref[i]) ++failures;
  }
  printf("target %s, scale %g, zero point %d, code of -2.5: %d, %s\n",
         simdquant::ActiveTarget().name.c_str(), p.scale, p.zero_point, q[3],
         failures == 0 ? "ok" : "MISMATCH");
  return failures == 0 && q[3] == 26 ? 0 : 1;
}
