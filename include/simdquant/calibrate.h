// Calibration: choosing a clipping range, and from it QuantParams, that is
// robust to outliers (percentiles) or minimises the quantization error.
#ifndef SIMDQUANT_CALIBRATE_H_
#define SIMDQUANT_CALIBRATE_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/simdquant.h"

namespace simdquant {

// The values np.percentile(x, lower_pct) and np.percentile(x, upper_pct)
// return with numpy's default "linear" method, exactly:
//   h = (pct / 100) * (n - 1) in double, i = floor(h), t = h - i,
//   a = i-th smallest, b = (i + 1)-th smallest (or a at the end),
//   v = t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t)   (in double, as
//   numpy's _lerp), then rounded to float.
// O(n) on any data: a vectorized min/max pass, then at most three radix-select
// passes over an order-preserving integer key (each narrows the key range
// holding a wanted rank by 12 bits, or copies it once it holds at most 16384
// elements). Extra memory at most 512 KiB whatever n, never a copy of x.
// -0 and +0 count as equal (either may be returned for a zero). As numpy, a
// percentile whose interpolation reaches an infinite value is that infinity
// or NaN (inf - inf). Throws for NaN in x, n == 0, a null x, a percentile
// outside [0, 100] or NaN, and lower_pct > upper_pct.
MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct);

// One percentile, np.percentile(x, pct): PercentileRange(x, n, pct, pct).min.
float Percentile(const float* x, size_t n, double pct);

enum class Scheme : uint8_t { kAsymmetric, kSymmetric };

// What a symmetric scale divides max(|min|, |max|) by.
enum class SymmetricScale : uint8_t {
  // qmax (127 for 8 bits): the largest magnitude maps to qmax exactly.
  // ChooseSymmetricParams; ONNX Runtime's and TensorRT's symmetric
  // calibration; ggml's Q8_0 (amax / 127).
  kQmax,
  // (qmax - qmin) / 2 (127.5 for 8 bits, qmax for narrow range):
  // torch.ao.quantization's symmetric observers (MinMaxObserver with
  // torch.per_tensor_symmetric and qint8), bit for bit.
  kHalfCodeRange,
};

// What to calibrate for.
struct QuantSpec {
  int bits = 8;
  Scheme scheme = Scheme::kAsymmetric;
  // Asymmetric codes may be unsigned or signed; symmetric codes are signed.
  Signedness signedness = Signedness::kUnsigned;
  bool narrow_range = false;
  // Symmetric scheme only.
  SymmetricScale symmetric_scale = SymmetricScale::kQmax;
  // The quantize mode the error is measured with.
  QuantizeMode mode = QuantizeMode::kDivide;
};

// ChooseAsymmetricParams or ChooseSymmetricParams for [min, max] per spec.
QuantParams ParamsForRange(float min, float max, const QuantSpec& spec);

// Range = [min, max] of x.
QuantParams CalibrateMinMax(const float* x, size_t n, const QuantSpec& spec);

// Range = PercentileRange(x, n, 100 - pct, pct), e.g. pct = 99.99;
// 50 <= pct <= 100.
QuantParams CalibratePercentile(const float* x, size_t n, double pct,
                                const QuantSpec& spec);

// The range that minimises MSE(x, dequantize(quantize(x))) under spec.
// Candidate ranges are scored cheaply on a 2048-bin histogram of x (each bin
// stands for its count at its centre, as TensorRT's and NNCF's calibrators
// do); the best few, together with the min-max range and the 99.9th and
// 99.99th percentile ranges, are then measured exactly with MeasureError on
// x, and the one with the smallest exact MSE wins. So the result is never
// worse than min-max or those percentiles, on any data. Deterministic, and
// the same on every target (MeasureError's sums differ between targets only
// far below the differences between candidates, and ties go to the earlier
// candidate).
QuantParams CalibrateMse(const float* x, size_t n, const QuantSpec& spec);

}  // namespace simdquant

#endif  // SIMDQUANT_CALIBRATE_H_
