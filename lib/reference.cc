// Scalar reference: the definitions, one element at a time. Built with
// auto-vectorization disabled (see lib/CMakeLists.txt).
#include "simdquant/reference.h"

#include <math.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "lib/internal.h"

namespace simdquant {
namespace reference {
namespace {

struct Quantizer {
  Quantizer(const QuantParams& p, QuantizeMode mode)
      : range(CodeRangeOf(p.bits, p.signedness, p.narrow_range)),
        zero_point(p.zero_point),
        divide(mode == QuantizeMode::kDivide),
        factor(divide ? p.scale : 1.0f / p.scale) {}

  int32_t operator()(float x) const {
    const float t = divide ? x / factor : x * factor;
    // NaN input (and 0 * inf when 1/scale overflows) maps to the zero point.
    if (isnan(t)) return zero_point;
    // nearbyint rounds half to even in the default rounding mode. The result
    // is an integer (or +-inf), and adding the zero point in double is exact
    // for every value that does not saturate anyway.
    const double v = static_cast<double>(nearbyintf(t)) + zero_point;
    if (v <= range.min) return range.min;
    if (v >= range.max) return range.max;
    return static_cast<int32_t>(v);
  }

  CodeRange range;
  int32_t zero_point;
  bool divide;
  float factor;
};

template <typename T>
void QuantizeT(const float* x, size_t n, const QuantParams& p, T* q,
               QuantizeMode mode) {
  internal::CheckParamsFor<T>(p, "reference::Quantize");
  internal::CheckMode(mode, "reference::Quantize");
  internal::CheckPointer(x, n, "reference::Quantize", "x");
  internal::CheckPointer(q, n, "reference::Quantize", "q");
  const Quantizer quantize(p, mode);
  for (size_t i = 0; i < n; ++i) q[i] = static_cast<T>(quantize(x[i]));
}

template <typename T>
void DequantizeT(const T* q, size_t n, const QuantParams& p, float* x) {
  internal::CheckParamsFor<T>(p, "reference::Dequantize");
  internal::CheckPointer(q, n, "reference::Dequantize", "q");
  internal::CheckPointer(x, n, "reference::Dequantize", "x");
  for (size_t i = 0; i < n; ++i) x[i] = DequantizeOne(q[i], p);
}

}  // namespace

int32_t QuantizeOne(float x, const QuantParams& p, QuantizeMode mode) {
  return Quantizer(p, mode)(x);
}

float DequantizeOne(int32_t q, const QuantParams& p) {
  return static_cast<float>(q - p.zero_point) * p.scale;
}

MinMaxResult MinMax(const float* x, size_t n) {
  internal::CheckNonEmpty(n, "reference::MinMax");
  internal::CheckPointer(x, n, "reference::MinMax", "x");
  MinMaxResult r = {x[0], x[0]};
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) {
      const float qnan = std::numeric_limits<float>::quiet_NaN();
      return {qnan, qnan};
    }
    if (x[i] < r.min) r.min = x[i];
    if (x[i] > r.max) r.max = x[i];
  }
  return r;
}

float AbsMax(const float* x, size_t n) {
  internal::CheckNonEmpty(n, "reference::AbsMax");
  internal::CheckPointer(x, n, "reference::AbsMax", "x");
  float r = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) return std::numeric_limits<float>::quiet_NaN();
    r = std::max(r, fabsf(x[i]));
  }
  return r;
}

#define SIMDQUANT_REFERENCE_CODECS(T)                                      \
  void Quantize(const float* x, size_t n, const QuantParams& p, T* q,     \
                QuantizeMode mode) {                                      \
    QuantizeT(x, n, p, q, mode);                                          \
  }                                                                       \
  void Dequantize(const T* q, size_t n, const QuantParams& p, float* x) { \
    DequantizeT(q, n, p, x);                                              \
  }
SIMDQUANT_FOR_EACH_CONTAINER(SIMDQUANT_REFERENCE_CODECS)
#undef SIMDQUANT_REFERENCE_CODECS

MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct) {
  const char* function = "reference::PercentileRange";
  internal::CheckNonEmpty(n, function);
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPercentiles(lower_pct, upper_pct, function);
  std::vector<float> sorted(x, x + n);
  for (float v : sorted) {
    if (isnan(v)) internal::Fail(function, "x contains NaN");
  }
  std::sort(sorted.begin(), sorted.end());
  const auto percentile = [&](double pct) {
    const double h = (pct / 100.0) * static_cast<double>(n - 1);
    const size_t i = std::min(static_cast<size_t>(floor(h)), n - 1);
    const double a = sorted[i], b = sorted[std::min(i + 1, n - 1)];
    const double t = h - static_cast<double>(i);
    return static_cast<float>(t < 0.5 ? a + (b - a) * t
                                      : b - (b - a) * (1.0 - t));
  };
  return {percentile(lower_pct), percentile(upper_pct)};
}

ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode) {
  internal::CheckParams(p, "reference::MeasureError");
  internal::CheckMode(mode, "reference::MeasureError");
  internal::CheckNonEmpty(n, "reference::MeasureError");
  internal::CheckPointer(x, n, "reference::MeasureError", "x");
  const Quantizer quantize(p, mode);
  internal::ErrorSums sums = {0.0, 0.0, 0.0, false};
  double partial_e2[internal::kSumLanes] = {};
  double partial_x2[internal::kSumLanes] = {};
  for (size_t i = 0; i < n; ++i) {
    const float dequantized = DequantizeOne(quantize(x[i]), p);
    const double e = static_cast<double>(x[i]) - dequantized;
    partial_e2[i % internal::kSumLanes] += e * e;
    partial_x2[i % internal::kSumLanes] += static_cast<double>(x[i]) * x[i];
    if (isnan(e)) sums.any_nan = true;
    sums.max_abs_error = std::max(sums.max_abs_error, fabs(e));
  }
  sums.sum_sq_error = internal::ReduceSumLanes(partial_e2);
  sums.sum_sq_signal = internal::ReduceSumLanes(partial_x2);
  return internal::FinishErrorStats(sums, n);
}

}  // namespace reference

namespace internal {

ErrorStats FinishErrorStats(const ErrorSums& sums, size_t n) {
  ErrorStats s;
  if (sums.any_nan) {
    s.mse = s.max_abs_error = s.sqnr_db = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  s.mse = sums.sum_sq_error / static_cast<double>(n);
  s.max_abs_error = sums.max_abs_error;
  s.sqnr_db = sums.sum_sq_error == 0.0
                  ? std::numeric_limits<double>::infinity()
                  : 10.0 * log10(sums.sum_sq_signal / sums.sum_sq_error);
  return s;
}

}  // namespace internal
}  // namespace simdquant
