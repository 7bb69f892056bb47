// Scalar reference: the definitions, one element at a time. Built with
// auto-vectorization disabled (see lib/CMakeLists.txt).
#include "simdquant/reference.h"

#include <math.h>

#include <string.h>

#include <algorithm>
#include <type_traits>
#include <limits>
#include <vector>

#include "lib/internal.h"
#include "simdquant/tensor.h"

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
  std::vector<internal::StripeSums> stripes(internal::NumStripes(n));
  for (size_t i = 0; i < n; ++i) {
    const float dequantized = DequantizeOne(quantize(x[i]), p);
    const double e = static_cast<double>(x[i]) - dequantized;
    internal::StripeSums& s = stripes[i / internal::kErrorStripe];
    s.e2[i % internal::kSumLanes] += e * e;
    s.x2[i % internal::kSumLanes] += static_cast<double>(x[i]) * x[i];
    s.max_abs_error = std::max(s.max_abs_error, fabs(e));
  }
  return internal::FinishErrorStats(
      internal::SumStripes(stripes.data(), stripes.size()), n);
}

// ---------------------------------------------------------------------------
// tensor.h

namespace {

// Rounds x to the nearest value (ties to even) of a binary format with
// kMantissa stored bits and kExponent exponent bits (IEEE layout, with
// subnormals), and returns its bit pattern.
template <int kMantissa, int kExponent>
uint16_t RoundToFormat(float x) {
  constexpr int kBias = (1 << (kExponent - 1)) - 1;
  constexpr uint16_t kInf = ((1u << kExponent) - 1) << kMantissa;
  const uint16_t sign = signbit(x) ? uint16_t(1u << (kMantissa + kExponent))
                                   : uint16_t{0};
  if (isnan(x)) return sign | kInf | (1u << (kMantissa - 1));  // quiet NaN
  const double a = fabs(static_cast<double>(x));
  if (isinf(a)) return sign | kInf;
  if (a == 0.0) return sign;
  int e;
  frexp(a, &e);                          // a = m 2^e, 0.5 <= m < 1
  e = std::max(e - 1, 1 - kBias);        // exponent of a, or the minimum
  const double quantum = ldexp(1.0, e - kMantissa);
  double m = nearbyint(a / quantum);     // exact quotient, rounded once
  if (m == ldexp(1.0, kMantissa + 1)) {  // rounded up to the next binade
    m /= 2;
    ++e;
  }
  if (e > kBias) return sign | kInf;
  const bool subnormal = m < ldexp(1.0, kMantissa);
  const uint32_t biased = subnormal ? 0 : static_cast<uint32_t>(e + kBias);
  const uint32_t fraction =
      static_cast<uint32_t>(m) & ((1u << kMantissa) - 1);
  return sign | static_cast<uint16_t>((biased << kMantissa) | fraction);
}

template <int kMantissa, int kExponent>
float FromFormat(uint16_t bits) {
  constexpr int kBias = (1 << (kExponent - 1)) - 1;
  const bool negative = (bits >> (kMantissa + kExponent)) & 1;
  const int biased = (bits >> kMantissa) & ((1 << kExponent) - 1);
  const uint32_t fraction = bits & ((1u << kMantissa) - 1);
  double a;
  if (biased == (1 << kExponent) - 1) {
    a = fraction != 0 ? std::numeric_limits<double>::quiet_NaN()
                      : std::numeric_limits<double>::infinity();
  } else if (biased == 0) {
    a = ldexp(static_cast<double>(fraction), 1 - kBias - kMantissa);
  } else {
    a = ldexp(static_cast<double>(fraction + (1u << kMantissa)),
              biased - kBias - kMantissa);
  }
  return static_cast<float>(negative ? -a : a);
}


template <typename T>
void PackT(const T* codes, size_t n, int bits, uint8_t* packed) {
  const int min_bits = std::is_signed<T>::value ? 2 : 1;
  if (bits < min_bits || bits > 8) internal::Fail("reference::Pack", "bits");
  const int32_t lo = std::is_signed<T>::value ? -(1 << (bits - 1)) : 0;
  const int32_t hi = lo + (1 << bits) - 1;
  for (size_t i = 0; i < n; ++i) {
    if (codes[i] < lo || codes[i] > hi) {
      internal::Fail("reference::Pack", "code out of range");
    }
  }
  if (n == 0) return;  // packed may be null
  memset(packed, 0, PackedBytes(n, bits));
  for (size_t i = 0; i < n; ++i) {
    const uint32_t pattern = static_cast<uint32_t>(codes[i]);  // two's compl.
    for (int j = 0; j < bits; ++j) {
      const size_t bit = i * bits + j;
      packed[bit / 8] |= static_cast<uint8_t>(((pattern >> j) & 1) << bit % 8);
    }
  }
}

template <typename T>
void UnpackT(const uint8_t* packed, size_t n, int bits, T* codes) {
  const int min_bits = std::is_signed<T>::value ? 2 : 1;
  if (bits < min_bits || bits > 8) internal::Fail("reference::Unpack", "bits");
  for (size_t i = 0; i < n; ++i) {
    int32_t v = 0;
    for (int j = 0; j < bits; ++j) {
      const size_t bit = i * bits + j;
      v |= ((packed[bit / 8] >> (bit % 8)) & 1) << j;
    }
    if (std::is_signed<T>::value && v >= (1 << (bits - 1))) v -= 1 << bits;
    codes[i] = static_cast<T>(v);
  }
}

// Codes of every element, in element order.
template <typename TIn>
std::vector<int32_t> Codes(const TIn* x, const Layout& layout,
                           const GroupParams& p, QuantizeMode mode) {
  std::vector<int32_t> codes(layout.NumElements());
  for (size_t r = 0; r < layout.rows; ++r) {
    for (size_t c = 0; c < layout.cols; ++c) {
      const size_t i = r * layout.cols + c;
      codes[i] = QuantizeOne(
          reference::ToF32(x[i]), internal::ParamsAt(p, layout.ParamIndex(r, c)),
          mode);
    }
  }
  return codes;
}

void CheckLayoutCall(const Layout& layout, const GroupParams& p,
                     detail::CodeType code, const char* function) {
  internal::CheckLayout(layout, function);
  internal::CheckGroupParams(p, layout, code, function);
}

// The parameters QuantizeDynamic chooses, written to out; returns a view.
template <typename TIn>
GroupParams ChooseDynamic(const TIn* x, const Layout& layout,
                          const QuantSpec& spec, const GroupParamsOut& out,
                          detail::CodeType code) {
  internal::CheckLayout(layout, "reference::QuantizeDynamic");
  internal::CheckDynamicSpec(spec, out, layout, code,
                             "reference::QuantizeDynamic");
  std::vector<MinMaxResult> ranges(layout.NumParams());
  if (layout.NumElements() != 0) reference::MinMax(x, layout, ranges.data());
  for (size_t k = 0; k < ranges.size(); ++k) {
    internal::ChooseGroupParams(ranges[k].min, ranges[k].max, spec, out, k,
                                "reference::QuantizeDynamic");
  }
  const GroupParams p = internal::ParamsOf(spec, out);
  return p;
}

}  // namespace

float F32FromBF16(hwy::bfloat16_t x) { return FromFormat<7, 8>(x.bits); }
hwy::bfloat16_t BF16FromF32(float x) {
  hwy::bfloat16_t r;
  r.bits = RoundToFormat<7, 8>(x);
  return r;
}
float F32FromF16(hwy::float16_t x) { return FromFormat<10, 5>(x.bits); }
hwy::float16_t F16FromF32(float x) {
  hwy::float16_t r;
  r.bits = RoundToFormat<10, 5>(x);
  return r;
}

float ToF32(float x) { return x; }
float ToF32(hwy::bfloat16_t x) { return reference::F32FromBF16(x); }
float ToF32(hwy::float16_t x) { return reference::F32FromF16(x); }
template <>
float FromF32<float>(float x) {
  return x;
}
template <>
hwy::bfloat16_t FromF32<hwy::bfloat16_t>(float x) {
  return reference::BF16FromF32(x);
}
template <>
hwy::float16_t FromF32<hwy::float16_t>(float x) {
  return reference::F16FromF32(x);
}

void Pack(const uint8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackT(codes, n, bits, packed);
}
void Pack(const int8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackT(codes, n, bits, packed);
}
void Unpack(const uint8_t* packed, size_t n, int bits, uint8_t* codes) {
  UnpackT(packed, n, bits, codes);
}
void Unpack(const uint8_t* packed, size_t n, int bits, int8_t* codes) {
  UnpackT(packed, n, bits, codes);
}

template <typename TIn>
void MinMax(const TIn* x, const Layout& layout, MinMaxResult* ranges) {
  internal::CheckLayout(layout, "reference::MinMax");
  internal::CheckNonEmpty(layout.NumElements(), "reference::MinMax");
  std::vector<std::vector<float>> members(layout.NumParams());
  for (size_t r = 0; r < layout.rows; ++r) {
    for (size_t c = 0; c < layout.cols; ++c) {
      members[layout.ParamIndex(r, c)].push_back(
          reference::ToF32(x[r * layout.cols + c]));
    }
  }
  for (size_t k = 0; k < members.size(); ++k) {
    ranges[k] = MinMax(members[k].data(), members[k].size());
  }
}

template <typename TIn, typename TCode>
void Quantize(const TIn* x, const Layout& layout, const GroupParams& p,
              TCode* q, QuantizeMode mode) {
  CheckLayoutCall(layout, p, detail::CodeTypeOf<TCode>(),
                  "reference::Quantize");
  internal::CheckMode(mode, "reference::Quantize");
  const std::vector<int32_t> codes = Codes(x, layout, p, mode);
  for (size_t i = 0; i < codes.size(); ++i) q[i] = static_cast<TCode>(codes[i]);
}

template <typename TIn>
void QuantizePacked(const TIn* x, const Layout& layout, const GroupParams& p,
                    uint8_t* packed, QuantizeMode mode) {
  CheckLayoutCall(layout, p, detail::CodeType::kPacked,
                  "reference::QuantizePacked");
  internal::CheckMode(mode, "reference::QuantizePacked");
  const std::vector<int32_t> codes = Codes(x, layout, p, mode);
  if (p.signedness == Signedness::kSigned) {
    const std::vector<int8_t> narrow(codes.begin(), codes.end());
    reference::Pack(narrow.data(), narrow.size(), p.bits, packed);
  } else {
    const std::vector<uint8_t> narrow(codes.begin(), codes.end());
    reference::Pack(narrow.data(), narrow.size(), p.bits, packed);
  }
}

template <typename TIn, typename TCode>
void QuantizeDynamic(const TIn* x, const Layout& layout, const QuantSpec& spec,
                     const GroupParamsOut& out, TCode* q) {
  const GroupParams p =
      ChooseDynamic(x, layout, spec, out, detail::CodeTypeOf<TCode>());
  reference::Quantize(x, layout, p, q, spec.mode);
}

template <typename TIn>
void QuantizeDynamicPacked(const TIn* x, const Layout& layout,
                           const QuantSpec& spec, const GroupParamsOut& out,
                           uint8_t* packed) {
  const GroupParams p =
      ChooseDynamic(x, layout, spec, out, detail::CodeType::kPacked);
  reference::QuantizePacked(x, layout, p, packed, spec.mode);
}

template <typename TCode, typename TOut>
void Dequantize(const TCode* q, const Layout& layout, const GroupParams& p,
                TOut* y) {
  CheckLayoutCall(layout, p, detail::CodeTypeOf<TCode>(),
                  "reference::Dequantize");
  for (size_t r = 0; r < layout.rows; ++r) {
    for (size_t c = 0; c < layout.cols; ++c) {
      const size_t i = r * layout.cols + c;
      y[i] = reference::FromF32<TOut>(DequantizeOne(
          q[i], internal::ParamsAt(p, layout.ParamIndex(r, c))));
    }
  }
}

template <typename TOut>
void DequantizePacked(const uint8_t* packed, const Layout& layout,
                      const GroupParams& p, TOut* y) {
  CheckLayoutCall(layout, p, detail::CodeType::kPacked,
                  "reference::DequantizePacked");
  const size_t n = layout.NumElements();
  if (p.signedness == Signedness::kSigned) {
    std::vector<int8_t> codes(n);
    reference::Unpack(packed, n, p.bits, codes.data());
    reference::Dequantize(codes.data(), layout, p, y);
  } else {
    std::vector<uint8_t> codes(n);
    reference::Unpack(packed, n, p.bits, codes.data());
    reference::Dequantize(codes.data(), layout, p, y);
  }
}

#define SIMDQUANT_REFERENCE_FLOAT(TF)                                         \
  template void MinMax(const TF*, const Layout&, MinMaxResult*);              \
  template void QuantizePacked(const TF*, const Layout&, const GroupParams&,  \
                               uint8_t*, QuantizeMode);                       \
  template void QuantizeDynamicPacked(const TF*, const Layout&,               \
                                      const QuantSpec&, const GroupParamsOut&, \
                                      uint8_t*);                              \
  template void DequantizePacked(const uint8_t*, const Layout&,               \
                                 const GroupParams&, TF*);
#define SIMDQUANT_REFERENCE_FLOAT_CODE(TF, T)                                 \
  template void Quantize(const TF*, const Layout&, const GroupParams&, T*,    \
                         QuantizeMode);                                       \
  template void QuantizeDynamic(const TF*, const Layout&, const QuantSpec&,   \
                                const GroupParamsOut&, T*);                   \
  template void Dequantize(const T*, const Layout&, const GroupParams&, TF*);
#define SIMDQUANT_REFERENCE_FOR_CODES(TF)         \
  SIMDQUANT_REFERENCE_FLOAT(TF)                   \
  SIMDQUANT_REFERENCE_FLOAT_CODE(TF, uint8_t)     \
  SIMDQUANT_REFERENCE_FLOAT_CODE(TF, int8_t)      \
  SIMDQUANT_REFERENCE_FLOAT_CODE(TF, uint16_t)    \
  SIMDQUANT_REFERENCE_FLOAT_CODE(TF, int16_t)
SIMDQUANT_REFERENCE_FOR_CODES(float)
SIMDQUANT_REFERENCE_FOR_CODES(hwy::bfloat16_t)
SIMDQUANT_REFERENCE_FOR_CODES(hwy::float16_t)
#undef SIMDQUANT_REFERENCE_FOR_CODES
#undef SIMDQUANT_REFERENCE_FLOAT_CODE
#undef SIMDQUANT_REFERENCE_FLOAT

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
