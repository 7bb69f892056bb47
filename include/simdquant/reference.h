// Scalar reference implementation of every simdquant kernel: plain C++, one
// element at a time, written to be obviously correct rather than fast. It is
// the oracle of the test suite; users can check their own builds against it.
// Same contracts and same argument checks as simdquant.h; the library builds
// this file without auto-vectorization so that it stays scalar.
#ifndef SIMDQUANT_REFERENCE_H_
#define SIMDQUANT_REFERENCE_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/float_codes.h"
#include "simdquant/gguf.h"
#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"

namespace simdquant {
namespace reference {

// One element: the definition every target reproduces bit for bit.
// Requires valid params (ValidateParams); does not check them.
int32_t QuantizeOne(float x, const QuantParams& p, QuantizeMode mode);
float DequantizeOne(int32_t q, const QuantParams& p);

MinMaxResult MinMax(const float* x, size_t n);
float AbsMax(const float* x, size_t n);

void Quantize(const float* x, size_t n, const QuantParams& p, uint8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int8_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, uint16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);
void Quantize(const float* x, size_t n, const QuantParams& p, int16_t* q,
              QuantizeMode mode = QuantizeMode::kDivide);

void Dequantize(const uint8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int8_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const uint16_t* q, size_t n, const QuantParams& p, float* x);
void Dequantize(const int16_t* q, size_t n, const QuantParams& p, float* x);

// Sorts a copy of x and interpolates as PercentileRange documents.
MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct);

// Sums accumulated in the order simdquant.h's MeasureError documents.
ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode = QuantizeMode::kDivide);

// ---------------------------------------------------------------------------
// tensor.h

// bfloat16 / float16 <-> float32, computed arithmetically (scale by powers of
// two, round with nearbyint) rather than with the kernels' bit tricks.
float F32FromBF16(hwy::bfloat16_t x);
hwy::bfloat16_t BF16FromF32(float x);  // nearest even; NaN stays NaN
float F32FromF16(hwy::float16_t x);
hwy::float16_t F16FromF32(float x);  // nearest even; overflow to Inf

// The same for any tensor element type: float (unchanged), bfloat16, float16.
float ToF32(float x);
float ToF32(hwy::bfloat16_t x);
float ToF32(hwy::float16_t x);
template <typename T>
T FromF32(float x);
template <>
float FromF32<float>(float x);
template <>
hwy::bfloat16_t FromF32<hwy::bfloat16_t>(float x);
template <>
hwy::float16_t FromF32<hwy::float16_t>(float x);

// One bit at a time.
void Pack(const uint8_t* codes, size_t n, int bits, uint8_t* packed);
void Pack(const int8_t* codes, size_t n, int bits, uint8_t* packed);
void Unpack(const uint8_t* packed, size_t n, int bits, uint8_t* codes);
void Unpack(const uint8_t* packed, size_t n, int bits, int8_t* codes);

// One element at a time, parameter set layout.ParamIndex(row, col). The
// library instantiates these for the same types as tensor.h.
template <typename TIn>
void MinMax(const TIn* x, const Layout& layout, MinMaxResult* ranges);
template <typename TIn, typename TCode>
void Quantize(const TIn* x, const Layout& layout, const GroupParams& p,
              TCode* q, QuantizeMode mode = QuantizeMode::kDivide);
template <typename TIn>
void QuantizePacked(const TIn* x, const Layout& layout, const GroupParams& p,
                    uint8_t* packed, QuantizeMode mode = QuantizeMode::kDivide);
template <typename TIn, typename TCode>
void QuantizeDynamic(const TIn* x, const Layout& layout, const QuantSpec& spec,
                     const GroupParamsOut& out, TCode* q);
template <typename TIn>
void QuantizeDynamicPacked(const TIn* x, const Layout& layout,
                           const QuantSpec& spec, const GroupParamsOut& out,
                           uint8_t* packed);
template <typename TCode, typename TOut>
void Dequantize(const TCode* q, const Layout& layout, const GroupParams& p,
                TOut* y);
template <typename TOut>
void DequantizePacked(const uint8_t* packed, const Layout& layout,
                      const GroupParams& p, TOut* y);

// GGUF blocks (gguf.h): ggml's reference encoders and decoders, one block
// and one value at a time, with ggml's float32 steps. Same checks as
// gguf::Encode / gguf::Decode.
// TIn / TOut: float, hwy::bfloat16_t or hwy::float16_t.
template <typename TIn>
void GgufEncode(gguf::BlockType type, const TIn* x, size_t n, void* blocks);
template <typename TIn>
void GgufEncodeRows(gguf::BlockType type, const TIn* x, size_t rows,
                    size_t n_per_row, const float* importance, void* blocks);
template <typename TOut>
void GgufDecode(gguf::BlockType type, const void* blocks, size_t n, TOut* x);

// Floating-point codes (float_codes.h), the nearest value found by search.
// The code of v (already scaled) in a format.
uint8_t EncodeFloatOne(float v, FloatFormat format, Overflow overflow);
template <typename TIn>
void EncodeFloat(const TIn* x, const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* codes);
template <typename TOut>
void DecodeFloat(const uint8_t* codes, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec, TOut* y);
ErrorStats MeasureFloatError(const float* x, const Layout& layout,
                             const float* scales, const FloatCodeSpec& spec);
template <typename TIn>
void EncodeMx(const TIn* x, size_t rows, size_t cols, MxFormat format,
              uint8_t* scales, uint8_t* elements,
              MxScaleRule rule = MxScaleRule::kFloor);
template <typename TOut>
void DecodeMx(const uint8_t* scales, const uint8_t* elements, size_t rows,
              size_t cols, MxFormat format, TOut* y);
ErrorStats MeasureMxError(const float* x, size_t rows, size_t cols,
                          MxFormat format,
                          MxScaleRule rule = MxScaleRule::kFloor);
template <typename TIn>
void EncodeNvFp4(const TIn* x, size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements);
template <typename TOut>
void DecodeNvFp4(const uint8_t* block_scales, const uint8_t* elements,
                 size_t rows, size_t cols, float tensor_scale, TOut* y);
ErrorStats MeasureNvFp4Error(const float* x, size_t rows, size_t cols,
                             float tensor_scale);

}  // namespace reference
}  // namespace simdquant

#endif  // SIMDQUANT_REFERENCE_H_
