// Scalar reference of float_codes.h: each code found by searching the
// format's values for the nearest (not by the kernels' bit arithmetic), one
// element at a time.
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "lib/float_format.h"
#include "lib/internal.h"
#include "simdquant/float_codes.h"
#include "simdquant/reference.h"

namespace simdquant {
namespace reference {

uint8_t EncodeFloatOne(float v, FloatFormat format, Overflow overflow) {
  const internal::MiniFloat f = internal::Describe(format);
  const bool negative = signbit(v);
  if (isnan(v)) {
    return static_cast<uint8_t>(f.NaNCode() |
                                (f.NaNKeepsSign() && negative ? f.SignBit() : 0));
  }
  // The finite magnitudes, codes 0..max_code, then the value the format
  // would have next (max_code + 1): rounding to it is overflow.
  const double a = fabs(static_cast<double>(v));
  const auto value = [&](uint32_t code) {
    const int exponent = static_cast<int>(code >> f.mantissa);
    const double mantissa = static_cast<double>(code & ((1u << f.mantissa) - 1));
    return exponent == 0
               ? ldexp(mantissa, 1 - f.bias - f.mantissa)
               : ldexp(mantissa + (1u << f.mantissa), exponent - f.bias - f.mantissa);
  };
  uint32_t code = f.max_code + 1;  // Inf, and beyond the next value
  if (a < value(f.max_code + 1)) {
    // The largest code whose value is <= a, then the nearer of it and the
    // next; a tie goes to the even code.
    uint32_t lo = 0;
    while (lo + 1 <= f.max_code + 1 && value(lo + 1) <= a) ++lo;
    const double below = a - value(lo), above = value(lo + 1) - a;
    code = below < above || (below == above && lo % 2 == 0) ? lo : lo + 1;
  }
  if (code > f.max_code) {
    code = overflow == Overflow::kSaturate ? f.max_code : f.OverflowCode();
    if (code == 0x80 && f.specials == internal::Specials::kFnuz) return 0x80;
  }
  const bool sign = negative && !(code == 0 && f.specials == internal::Specials::kFnuz);
  return static_cast<uint8_t>(code | (sign ? f.SignBit() : 0));
}

namespace {

// float32 x / scale, or x * (1 / scale).
float Scaled(float x, float scale, QuantizeMode mode) {
  return mode == QuantizeMode::kDivide ? x / scale : x * (1.0f / scale);
}

// Codes one per byte into out[0, n), packed if asked.
void Store(const std::vector<uint8_t>& codes, int bits, bool packed,
           uint8_t* out) {
  if (packed && bits < 8) return Pack(codes.data(), codes.size(), bits, out);
  std::copy(codes.begin(), codes.end(), out);
}
std::vector<uint8_t> Load(const uint8_t* in, size_t n, int bits, bool packed) {
  std::vector<uint8_t> codes(n);
  if (packed && bits < 8) {
    Unpack(in, n, bits, codes.data());
  } else {
    std::copy(in, in + n, codes.begin());
  }
  return codes;
}

// The block (first element, size) of element i = (row, col).
struct BlockOf {
  size_t k, first, size;
};
BlockOf Block(size_t i, size_t cols, size_t block_size) {
  const size_t row = i / cols, col = i % cols;
  const size_t first_col = col - col % block_size;
  const size_t per_row = (cols - 1) / block_size + 1;
  return {row * per_row + col / block_size, row * cols + first_col,
          std::min(block_size, cols - first_col)};
}

template <typename T>
double AbsMax(const T* x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = ToF32(x[i]);
    if (isnan(v)) return NAN;
    m = std::max(m, fabs(static_cast<double>(v)));
  }
  return m;
}

// The MX scale's exponent by the rule: floor(log2(amax)) - emax, or the
// smallest E with amax / 2^E <= the largest element; clamped.
int MxExponent(double amax, MxFormat format, MxScaleRule rule) {
  if (amax == 0) return -127;
  int e2;
  frexp(amax, &e2);  // amax = m * 2^e2, m in [0.5, 1)
  int e = e2 - 1 - internal::MxEmax(format);
  const double largest = format == MxFormat::kMXINT8
                             ? 127.0 / 64
                             : FloatFormatMax(internal::MxElementFormat(format));
  if (rule == MxScaleRule::kRoundUp && ldexp(amax, -e) > largest) ++e;
  return std::clamp(e, -127, 127);
}

uint8_t MxElement(float x, int e, MxFormat format) {
  const float v = static_cast<float>(ldexp(static_cast<double>(x), -e));
  if (format == MxFormat::kMXINT8) {
    const double q = std::clamp(nearbyint(static_cast<double>(v) * 64), -127.0, 127.0);
    return static_cast<uint8_t>(static_cast<int8_t>(q));
  }
  return EncodeFloatOne(v, internal::MxElementFormat(format), Overflow::kSaturate);
}

float MxValue(uint8_t scale, uint8_t element, MxFormat format) {
  const float x = scale == 255 ? NAN : static_cast<float>(ldexp(1.0, scale - 127));
  const float p = format == MxFormat::kMXINT8
                      ? static_cast<float>(static_cast<int8_t>(element)) / 64
                      : DecodeFloatCode(internal::MxElementFormat(format), element);
  return x * p;
}

float NvFp4Factor(uint8_t scale, float tensor_scale) {
  return DecodeFloatCode(FloatFormat::kE4M3FN, scale) * tensor_scale;
}

}  // namespace

template <typename TIn>
void EncodeFloat(const TIn* x, const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* out) {
  std::vector<uint8_t> codes(layout.NumElements());
  for (size_t r = 0; r < layout.rows; ++r) {
    for (size_t c = 0; c < layout.cols; ++c) {
      const size_t i = r * layout.cols + c;
      const float v = Scaled(ToF32(x[i]), scales[layout.ParamIndex(r, c)], spec.mode);
      codes[i] = EncodeFloatOne(v, spec.format, spec.overflow);
    }
  }
  Store(codes, FloatFormatBits(spec.format), spec.packed, out);
}

template <typename TOut>
void DecodeFloat(const uint8_t* in, const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, TOut* y) {
  const std::vector<uint8_t> codes = Load(in, layout.NumElements(),
                                          FloatFormatBits(spec.format), spec.packed);
  for (size_t r = 0; r < layout.rows; ++r) {
    for (size_t c = 0; c < layout.cols; ++c) {
      const size_t i = r * layout.cols + c;
      y[i] = FromF32<TOut>(DecodeFloatCode(spec.format, codes[i]) *
                           scales[layout.ParamIndex(r, c)]);
    }
  }
}

template <typename TIn>
void EncodeMx(const TIn* x, size_t rows, size_t cols, MxFormat format,
              uint8_t* scales, uint8_t* elements, MxScaleRule rule) {
  const size_t n = rows * cols;
  std::vector<uint8_t> codes(n);
  for (size_t i = 0; i < n; ++i) {
    const BlockOf b = Block(i, cols, kMxBlockSize);
    double amax = AbsMax(x + b.first, b.size);
    if (!(amax <= 3.40282347e38)) {  // NaN or Inf
      scales[b.k] = 255;
      codes[i] = 0;
      continue;
    }
    const int e = MxExponent(amax, format, rule);
    scales[b.k] = static_cast<uint8_t>(e + 127);
    codes[i] = MxElement(ToF32(x[i]), e, format);
  }
  Pack(codes.data(), n, MxElementBits(format), elements);
}

template <typename TOut>
void DecodeMx(const uint8_t* scales, const uint8_t* elements, size_t rows,
              size_t cols, MxFormat format, TOut* y) {
  const size_t n = rows * cols;
  std::vector<uint8_t> codes(n);
  Unpack(elements, n, MxElementBits(format), codes.data());
  for (size_t i = 0; i < n; ++i) {
    y[i] = FromF32<TOut>(MxValue(scales[Block(i, cols, kMxBlockSize).k], codes[i], format));
  }
}

template <typename TIn>
void EncodeNvFp4(const TIn* x, size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements) {
  const size_t n = rows * cols;
  std::vector<uint8_t> codes(n);
  for (size_t i = 0; i < n; ++i) {
    const BlockOf b = Block(i, cols, kNvFp4BlockSize);
    const float amax = static_cast<float>(AbsMax(x + b.first, b.size));
    const uint8_t s = EncodeFloatOne(amax / 6.0f / tensor_scale,
                                     FloatFormat::kE4M3FN, Overflow::kSaturate);
    block_scales[b.k] = s;
    const float d = NvFp4Factor(s, tensor_scale);
    codes[i] = d == 0.0f ? 0
                         : EncodeFloatOne(ToF32(x[i]) / d, FloatFormat::kE2M1,
                                          Overflow::kSaturate);
  }
  Pack(codes.data(), n, 4, elements);
}

template <typename TOut>
void DecodeNvFp4(const uint8_t* block_scales, const uint8_t* elements,
                 size_t rows, size_t cols, float tensor_scale, TOut* y) {
  const size_t n = rows * cols;
  std::vector<uint8_t> codes(n);
  Unpack(elements, n, 4, codes.data());
  for (size_t i = 0; i < n; ++i) {
    const float d = NvFp4Factor(block_scales[Block(i, cols, kNvFp4BlockSize).k],
                                tensor_scale);
    y[i] = FromF32<TOut>(DecodeFloatCode(FloatFormat::kE2M1, codes[i]) * d);
  }
}

namespace {
// MeasureError's sums of x against y.
ErrorStats ErrorOf(const float* x, const std::vector<float>& y) {
  const size_t n = y.size();
  std::vector<internal::StripeSums> stripes(internal::NumStripes(n));
  for (size_t j = 0; j < stripes.size(); ++j) {
    const size_t begin = j * internal::kErrorStripe;
    stripes[j] = internal::ErrorStripeSums(
        x + begin, y.data() + begin, std::min(internal::kErrorStripe, n - begin));
  }
  return internal::FinishErrorStats(
      internal::SumStripes(stripes.data(), stripes.size()), n);
}
}  // namespace

ErrorStats MeasureFloatError(const float* x, const Layout& layout,
                             const float* scales, const FloatCodeSpec& spec) {
  FloatCodeSpec unpacked = spec;
  unpacked.packed = false;
  std::vector<uint8_t> codes(layout.NumElements());
  std::vector<float> y(codes.size());
  reference::EncodeFloat(x, layout, scales, unpacked, codes.data());
  reference::DecodeFloat(codes.data(), layout, scales, unpacked, y.data());
  return ErrorOf(x, y);
}

ErrorStats MeasureMxError(const float* x, size_t rows, size_t cols,
                          MxFormat format, MxScaleRule rule) {
  std::vector<uint8_t> scales(MxScaleCount(rows, cols));
  std::vector<uint8_t> elements(MxElementBytes(format, rows * cols));
  std::vector<float> y(rows * cols);
  reference::EncodeMx(x, rows, cols, format, scales.data(), elements.data(), rule);
  reference::DecodeMx(scales.data(), elements.data(), rows, cols, format, y.data());
  return ErrorOf(x, y);
}

ErrorStats MeasureNvFp4Error(const float* x, size_t rows, size_t cols,
                             float tensor_scale) {
  std::vector<uint8_t> scales(NvFp4ScaleCount(rows, cols));
  std::vector<uint8_t> elements(PackedBytes(rows * cols, 4));
  std::vector<float> y(rows * cols);
  reference::EncodeNvFp4(x, rows, cols, tensor_scale, scales.data(), elements.data());
  reference::DecodeNvFp4(scales.data(), elements.data(), rows, cols, tensor_scale, y.data());
  return ErrorOf(x, y);
}

#define SIMDQUANT_REFERENCE_FLOAT_CODES(T)                                    \
  template void EncodeFloat<T>(const T*, const Layout&, const float*,         \
                               const FloatCodeSpec&, uint8_t*);               \
  template void DecodeFloat<T>(const uint8_t*, const Layout&, const float*,   \
                               const FloatCodeSpec&, T*);                     \
  template void EncodeMx<T>(const T*, size_t, size_t, MxFormat, uint8_t*,     \
                            uint8_t*, MxScaleRule);                           \
  template void DecodeMx<T>(const uint8_t*, const uint8_t*, size_t, size_t,   \
                            MxFormat, T*);                                    \
  template void EncodeNvFp4<T>(const T*, size_t, size_t, float, uint8_t*,     \
                               uint8_t*);                                     \
  template void DecodeNvFp4<T>(const uint8_t*, const uint8_t*, size_t, size_t, \
                               float, T*);
SIMDQUANT_REFERENCE_FLOAT_CODES(float)
SIMDQUANT_REFERENCE_FLOAT_CODES(hwy::bfloat16_t)
SIMDQUANT_REFERENCE_FLOAT_CODES(hwy::float16_t)
#undef SIMDQUANT_REFERENCE_FLOAT_CODES

}  // namespace reference
}  // namespace simdquant
