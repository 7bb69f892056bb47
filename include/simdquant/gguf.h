// GGUF block formats: llama.cpp's per-block quantization with ggml's byte
// layouts, byte-identical to ggml's reference encoders and decoders on every
// target.
//
// The legacy formats quantize blocks of 32 consecutive values, each block
// with a float16 scale d (and, in the _1 formats, a float16 minimum m):
//
//   type  bytes  layout (little-endian)               value of code q
//   Q4_0  18     d, qs[16]                            (q - 8) * d
//   Q4_1  20     d, m, qs[16]                         q * d + m
//   Q5_0  22     d, qh[4], qs[16]                     (q - 16) * d
//   Q5_1  24     d, m, qh[4], qs[16]                  q * d + m
//   Q8_0  34     d, qs[32] (int8)                     q * d
//
// 4- and 5-bit codes: qs[j] holds element j in its low nibble and element
// j + 16 in its high nibble; the 5-bit formats keep each element's fifth bit
// in qh, bit i (of the 32-bit little-endian word) for element i.
//
// Encoding follows ggml's quantize_row_<type>_ref step by step, in float32,
// without FMA contraction (as ggml's x86-64 build computes it):
//   Q8_0: d = amax / 127, q = roundf(x / d) (ties away from zero, computed
//         as x * (1 / d));
//   Q4_0, Q5_0: with M the first element of largest magnitude (+0 if the
//         block is all zeros), d = M / -8 (-16), q = min(15 (31),
//         trunc(x * (1 / d) + 8.5 (16.5)));
//   Q4_1, Q5_1: d = (max - min) / 15 (31), m = min,
//         q = min(15 (31), trunc((x - min) * (1 / d) + 0.5));
//   1 / d is taken as 0 when d is 0. When d is so small (a block whose
//   largest magnitude is below about 2^-121) that 1 / d overflows to
//   infinity, ggml's float -> integer conversion of the infinite or NaN
//   products is, on x86, INT32_MIN, whose low byte makes the code 0: these
//   functions give the same bytes. d and m are rounded to float16 to
//   nearest even (overflow to infinity), as ggml does.
// Decoding is ggml's dequantize_row_<type>: one float32 product per value,
// then (_1 formats) one float32 addition of m.
//
// The K-quants quantize super-blocks of 256 values in sub-blocks, each
// sub-block with a quantized scale (and min) relative to the super-block's
// float16 d (and d_min); the byte layouts are drawn in the README:
//
//   type  bytes  sub-blocks  code bits  sub-block scale, min   value
//   Q2_K   84    16 x 16     2          4-bit, 4-bit            d sc q - dmin m
//   Q3_K  110    16 x 16     3          6-bit signed            d sc (q - 4)
//   Q4_K  144     8 x 32     4          6-bit, 6-bit            d sc q - dmin m
//   Q5_K  176     8 x 32     5          6-bit, 6-bit            d sc q - dmin m
//   Q6_K  210    16 x 16     6          int8                    d sc (q - 32)
//
// Encoding runs ggml's scale searches (make_qkx2_quants for Q2_K, Q4_K,
// Q5_K; make_q3_quants for Q3_K; make_qx_quants for Q6_K) with its float32
// steps in its order, its nearest_int (adding 1.5 * 2^23: ties to even),
// then quantizes the sub-block scales against the largest one, and each
// sub-block's codes with its scale as stored (a sub-block whose stored
// scale is 0 keeps the search's codes, as in ggml).
//
// With importance weights (EncodeRows; ggml_quantize_chunk's imatrix path,
// quantize_row_<type>_impl) each element's weight is
// qw * sqrt(sigma2 + x^2), with sigma2 the mean square of the row (legacy
// formats), of the super-block (Q2_K) or twice it (Q3_K to Q5_K); Q6_K
// takes qw as it is. The legacy formats then search their scale (Q4_0,
// Q5_0: make_qx_quants; Q4_1, Q5_1: make_qkx3_quants) and store it with
// the search's codes; the K-quants search each sub-block (make_qkx3_quants,
// or make_qx_quants for Q3_K and Q6_K) and fit the super-block's scales by
// weighted least squares (make_qp_quants; Q3_K make_qx_quants) with the
// sub-blocks' weight sums.
//
// MXFP4 (ggml's block_mxfp4, the OCP MXFP4 values in ggml's own layout and
// rules): 17 bytes, e (E8M0), qs[16] with element j in the low nibble of
// qs[j] and element j + 16 in the high one; the code indexes the E2M1
// values {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, ..., -6}, times 2^(e-127).
// As quantize_row_mxfp4_ref: e = floorf(log2f(amax)) - 2 + 127 (log2f of
// the C library, as ggml; below 2^-125 ggml's conversion of the negative
// result to uint8_t is, on x86, the low byte of its int32 conversion, and so
// is ours), e = 0 for an all-zero block; each value to the nearest table
// value, ties to the smaller magnitude (not to even, as the MX formats of
// float_codes.h), -0 and values that round to 0 to code 0. Importance
// weights are ignored, as ggml ignores them. Decoding: table value * 2^(e-127),
// one float32 product.
//
// Errors (std::invalid_argument naming the function and the value): n not
// a multiple of BlockSize(type), null pointers (with n > 0), NaN or infinite inputs
// (ggml's result for them depends on how its compiler converts NaN to an
// integer: undefined). Encoding checks a batch of blocks before writing
// it, so on such an error the blocks before the bad one's batch may have
// been written.
#ifndef SIMDQUANT_GGUF_H_
#define SIMDQUANT_GGUF_H_

#include <stddef.h>
#include <stdint.h>

#include "simdquant/tensor.h"  // FloatType: float, bfloat16, float16

namespace simdquant {
namespace gguf {

enum class BlockType : uint8_t {
  kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ8_0,  // blocks of 32
  kQ2_K, kQ3_K, kQ4_K, kQ5_K, kQ6_K,  // super-blocks of 256
  kMXFP4,                             // blocks of 32 (float_codes.h's E2M1)
};
constexpr BlockType kLastBlockType = BlockType::kMXFP4;

constexpr bool IsKQuant(BlockType type) {
  return static_cast<uint8_t>(type) >= static_cast<uint8_t>(BlockType::kQ2_K) &&
         static_cast<uint8_t>(type) <= static_cast<uint8_t>(BlockType::kQ6_K);
}

// Values per block.
constexpr size_t BlockSize(BlockType type) { return IsKQuant(type) ? 256 : 32; }

// Bytes per block.
constexpr size_t BlockBytes(BlockType type) {
  switch (type) {
    case BlockType::kQ4_0: return 18;
    case BlockType::kQ4_1: return 20;
    case BlockType::kQ5_0: return 22;
    case BlockType::kQ5_1: return 24;
    case BlockType::kQ8_0: return 34;
    case BlockType::kQ2_K: return 84;
    case BlockType::kQ3_K: return 110;
    case BlockType::kQ4_K: return 144;
    case BlockType::kQ5_K: return 176;
    case BlockType::kQ6_K: return 210;
    case BlockType::kMXFP4: return 17;
  }
  return 0;
}

// Bytes of n values (n a multiple of BlockSize(type)).
constexpr size_t RowBytes(BlockType type, size_t n) {
  return n / BlockSize(type) * BlockBytes(type);
}

// ggml's enum ggml_type value of the format (as written in GGUF files).
constexpr uint32_t GgmlTypeId(BlockType type) {
  switch (type) {
    case BlockType::kQ4_0: return 2;
    case BlockType::kQ4_1: return 3;
    case BlockType::kQ5_0: return 6;
    case BlockType::kQ5_1: return 7;
    case BlockType::kQ8_0: return 8;
    case BlockType::kQ2_K: return 10;
    case BlockType::kQ3_K: return 11;
    case BlockType::kQ4_K: return 12;
    case BlockType::kQ5_K: return 13;
    case BlockType::kQ6_K: return 14;
    case BlockType::kMXFP4: return 39;
  }
  return 0;
}

// The format's name as llama.cpp spells it ("Q4_0", ...).
const char* BlockTypeName(BlockType type);

namespace detail {
void Encode(BlockType type, const void* x, simdquant::detail::FloatType x_type,
            size_t n, void* blocks);
void EncodeRows(BlockType type, const void* x,
                simdquant::detail::FloatType x_type, size_t rows,
                size_t n_per_row, const float* importance, void* blocks);
void Decode(BlockType type, const void* blocks, size_t n, void* x,
            simdquant::detail::FloatType x_type);
}  // namespace detail

// Encodes x[0, n) (n a multiple of BlockSize(type); float, hwy::bfloat16_t or
// hwy::float16_t) into RowBytes(type, n) bytes at blocks: byte-identical to
// ggml's quantize_row_<type>_ref(x, blocks, n) of the values as float32
// (bfloat16 and float16 convert exactly).
template <typename TIn>
void Encode(BlockType type, const TIn* x, size_t n, void* blocks) {
  detail::Encode(type, x, simdquant::detail::FloatTypeOf<TIn>(), n, blocks);
}

// Encodes a rows x n_per_row matrix (row-major; n_per_row a multiple of
// BlockSize(type)) into rows * RowBytes(type, n_per_row) bytes at blocks,
// with importance weights: llama.cpp's --imatrix path, byte-identical to
// ggml_quantize_chunk(type, x, blocks, 0, rows, n_per_row, importance).
// importance holds one weight per column (n_per_row floats, finite, >= 0,
// not all zero), as llama.cpp's imatrix files store them; or is null, and
// then the result is Encode's. Q8_0 ignores the weights, as ggml does.
template <typename TIn>
void EncodeRows(BlockType type, const TIn* x, size_t rows, size_t n_per_row,
                const float* importance, void* blocks) {
  detail::EncodeRows(type, x, simdquant::detail::FloatTypeOf<TIn>(), rows,
                     n_per_row, importance, blocks);
}

// Decodes RowBytes(type, n) bytes at blocks into x[0, n): bit-identical to
// ggml's dequantize_row_<type>(blocks, x, n) for float; for bfloat16 and
// float16 those float32 values rounded to nearest even.
template <typename TOut>
void Decode(BlockType type, const void* blocks, size_t n, TOut* x) {
  detail::Decode(type, blocks, n, x, simdquant::detail::FloatTypeOf<TOut>());
}

}  // namespace gguf
}  // namespace simdquant

#endif  // SIMDQUANT_GGUF_H_
