// The floating-point code formats of float_codes.h as numbers: what the
// vector kernels and the scalar helpers compute with. Includes no Highway
// ops.
#ifndef SIMDQUANT_LIB_FLOAT_FORMAT_H_
#define SIMDQUANT_LIB_FLOAT_FORMAT_H_

#include <stdint.h>

#include "simdquant/float_codes.h"

namespace simdquant {
namespace internal {

enum class Specials : uint8_t {
  kIeee,  // E5M2: exponent all ones is Inf (mantissa 0) or NaN
  kFn,    // E4M3FN: only S.1111.111 is NaN; no Inf
  kFnuz,  // 0x80 is NaN; no -0, no Inf
  kNone,  // FP6 / FP4: every code is a finite number
};

struct MiniFloat {
  int bits;           // 8, 6 or 4, sign included
  int mantissa;       // mantissa bits
  int bias;
  uint32_t max_code;  // the largest finite magnitude's code (sign clear)
  Specials specials;

  constexpr int MinNormalExponent() const { return 1 - bias; }
  // The largest finite value's exponent (unbiased).
  constexpr int MaxExponent() const {
    return static_cast<int>(max_code >> mantissa) - bias;
  }
  constexpr uint32_t SignBit() const { return 1u << (bits - 1); }
  // Code of a positive overflow without saturation.
  constexpr uint32_t OverflowCode() const {
    return specials == Specials::kIeee   ? max_code + 1  // Inf
           : specials == Specials::kFn   ? max_code + 1  // NaN
           : specials == Specials::kFnuz ? 0x80           // NaN
                                         : max_code;      // saturates
  }
  // Code of a positive NaN (negative NaN: | SignBit() for kIeee and kFn).
  constexpr uint32_t NaNCode() const {
    return specials == Specials::kIeee   ? SignBit() - 1
           : specials == Specials::kFn   ? SignBit() - 1
           : specials == Specials::kFnuz ? 0x80
                                         : max_code;
  }
  constexpr bool NaNKeepsSign() const {
    return specials == Specials::kIeee || specials == Specials::kFn;
  }
};

constexpr MiniFloat Describe(FloatFormat f) {
  switch (f) {
    case FloatFormat::kE4M3FN:   return {8, 3, 7, 0x7E, Specials::kFn};
    case FloatFormat::kE5M2:     return {8, 2, 15, 0x7B, Specials::kIeee};
    case FloatFormat::kE4M3FNUZ: return {8, 3, 8, 0x7F, Specials::kFnuz};
    case FloatFormat::kE5M2FNUZ: return {8, 2, 16, 0x7F, Specials::kFnuz};
    case FloatFormat::kE3M2:     return {6, 2, 3, 0x1F, Specials::kNone};
    case FloatFormat::kE2M3:     return {6, 3, 1, 0x1F, Specials::kNone};
    case FloatFormat::kE2M1:     return {4, 1, 1, 0x07, Specials::kNone};
  }
  return {8, 3, 7, 0x7E, Specials::kFn};
}

// MX: the element format of each MX format (MXINT8 has none: int8 / 64).
constexpr FloatFormat MxElementFormat(MxFormat f) {
  return f == MxFormat::kMXFP8_E5M2   ? FloatFormat::kE5M2
         : f == MxFormat::kMXFP6_E3M2 ? FloatFormat::kE3M2
         : f == MxFormat::kMXFP6_E2M3 ? FloatFormat::kE2M3
         : f == MxFormat::kMXFP4      ? FloatFormat::kE2M1
                                      : FloatFormat::kE4M3FN;
}

// The element format's largest exponent (emax of the MX spec) and the
// bits of the significand of its largest value, as a float32 mantissa
// field (for the round-up rule).
constexpr int MxEmax(MxFormat f) {
  return f == MxFormat::kMXINT8 ? 0
                                : Describe(MxElementFormat(f)).MaxExponent();
}
constexpr uint32_t MxMaxMantissa(MxFormat f) {
  // MXINT8: 127/64 = 1.111111b; else max_code's mantissa bits.
  return f == MxFormat::kMXINT8
             ? 0x7E0000u
             : (Describe(MxElementFormat(f)).max_code &
                ((1u << Describe(MxElementFormat(f)).mantissa) - 1))
                   << (23 - Describe(MxElementFormat(f)).mantissa);
}

// The E8M0 code of a block whose largest magnitude has float32 bits
// amax_bits (finite, sign clear), by the rule: 127 + the exponent of X,
// clamped to [0, 254].
inline uint8_t MxScaleCode(uint32_t amax_bits, MxFormat f, MxScaleRule rule) {
  if (amax_bits == 0) return 0;
  // floor(log2(amax)) and the mantissa field of amax normalized.
  int exponent = static_cast<int>(amax_bits >> 23) - 127;
  uint32_t mantissa = amax_bits & 0x7FFFFF;
  if (exponent == -127) {  // subnormal: normalize
    int shift = 0;
    while ((mantissa & 0x800000) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x7FFFFF;
    exponent = -126 - shift;
  }
  int scale = exponent - MxEmax(f);
  if (rule == MxScaleRule::kRoundUp && mantissa > MxMaxMantissa(f)) ++scale;
  scale = scale < -127 ? -127 : scale > 127 ? 127 : scale;
  return static_cast<uint8_t>(scale + 127);
}

// 2^e for e in [-149, 127], exactly, from its bit pattern.
inline float Pow2(int e) {
  const uint32_t bits = e >= -126 ? static_cast<uint32_t>(e + 127) << 23
                                  : 1u << (e + 149);
  float v;
  __builtin_memcpy(&v, &bits, 4);
  return v;
}

// An E8M0 scale: 2^(code - 127), NaN for 255.
inline float E8M0Value(uint8_t code) {
  return code == 255 ? __builtin_nanf("") : Pow2(code - 127);
}

}  // namespace internal
}  // namespace simdquant

#endif  // SIMDQUANT_LIB_FLOAT_FORMAT_H_
