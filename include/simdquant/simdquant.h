// simdquant: SIMD quantization kernels with run-time ISA dispatch.
//
// This header includes nothing from Highway; it compiles as plain C++17.
// Every kernel here is dispatched at run time to the best instruction set the
// CPU supports (see targets.h) and returns results bit-identical to the scalar
// reference in reference.h, except where a contract below says otherwise.
//
// Errors: every function that can receive a bad argument throws
// std::invalid_argument whose message names the parameter and its value.
// Kernels never read or write outside [ptr, ptr + n) and never modify inputs.
//
// Floating-point environment: results assume the default environment
// (round-to-nearest-even, no flush-to-zero / denormals-are-zero), which is what
// every compiler and framework uses unless told otherwise.
#ifndef SIMDQUANT_SIMDQUANT_H_
#define SIMDQUANT_SIMDQUANT_H_

#include <stddef.h>
#include <stdint.h>

namespace simdquant {

enum class Signedness : uint8_t { kUnsigned, kSigned };

// The integer codes a quantizer may produce: [min, max], both inclusive.
struct CodeRange {
  int32_t min;
  int32_t max;
};

// Bit widths 1..16 unsigned, 2..16 signed.
//   unsigned:              [0, 2^bits - 1]
//   signed:                [-2^(bits-1), 2^(bits-1) - 1]
//   signed, narrow range:  [-(2^(bits-1) - 1), 2^(bits-1) - 1]
// narrow_range applies to signed codes only; asking for it with unsigned codes
// is an error rather than a silently ignored flag.
CodeRange CodeRangeOf(int bits, Signedness signedness, bool narrow_range);

// Affine quantization parameters: x ~= (q - zero_point) * scale.
struct QuantParams {
  float scale = 1.0f;     // finite, > 0
  int32_t zero_point = 0;  // within the code range
  int bits = 8;
  Signedness signedness = Signedness::kUnsigned;
  bool narrow_range = false;
};

// Throws std::invalid_argument unless `p` is usable: bits in range, scale
// finite and positive, zero point within the code range.
void ValidateParams(const QuantParams& p);

// ---------------------------------------------------------------------------
// Calibration: range reductions

struct MinMaxResult {
  float min;
  float max;
};

// Minimum and maximum of x[0, n) in one pass. Both are NaN if any element is
// NaN (as numpy and torch). The sign of a zero result may differ between
// targets when both -0 and +0 occur (they compare equal). n must be > 0.
MinMaxResult MinMax(const float* x, size_t n);

// max |x[i]|, NaN if any element is NaN; never -0. n must be > 0.
float AbsMax(const float* x, size_t n);

// ---------------------------------------------------------------------------
// Parameter choice

// Affine parameters covering [min, max] extended to include 0, so that 0 is
// exactly representable. Bit-exact with torch.ao.quantization.MinMaxObserver
// (per-tensor affine) for quint8 and qint8:
//   lo = min(min, 0), hi = max(max, 0)
//   scale = max((hi - lo) / float(qmax - qmin), FLT_EPSILON)      (float32)
//   zero_point = clamp(qmin - round_half_even(lo / scale), qmin, qmax)
// Throws if min or max is not finite, min > max, the format is invalid, or the
// range is so wide that the scale overflows float32.
QuantParams ChooseAsymmetricParams(float min, float max, int bits,
                                   Signedness signedness = Signedness::kUnsigned,
                                   bool narrow_range = false);

// Symmetric (signed, zero_point = 0) parameters:
//   scale = max(max(|min|, |max|) / qmax, FLT_EPSILON),  qmax = 2^(bits-1) - 1
// torch's symmetric observers divide by (qmax - qmin) / 2 instead: ask for
// that with QuantSpec::symmetric_scale (calibrate.h).
QuantParams ChooseSymmetricParams(float min, float max, int bits,
                                  bool narrow_range = false);

// ---------------------------------------------------------------------------
// Quantize: round-scale-clamp float32 to integer codes.

enum class QuantizeMode : uint8_t {
  // q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax), with the
  // float32 quotient correctly rounded. ONNX QuantizeLinear; ONNX Runtime.
  kDivide,
  // q = clamp(round_half_even(x * inv_scale) + zero_point, qmin, qmax), with
  // inv_scale = 1.0f / scale in float32 and an unfused float32 multiply.
  // torch.quantize_per_tensor, FBGEMM, XNNPACK. Faster where division is slow.
  kReciprocal,
};

// In both modes NaN maps to zero_point, +Inf to qmax, -Inf to qmin, and finite
// values beyond the range saturate. The container must hold the code range of
// `p` (for example signed codes need int8_t or int16_t), else it throws.
void Quantize(const float* x, size_t n, const QuantParams& p, uint8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, uint16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);

// ---------------------------------------------------------------------------
// Dequantize: x = float(q - zero_point) * scale, the subtraction exact in
// integers, then one float32 multiply (never fused). Equal to torch's
// dequantize(). Codes outside the code range are converted as they are.

void Dequantize(const uint8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const uint16_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int16_t* q, size_t n, const QuantParams& p, float* x);

// ---------------------------------------------------------------------------
// Quantization error of x under p (quantize then dequantize, as the kernels
// above do), without materialising codes. Each element's error
// e = double(x) - double(dequantized) is squared and accumulated in double.

struct ErrorStats {
  double mse;            // sum(e^2) / n
  double max_abs_error;  // max |e|, exact (no rounding in a maximum)
  double sqnr_db;        // 10 log10(sum(x^2) / sum(e^2)); +Inf when exact
};

// The sums are accumulated in the same order on every target and for any
// thread count (parallel.h): in stripes of 65536 elements, element i into
// the stripe's partial sum i % 16; the stripes' 16 partials added to 16
// totals stripe after stripe, then the totals pairwise in a fixed tree. So
// mse and sqnr_db, like max_abs_error, are bit-identical to the reference on
// every target; against exact arithmetic the sums are within a relative
// (4096 + n/65536 + 4) 2^-53 (README, "Error metrics accuracy"). NaN input
// makes all three NaN. n must be > 0.
ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode = QuantizeMode::kDivide);

}  // namespace simdquant

#endif  // SIMDQUANT_SIMDQUANT_H_
