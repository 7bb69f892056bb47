// The GGUF searches' parameters and the K-quants' super-blocks of 256
// values (gguf.h): shared by the reference (lib/reference_gguf.cc, which
// defines the out-of-line functions) and the vector encoders and decoders
// (lib/gguf_k.cc). Sub-blocks of `sub` values; a K-quant sub-block's codes
// are offset + clamp(nearest_int((x + m) / d), lo, hi) with its d and m as
// stored (KScalesOf), and decode to d * (code - offset) - m.
#ifndef SIMDQUANT_LIB_GGUF_K_LAYOUT_H_
#define SIMDQUANT_LIB_GGUF_K_LAYOUT_H_

#include <stdint.h>
#include <string.h>

#include "lib/internal.h"  // F32FromF16Bits
#include "simdquant/gguf.h"

namespace simdquant {
namespace internal {

struct KFormat {
  int sub;
  int32_t lo, hi, offset;
};
constexpr KFormat KFormatOf(gguf::BlockType type) {
  switch (type) {
    case gguf::BlockType::kQ2_K: return {16, 0, 3, 0};
    case gguf::BlockType::kQ3_K: return {16, -4, 3, 4};
    case gguf::BlockType::kQ4_K: return {32, 0, 15, 0};
    case gguf::BlockType::kQ5_K: return {32, 0, 31, 0};
    case gguf::BlockType::kQ6_K: return {16, -32, 31, 32};
    default: return {32, 0, 0, 0};
  }
}

// ggml's affine scale search (make_qkx2_quants in quantize_row_<type>_ref,
// make_qkx3_quants with importance weights): codes in [0, nmax], trials
// iscale = (rmin + rdelta * is + nmax) / range for is in [0, nstep], error
// weighted squares (or absolute values if use_mad).
struct AffineSearch {
  int32_t nmax;
  float rmin, rdelta;
  int nstep;
  bool use_mad;
};
constexpr AffineSearch AffineSearchOf(gguf::BlockType type, bool weighted) {
  const int32_t nmax =
      type == gguf::BlockType::kQ2_K                                    ? 3
      : type == gguf::BlockType::kQ4_K || type == gguf::BlockType::kQ4_1 ? 15
                                                                         : 31;
  if (weighted) return {nmax, -0.9f, 0.05f, 36, false};
  switch (type) {
    case gguf::BlockType::kQ2_K: return {nmax, -0.5f, 0.1f, 15, true};
    case gguf::BlockType::kQ4_K: return {nmax, -1.0f, 0.1f, 20, false};
    default: return {nmax, -0.5f, 0.1f, 15, false};  // Q5_K
  }
}

// nmax of ggml's symmetric searches (make_qx_quants, make_q3_quants):
// codes in [0, 2 nmax).
constexpr int32_t SymmetricNmax(gguf::BlockType type) {
  switch (type) {
    case gguf::BlockType::kQ3_K: return 4;
    case gguf::BlockType::kQ4_0: return 8;
    case gguf::BlockType::kQ5_0: return 16;
    default: return 32;  // Q6_K
  }
}

// ggml's sigma2 of a K-quant super-block with importance weights, from
// the sum of its squares: the mean square (Q2_K) or twice it (Q3_K to
// Q5_K), in ggml's order of operations.
inline float SuperBlockSigma2(gguf::BlockType type, float sum_x2) {
  return type == gguf::BlockType::kQ2_K ? sum_x2 / 256 : 2 * sum_x2 / 256;
}

inline float LoadF16(const uint8_t* in) {
  uint16_t bits;
  memcpy(&bits, in, 2);
  return F32FromF16Bits(bits);
}

// Sub-block j's 6-bit scale and min in Q4_K / Q5_K's 12 bytes: j < 4 in the
// low 6 bits of bytes j and j + 4; j >= 4 in the nibbles of byte j + 4, with
// the top two bits in bits 6-7 of bytes j - 4 (scale) and j (min).
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q3_K's 16 6-bit scales (offset by 32) from their 12 bytes: scale j's low
// nibble is in byte j (j < 8) or the high nibble of byte j - 8, its top two
// bits in byte 8 + j % 4 at bit 2 (j / 4). Four bytes per 32-bit word
// (little-endian), as ggml: byte-wise code gets vectorized by compilers
// into byte stores reloaded as words, which stall.
inline void ScalesQ3K(const uint8_t* q, int32_t* scales) {
  uint32_t w[3];
  memcpy(w, q, 12);
  const uint32_t low = 0x0F0F0F0Fu, top = 0x03030303u;
  const uint32_t words[4] = {(w[0] & low) | (w[2] & top) << 4,
                             (w[1] & low) | ((w[2] >> 2) & top) << 4,
                             ((w[0] >> 4) & low) | ((w[2] >> 4) & top) << 4,
                             ((w[1] >> 4) & low) | ((w[2] >> 6) & top) << 4};
  for (int j = 0; j < 16; ++j) {
    scales[j] = static_cast<int32_t>((words[j / 4] >> (8 * (j % 4))) & 0xFF) - 32;
  }
}

// Each sub-block's d and m (+0 in the formats without mins: Q3_K, Q6_K):
// ggml's float32 products of the super-block's float16 d (d_min) and the
// sub-block's quantized scale (min). Inline: decoding calls it per
// super-block.
inline void KScalesOf(gguf::BlockType type, const uint8_t* block, float* d,
                      float* m) {
  const int subs = 256 / KFormatOf(type).sub;
  for (int j = 0; j < subs; ++j) m[j] = 0.0f;
  switch (type) {
    case gguf::BlockType::kQ2_K: {
      const float super_d = LoadF16(block + 80), super_m = LoadF16(block + 82);
      for (int j = 0; j < subs; ++j) {
        d[j] = super_d * static_cast<float>(block[j] & 0xF);
        m[j] = super_m * static_cast<float>(block[j] >> 4);
      }
      break;
    }
    case gguf::BlockType::kQ3_K: {
      const float super_d = LoadF16(block + 108);
      int32_t scales[16];
      ScalesQ3K(block + 96, scales);
      for (int j = 0; j < subs; ++j) d[j] = super_d * static_cast<float>(scales[j]);
      break;
    }
    case gguf::BlockType::kQ4_K:
    case gguf::BlockType::kQ5_K: {
      const float super_d = LoadF16(block), super_m = LoadF16(block + 2);
      for (int j = 0; j < subs; ++j) {
        uint8_t sc, mn;
        ScaleMinK4(j, block + 4, &sc, &mn);
        d[j] = super_d * static_cast<float>(sc);
        m[j] = super_m * static_cast<float>(mn);
      }
      break;
    }
    case gguf::BlockType::kQ6_K: {
      const float super_d = LoadF16(block + 208);
      for (int j = 0; j < subs; ++j) {
        d[j] = super_d * static_cast<float>(static_cast<int8_t>(block[192 + j]));
      }
      break;
    }
    default: break;
  }
}

// Writes the super-block's d (and d_min) and quantized sub-block scales
// (and mins) from the searches' float scales[] and mins[], as ggml does:
// without importance weights (sw == nullptr) as quantize_row_<type>_ref,
// with them as its imatrix path, which fits the scales (and mins) by
// weighted least squares with weights sw[j], the sum of sub-block j's
// weights. Returns false if the block is complete (Q6_K's all-zero block).
bool WriteKScales(gguf::BlockType type, const float* scales, const float* mins,
                  const float* sw, uint8_t* block);
// Codes L[256] (in [0, 2^bits)) into / out of the block's code bytes.
void PackKCodes(gguf::BlockType type, const uint8_t* L, uint8_t* block);
void UnpackKCodes(gguf::BlockType type, const uint8_t* block, int32_t* q);

// A legacy block encoded with importance weights: ggml stores its search's
// scale, min (-neg_min; Q4_1, Q5_1) and codes L[32] as they are.
void WriteSearchedLegacyBlock(gguf::BlockType type, float scale, float neg_min,
                              const uint8_t* L, uint8_t* block);
// Its scale and min; returns where its codes go (qh, or qs).
uint8_t* WriteSearchedLegacyScales(gguf::BlockType type, float scale,
                                   float neg_min, uint8_t* block);

}  // namespace internal
}  // namespace simdquant

#endif  // SIMDQUANT_LIB_GGUF_K_LAYOUT_H_
