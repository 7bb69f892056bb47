// Plain loops with the library's contract; see plain_loops.h.
#include "bench/plain_loops.h"

#include <math.h>

#include "lib/internal.h"

#include <Eigen/Core>
#include <algorithm>
#include <limits>

namespace simdquant {
namespace plain {

MinMaxResult MinMax(const float* x, size_t n) {
  float lo = x[0], hi = x[0];
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= x[i] != x[i];
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  if (nan) return {NAN, NAN};
  return {lo, hi};
}

MinMaxResult EigenMinMax(const float* x, size_t n) {
  // One pass with fixed-size accumulators of 64 floats (four AVX-512 or
  // eight AVX2 registers each for min and max: enough independent chains to
  // hide the latency), the fastest Eigen formulation we found; two passes
  // (minCoeff, then maxCoeff) are about half as fast. Eigen's min/max let
  // NaN through unpredictably (PropagateFast): this peer does less than the
  // contract asks.
  using Block = Eigen::Array<float, 64, 1>;
  const size_t whole = n / 64 * 64;
  float lo = x[0], hi = x[0];
  if (whole != 0) {
    Block vlo = Eigen::Map<const Block>(x), vhi = vlo;
    for (size_t i = 64; i < whole; i += 64) {
      const Eigen::Map<const Block> b(x + i);
      vlo = vlo.min(b);
      vhi = vhi.max(b);
    }
    lo = vlo.minCoeff();
    hi = vhi.maxCoeff();
  }
  for (size_t i = whole; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  return {lo, hi};
}

float AbsMax(const float* x, size_t n) {
  float m = 0.0f;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= x[i] != x[i];
    m = std::max(m, fabsf(x[i]));
  }
  return nan ? NAN : m;
}

template <typename T>
void Quantize(const float* x, size_t n, const QuantParams& p, T* q,
              QuantizeMode mode) {
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  const float lo = static_cast<float>(r.min - p.zero_point);
  const float hi = static_cast<float>(r.max - p.zero_point);
  const int32_t zp = p.zero_point;
  if (mode == QuantizeMode::kDivide) {
    const float scale = p.scale;
    for (size_t i = 0; i < n; ++i) {
      float t = x[i] / scale;
      t = t != t ? 0.0f : std::min(std::max(t, lo), hi);
      q[i] = static_cast<T>(static_cast<int32_t>(nearbyintf(t)) + zp);
    }
  } else {
    const float inv_scale = 1.0f / p.scale;
    for (size_t i = 0; i < n; ++i) {
      float t = x[i] * inv_scale;
      t = t != t ? 0.0f : std::min(std::max(t, lo), hi);
      q[i] = static_cast<T>(static_cast<int32_t>(nearbyintf(t)) + zp);
    }
  }
}

template <typename T>
void Dequantize(const T* q, size_t n, const QuantParams& p, float* x) {
  const int32_t zp = p.zero_point;
  const float scale = p.scale;
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(static_cast<int32_t>(q[i]) - zp) * scale;
  }
}

ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode) {
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  const float lo = static_cast<float>(r.min - p.zero_point);
  const float hi = static_cast<float>(r.max - p.zero_point);
  const float factor = mode == QuantizeMode::kDivide ? p.scale : 1.0f / p.scale;
  const bool divide = mode == QuantizeMode::kDivide;
  double sum_e2 = 0.0, sum_x2 = 0.0, max_e = 0.0;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    float t = divide ? x[i] / factor : x[i] * factor;
    t = t != t ? 0.0f : std::min(std::max(t, lo), hi);
    const float deq = nearbyintf(t) * p.scale;
    const double e = static_cast<double>(x[i]) - deq;
    nan |= e != e;
    sum_e2 += e * e;
    sum_x2 += static_cast<double>(x[i]) * x[i];
    max_e = std::max(max_e, fabs(e));
  }
  if (nan) return {NAN, NAN, NAN};
  return {sum_e2 / static_cast<double>(n), max_e,
          sum_e2 == 0.0 ? std::numeric_limits<double>::infinity()
                        : 10.0 * log10(sum_x2 / sum_e2)};
}

#define SIMDQUANT_PLAIN_INSTANTIATE(T)                                     \
  template void Quantize<T>(const float*, size_t, const QuantParams&, T*, \
                            QuantizeMode);                                \
  template void Dequantize<T>(const T*, size_t, const QuantParams&, float*);
SIMDQUANT_FOR_EACH_CONTAINER(SIMDQUANT_PLAIN_INSTANTIATE)

}  // namespace plain
}  // namespace simdquant
