// Quantizes and dequantizes a few values through the installed library and
// checks the result against the reference; exit status 0 means it worked.
#include <stdio.h>

#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"

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
  printf("target %s, scale %g, zero point %d, code of -2.5: %d, %s\n",
         simdquant::ActiveTarget().name.c_str(), p.scale, p.zero_point, q[3],
         failures == 0 ? "ok" : "MISMATCH");
  return failures == 0 && q[3] == 26 ? 0 : 1;
}
