// Floating-point codes: FP8 (E4M3FN, E5M2 and their FNUZ variants), FP6
// (E3M2, E2M3) and FP4 (E2M1) with scales per tensor, channel or group; the
// OCP Microscaling (MX v1.0) block formats; and NVFP4.
//
// Every format's rules are written here and in the README; every kernel is
// dispatched at run time, bit-identical on every target to the scalar
// reference (reference.h), and fails like the rest of the library
// (std::invalid_argument naming the function and the value; nothing outside
// the given arrays is read or written; inputs are never modified).
//
// Encoding rounds to nearest, ties to even (the code with an even last bit),
// from the float32 value: bfloat16 and float16 inputs widen exactly first.
// Decoding is exact, then one float32 multiply by the scale.
#ifndef SIMDQUANT_FLOAT_CODES_H_
#define SIMDQUANT_FLOAT_CODES_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"

namespace simdquant {

// ---------------------------------------------------------------------------
// Element formats
//
//   format     bits  bias  largest    smallest     Inf       NaN
//                          finite     subnormal
//   E4M3FN     8     7     448        2^-9         none      S.1111.111
//   E5M2       8     15    57344      2^-16        S.11111.00 S.11111.xx (xx != 0)
//   E4M3FNUZ   8     8     240        2^-10        none      0x80 (no -0)
//   E5M2FNUZ   8     16    57344      2^-17        none      0x80 (no -0)
//   E3M2       6     3     28         2^-4         none      none
//   E2M3       6     1     7.5        2^-3         none      none
//   E2M1       4     1     6          0.5          none      none
//
// A code is sign, exponent, mantissa from the high bit down, in the low
// `bits` bits of its byte. E4M3FN and E5M2 are the OCP 8-bit floating point
// formats (ONNX FLOAT8E4M3FN, FLOAT8E5M2); the FNUZ variants are ONNX's
// FLOAT8E4M3FNUZ / FLOAT8E5M2FNUZ; E3M2, E2M3, E2M1 are the OCP MX element
// types (E2M1 is ONNX's FLOAT4E2M1).
enum class FloatFormat : uint8_t {
  kE4M3FN,
  kE5M2,
  kE4M3FNUZ,
  kE5M2FNUZ,
  kE3M2,
  kE2M3,
  kE2M1,
};

constexpr int FloatFormatBits(FloatFormat f) {
  return f == FloatFormat::kE2M1                                ? 4
         : f == FloatFormat::kE3M2 || f == FloatFormat::kE2M3   ? 6
                                                                : 8;
}
// The largest finite value (448, 57344, 240, 57344, 28, 7.5, 6).
float FloatFormatMax(FloatFormat f);
// "E4M3FN", ...
const char* FloatFormatName(FloatFormat f);
// The value of one code (its low FloatFormatBits(f) bits): exact, NaN or
// +-Inf.
float DecodeFloatCode(FloatFormat f, uint8_t code);

// What happens to values beyond the largest finite one, as ONNX's Cast and
// QuantizeLinear attribute `saturate`:
//   kSaturate:  +-largest finite (also for +-Inf);
//   kInfOrNaN:  E5M2 gives +-Inf; E4M3FN +-NaN; the FNUZ formats NaN (0x80).
//               The FP6 / FP4 formats have neither: they always saturate.
// "Beyond" is after rounding: E4M3FN's 464 (halfway from 448 to 480) rounds
// to 448, above that is overflow.
// NaN stays NaN in the FP8 formats (E4M3FN, E5M2: the sign kept, code
// S.1111111; FNUZ: 0x80). FP6 and FP4 cannot hold NaN: it becomes +largest
// (0x1F, 0x1F, 0x7), as ONNX's float4e2m1 conversion does; MX blocks mark it
// in their scale instead.
enum class Overflow : uint8_t { kSaturate, kInfOrNaN };

struct FloatCodeSpec {
  FloatFormat format = FloatFormat::kE4M3FN;
  Overflow overflow = Overflow::kSaturate;
  // code = Round(x / scale) with the float32 quotient correctly rounded
  // (ONNX QuantizeLinear), or Round(x * (1.0f / scale)) (kReciprocal).
  QuantizeMode mode = QuantizeMode::kDivide;
  // FP6 / FP4 codes packed densely as tensor.h's packed codes (element i in
  // bits [i * bits, (i + 1) * bits) of the little-endian bitstream: FP4 two
  // per byte, element 0 in the low nibble, as ONNX FLOAT4E2M1; FP6 four in
  // three bytes), PackedBytes(n, bits) bytes; else one code per byte. FP8
  // codes are one per byte either way.
  bool packed = false;
};

// Bytes of n codes under spec.
constexpr size_t FloatCodeBytes(size_t n, const FloatCodeSpec& spec) {
  return spec.packed ? PackedBytes(n, FloatFormatBits(spec.format)) : n;
}

namespace detail {
void EncodeFloat(const void* x, FloatType type, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec,
                 uint8_t* codes);
void DecodeFloat(const uint8_t* codes, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec, void* y,
                 FloatType type);
}  // namespace detail

// Encodes each element with the scale of its channel or group
// (scales[layout.ParamIndex(row, col)], layout.NumParams() of them, each
// finite and > 0): per tensor, Layout::PerTensor(n) and one scale.
template <typename TIn>
void EncodeFloat(const TIn* x, const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* codes) {
  detail::EncodeFloat(x, detail::FloatTypeOf<TIn>(), layout, scales, spec,
                      codes);
}

// y = value(code) * scale, one float32 multiply (ONNX DequantizeLinear),
// rounded to TOut. spec.overflow and spec.mode are not used.
template <typename TOut>
void DecodeFloat(const uint8_t* codes, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec, TOut* y) {
  detail::DecodeFloat(codes, layout, scales, spec, y,
                      detail::FloatTypeOf<TOut>());
}

// The error of encoding then decoding x (float32), as MeasureError of
// simdquant.h (the same sums, order and bound).
ErrorStats MeasureFloatError(const float* x, const Layout& layout,
                             const float* scales, const FloatCodeSpec& spec);

// ---------------------------------------------------------------------------
// OCP Microscaling (MX v1.0)
//
// A tensor [rows x cols] in blocks of 32 consecutive elements of a row (the
// last block of a row may be shorter), each block with one E8M0 scale
// X = 2^(code - 127) (code 255: NaN) and elements P_i, x_i ~= X * P_i:
//
//   format        element  element bits  emax  largest element
//   MXFP8_E4M3    E4M3FN   8             8     448
//   MXFP8_E5M2    E5M2     8             15    57344
//   MXFP6_E3M2    E3M2     6             4     28
//   MXFP6_E2M3    E2M3     6             2     7.5
//   MXFP4         E2M1     4             2     6
//   MXINT8        int8     8             0     127/64 (two's complement,
//                                               value q / 64)
//
// The scale: kFloor (the spec's rule): X = 2^(floor(log2(amax)) - emax);
// amax = max |x_i| of the block; the element's value may then exceed the
// largest element (up to twice it) and saturates. kRoundUp: the smallest
// power of two with amax / X <= largest element (computed exactly), so
// that no element saturates: what most training recipes (TransformerEngine,
// torchao's RCEIL) use. Both are clamped to [2^-127, 2^127].
// Elements: P_i = x_i / X (exact: X is a power of two, the quotient
// rounded once to float32), rounded to nearest even, saturating
// (MXINT8: to [-127, 127]).
// Special blocks: amax == 0 (all zeros) gets X = 2^-127 and zero elements
// (signs kept); a block with NaN or +-Inf gets the NaN scale (0xFF) and
// all-zero element bits (they carry nothing once X is NaN).
//
// Storage: scales one byte per block, block order (row by row); elements
// packed as tensor.h's packed codes over the whole tensor in element order
// (MXFP4: two per byte, low nibble first; MXFP6: four in three bytes),
// MxElementBytes(format, rows * cols) bytes.
enum class MxFormat : uint8_t {
  kMXFP8_E4M3,
  kMXFP8_E5M2,
  kMXFP6_E3M2,
  kMXFP6_E2M3,
  kMXFP4,
  kMXINT8,
};
enum class MxScaleRule : uint8_t { kFloor, kRoundUp };

constexpr size_t kMxBlockSize = 32;
constexpr int MxElementBits(MxFormat f) {
  return f == MxFormat::kMXFP4                                        ? 4
         : f == MxFormat::kMXFP6_E3M2 || f == MxFormat::kMXFP6_E2M3  ? 6
                                                                      : 8;
}
constexpr size_t MxScaleCount(size_t rows, size_t cols) {
  return cols == 0 ? 0 : rows * ((cols - 1) / kMxBlockSize + 1);
}
constexpr size_t MxElementBytes(MxFormat f, size_t n) {
  return PackedBytes(n, MxElementBits(f));
}
const char* MxFormatName(MxFormat f);  // "MXFP8_E4M3", ...

namespace detail {
void EncodeMx(const void* x, FloatType type, size_t rows, size_t cols,
              MxFormat format, MxScaleRule rule, uint8_t* scales,
              uint8_t* elements);
void DecodeMx(const uint8_t* scales, const uint8_t* elements, size_t rows,
              size_t cols, MxFormat format, void* y, FloatType type);
}  // namespace detail

template <typename TIn>
void EncodeMx(const TIn* x, size_t rows, size_t cols, MxFormat format,
              uint8_t* scales, uint8_t* elements,
              MxScaleRule rule = MxScaleRule::kFloor) {
  detail::EncodeMx(x, detail::FloatTypeOf<TIn>(), rows, cols, format, rule,
                   scales, elements);
}
// y = X * value(P) (one float32 multiply; NaN for a NaN scale).
template <typename TOut>
void DecodeMx(const uint8_t* scales, const uint8_t* elements, size_t rows,
              size_t cols, MxFormat format, TOut* y) {
  detail::DecodeMx(scales, elements, rows, cols, format, y,
                   detail::FloatTypeOf<TOut>());
}
ErrorStats MeasureMxError(const float* x, size_t rows, size_t cols,
                          MxFormat format,
                          MxScaleRule rule = MxScaleRule::kFloor);

// ---------------------------------------------------------------------------
// NVFP4: E2M1 elements in blocks of 16 consecutive elements of a row (the
// last block of a row may be shorter), each block with an E4M3FN scale s_b,
// and one float32 scale t for the tensor: x ~= t * s_b * value(P).
//   s_b = E4M3FN(amax_b / 6 / t)   (each step a float32 operation; rounded
//                                   to nearest even, saturating at 448)
//   d_b = value(s_b) * t
//   P_i = E2M1(x_i / d_b)          (nearest even, saturating at +-6;
//                                   0 where d_b is 0)
// t > 0 and finite, e.g. NvFp4TensorScale(amax of the tensor) =
// amax / (6 * 448), which puts the largest block scale at 448. NaN or Inf
// inputs are errors (the block scale cannot mark them), found block by
// block: the outputs before the bad block are then written.
// Storage: block scales one byte per block (row by row); elements packed two
// per byte, low nibble first, over the whole tensor.
constexpr size_t kNvFp4BlockSize = 16;
constexpr size_t NvFp4ScaleCount(size_t rows, size_t cols) {
  return cols == 0 ? 0 : rows * ((cols - 1) / kNvFp4BlockSize + 1);
}
// amax / (6 * 448) in float32, or 1 where that is 0; throws unless amax is
// finite and >= 0.
float NvFp4TensorScale(float amax);

namespace detail {
void EncodeNvFp4(const void* x, FloatType type, size_t rows, size_t cols,
                 float tensor_scale, uint8_t* block_scales,
                 uint8_t* elements);
void DecodeNvFp4(const uint8_t* block_scales, const uint8_t* elements,
                 size_t rows, size_t cols, float tensor_scale, void* y,
                 FloatType type);
}  // namespace detail

template <typename TIn>
void EncodeNvFp4(const TIn* x, size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements) {
  detail::EncodeNvFp4(x, detail::FloatTypeOf<TIn>(), rows, cols, tensor_scale,
                      block_scales, elements);
}
// y = value(P) * d_b, with d_b = value(s_b) * t as in encoding.
template <typename TOut>
void DecodeNvFp4(const uint8_t* block_scales, const uint8_t* elements,
                 size_t rows, size_t cols, float tensor_scale, TOut* y) {
  detail::DecodeNvFp4(block_scales, elements, rows, cols, tensor_scale, y,
                      detail::FloatTypeOf<TOut>());
}
ErrorStats MeasureNvFp4Error(const float* x, size_t rows, size_t cols,
                             float tensor_scale);

}  // namespace simdquant

#endif  // SIMDQUANT_FLOAT_CODES_H_
