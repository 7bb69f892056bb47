// Scalar reference of the GGUF block formats (gguf.h): ggml's encoders and
// decoders with its float32 steps in its order, one block and one value at
// a time. Our own code; the test against ggml's library
// (tests/gguf_test.cc) shows it produces ggml's bytes. Built without
// auto-vectorization and FMA contraction (lib/CMakeLists.txt).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <limits>

#include "lib/gguf_k_layout.h"
#include "lib/internal.h"
#include "simdquant/gguf.h"
#include "simdquant/reference.h"

namespace simdquant {
namespace reference {
namespace {

// ggml converts float to int8 / uint8 with x86's cvttss2si and keeps the low
// byte: truncation toward zero, and INT32_MIN (low byte 0) for NaN and values
// beyond the int32 range (the infinite products of a block whose 1 / d
// overflows).
int32_t LowByteOfTruncation(float v) {
  const int32_t t = (isnan(v) || fabsf(v) >= 0x1p31f)
                        ? std::numeric_limits<int32_t>::min()
                        : static_cast<int32_t>(v);
  return static_cast<int8_t>(static_cast<uint8_t>(t & 0xFF));
}

void StoreF16(float v, uint8_t* out) {
  const uint16_t bits = internal::F16BitsFromF32(v);
  memcpy(out, &bits, 2);
}

using internal::LoadF16;

// 4- or 5-bit codes of a block: qs[j] = q[j] | q[j + 16] << 4, preceded for
// 5 bits by qh, bit i the fifth bit of q[i].
void PackGgufNibbles(int bits, const int32_t* q, uint8_t* out) {
  if (bits == 5) {
    uint32_t qh = 0;
    for (int i = 0; i < 32; ++i) qh |= static_cast<uint32_t>((q[i] >> 4) & 1) << i;
    for (int b = 0; b < 4; ++b) out[b] = static_cast<uint8_t>(qh >> (8 * b));
    out += 4;
  }
  for (int j = 0; j < 16; ++j) {
    out[j] = static_cast<uint8_t>((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
  }
}

void UnpackGgufNibbles(int bits, const uint8_t* in, int32_t* q) {
  uint32_t qh = 0;
  if (bits == 5) {
    for (int b = 0; b < 4; ++b) qh |= static_cast<uint32_t>(in[b]) << (8 * b);
    in += 4;
  }
  for (int j = 0; j < 16; ++j) {
    q[j] = (in[j] & 0xF) | static_cast<int32_t>((qh >> j) & 1) << 4;
    q[j + 16] = (in[j] >> 4) | static_cast<int32_t>((qh >> (j + 16)) & 1) << 4;
  }
}

// Q4_0 / Q5_0 (4 / 5 bits): d from the first element of largest magnitude.
void EncodeSymmetricBlock(int bits, const float* x, uint8_t* out) {
  const int half = 1 << (bits - 1);  // 8 or 16
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < 32; ++j) {
    if (amax < fabsf(x[j])) {
      amax = fabsf(x[j]);
      max = x[j];
    }
  }
  const float d = max / static_cast<float>(-half);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  StoreF16(d, out);
  int32_t q[32];
  for (int j = 0; j < 32; ++j) {
    const float v = x[j] * id + (static_cast<float>(half) + 0.5f);
    q[j] = std::min(2 * half - 1, LowByteOfTruncation(v));
  }
  PackGgufNibbles(bits, q, out + 2);
}

// Q4_1 / Q5_1: minimum and maximum, the first of equal values (which
// matters for the sign of a zero).
void EncodeAffineBlock(int bits, const float* x, uint8_t* out) {
  const int top = (1 << bits) - 1;  // 15 or 31
  float min = std::numeric_limits<float>::max();
  float max = -std::numeric_limits<float>::max();
  for (int j = 0; j < 32; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
  const float d = (max - min) / static_cast<float>(top);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  StoreF16(d, out);
  StoreF16(min, out + 2);
  int32_t q[32];
  for (int j = 0; j < 32; ++j) {
    const float v = (x[j] - min) * id + 0.5f;
    // Q5_1 has no min(): its codes cannot exceed 31 (see gguf.cc).
    q[j] = std::min(top, LowByteOfTruncation(v));
  }
  PackGgufNibbles(bits, q, out + 4);
}

void EncodeQ8_0Block(const float* x, uint8_t* out) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, fabsf(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  StoreF16(d, out);
  for (int j = 0; j < 32; ++j) {
    out[2 + j] = static_cast<uint8_t>(LowByteOfTruncation(roundf(x[j] * id)));
  }
}

void DecodeQ8_0Block(const uint8_t* in, float* y) {
  const float d = LoadF16(in);
  for (int j = 0; j < 32; ++j) {
    y[j] = static_cast<float>(static_cast<int8_t>(in[2 + j])) * d;
  }
}

void DecodeSymmetricBlock(int bits, const uint8_t* in, float* y) {
  const float d = LoadF16(in);
  int32_t q[32];
  UnpackGgufNibbles(bits, in + 2, q);
  for (int j = 0; j < 32; ++j) {
    y[j] = static_cast<float>(q[j] - (1 << (bits - 1))) * d;
  }
}

void DecodeAffineBlock(int bits, const uint8_t* in, float* y) {
  const float d = LoadF16(in), m = LoadF16(in + 2);
  int32_t q[32];
  UnpackGgufNibbles(bits, in + 4, q);
  for (int j = 0; j < 32; ++j) {
    const float scaled = static_cast<float>(q[j]) * d;  // no FMA
    y[j] = scaled + m;
  }
}

// ---- K-quants: super-blocks of 256 values ----

// ggml's nearest_int: adding 1.5 * 2^23 rounds v to an integer (ties to
// even) in the low mantissa bits. ggml asserts |v| <= 2^22 - 1 in debug
// builds only; beyond that the same bit manipulation is done here.
int32_t NearestInt(float v) {
  const float biased = v + 12582912.0f;
  int32_t bits;
  memcpy(&bits, &biased, 4);
  return (bits & 0x007FFFFF) - 0x00400000;
}

int32_t Clamp(int32_t v, int32_t lo, int32_t hi) {
  return std::max(lo, std::min(hi, v));
}

// The first element of largest magnitude (0 if all are zero).
float FirstLargest(const float* x, int n, float* amax_out) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (fabsf(x[i]) > amax) {
      amax = fabsf(x[i]);
      max = x[i];
    }
  }
  *amax_out = amax;
  return max;
}

// ggml's threshold below which a group counts as all zero.
constexpr float kGroupMaxEps = 1e-15f;

// The affine search (internal::AffineSearch; Q2_K, Q4_K, Q5_K, and with
// importance weights Q4_1 and Q5_1): codes
// L = clamp(round(iscale (x - min)), 0, nmax) for nstep + 1 trial scales;
// each trial's weighted least-squares scale and min (min <= 0) is kept if
// its weighted error (squared, or absolute if use_mad) is smaller. The min
// of a kept trial becomes the origin of the next trials' codes.
float FitAffine(const internal::AffineSearch& s, int n, const float* x,
                const float* w, uint8_t* L, float* neg_min) {
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *neg_min = -min;
    return 0.0f;
  }
  const auto error_of = [&](float scale, float origin, const uint8_t* codes) {
    float error = 0.0f;
    for (int i = 0; i < n; ++i) {
      float diff = scale * codes[i] + origin - x[i];
      diff = s.use_mad ? fabsf(diff) : diff * diff;
      error += w[i] * diff;
    }
    return error;
  };
  const auto codes_of = [&](float iscale, float origin, uint8_t* codes) {
    for (int i = 0; i < n; ++i) {
      codes[i] = static_cast<uint8_t>(
          Clamp(NearestInt(iscale * (x[i] - origin)), 0, s.nmax));
    }
  };
  float iscale = static_cast<float>(s.nmax) / (max - min);
  float scale = 1.0f / iscale;
  codes_of(iscale, min, L);
  float best_error = error_of(scale, min, L);
  for (int is = 0; is <= s.nstep; ++is) {
    iscale = (s.rmin + s.rdelta * static_cast<float>(is) +
              static_cast<float>(s.nmax)) / (max - min);
    uint8_t trial[32];
    codes_of(iscale, min, trial);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float wl = w[i] * static_cast<float>(trial[i]);
      sum_l += wl;
      sum_l2 += wl * static_cast<float>(trial[i]);
      sum_xl += wl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (!(D > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float error = error_of(this_scale, this_min, trial);
    if (error < best_error) {
      memcpy(L, trial, static_cast<size_t>(n));
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *neg_min = -min;
  return scale;
}

// Signed codes L = clamp(round(iscale x), -nmax, nmax - 1) and ggml's
// weighted sums: sumlx = sum w x l, suml2 = sum w l l.
void SignedCodeSums(int n, int nmax, const float* x, const float* w,
                    float iscale, int8_t* L, float* sumlx, float* suml2) {
  *sumlx = *suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int32_t code = Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(code);
    const float l = static_cast<float>(code);
    *sumlx += w[i] * x[i] * l;
    *suml2 += w[i] * l * l;
  }
}

// The start shared by make_qx_quants and make_q3_quants: false (codes 0)
// for a group whose largest magnitude is below ggml's threshold; else the
// first element of largest magnitude in *max, and the codes and sums of
// iscale = -nmax / max.
bool StartSigned(int n, int nmax, const float* x, const float* w, int8_t* L,
                 float* max, float* sumlx, float* suml2) {
  float amax;
  *max = FirstLargest(x, n, &amax);
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return false;
  }
  SignedCodeSums(n, nmax, x, w, static_cast<float>(-nmax) / *max, L, sumlx,
                 suml2);
  return true;
}

void AddToCodes(int n, int nmax, int8_t* L) {
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
}

// make_qx_quants (rmse_type 1; Q6_K with weights x^2 or the importance,
// Q3_K, Q4_0 and Q5_0 with importance weights): signed codes
// clamp(round(iscale x), -nmax, nmax - 1) for iscale = -(nmax + 0.1 is) / max,
// is in [-9, 9]; returns the weighted least-squares scale of the best trial,
// codes L + nmax. `max` is the first element of largest magnitude.
float FitSymmetric(int n, int nmax, const float* x, const float* w, int8_t* L) {
  float max, sumlx, suml2;
  if (!StartSigned(n, nmax, x, w, L, &max, &sumlx, &suml2)) return 0.0f;
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float iscale =
        -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    int8_t trial[32];
    SignedCodeSums(n, nmax, x, w, iscale, trial, &sumlx, &suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      memcpy(L, trial, static_cast<size_t>(n));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  AddToCodes(n, nmax, L);
  return scale;
}

// Q3_K's search (make_q3_quants with rmse): codes from iscale = -nmax / max,
// then up to 5 passes that move single codes to their weighted
// least-squares value when that lowers the error. Codes in [0, 2 nmax).
float FitQ3(int n, int nmax, const float* x, const float* x2, int8_t* L) {
  float max, sumlx, suml2;
  if (!StartSigned(n, nmax, x, x2, L, &max, &sumlx, &suml2)) return 0.0f;
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x2[i];
      const float li = static_cast<float>(L[i]);
      float slx = sumlx - w * x[i] * li;
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * li * li;
      const int32_t new_l = Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (new_l == L[i]) continue;
      const float nl = static_cast<float>(new_l);
      slx += w * x[i] * nl;
      sl2 += w * nl * nl;
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<int8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  AddToCodes(n, nmax, L);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float SumOfSquares(const float* x, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += x[i] * x[i];
  return sum;
}

// The weights of a sub-block's search. Without importance weights (qw null):
// Q2_K |x|; Q4_K, Q5_K rms(x) + |x| (the sub-block's rms); Q3_K, Q6_K x^2.
// With them: qw * sqrt(sigma2 + x^2), sigma2 from the super-block (the row
// for the legacy formats), except Q6_K, which takes qw as it is.
void SearchWeights(gguf::BlockType type, const float* x, int n,
                   const float* qw, float sigma2, float* w) {
  using gguf::BlockType;
  const bool rms = qw == nullptr && (type == BlockType::kQ4_K || type == BlockType::kQ5_K);
  const float av_x = rms ? sqrtf(SumOfSquares(x, n) / 32) : 0.0f;
  for (int i = 0; i < n; ++i) {
    if (qw != nullptr) {
      w[i] = type == BlockType::kQ6_K ? qw[i] : qw[i] * sqrtf(sigma2 + x[i] * x[i]);
    } else if (type == BlockType::kQ2_K) {
      w[i] = fabsf(x[i]);
    } else {
      w[i] = rms ? av_x + fabsf(x[i]) : x[i] * x[i];
    }
  }
}

// The searches of one block (a K-quant super-block's sub-blocks, or with
// importance weights a legacy block): scales[j], mins[j] (-min of the
// affine formats), codes L (offset included) and the weight sums sw[j].
void SearchBlock(gguf::BlockType type, const float* x, const float* qw,
                 float sigma2, float* scales, float* mins, float* sw,
                 uint8_t* L) {
  using gguf::BlockType;
  const int sub = internal::KFormatOf(type).sub;
  const int size = static_cast<int>(gguf::BlockSize(type));
  for (int j = 0; j < size / sub; ++j) {
    const float* xj = x + sub * j;
    float w[32];
    SearchWeights(type, xj, sub, qw == nullptr ? nullptr : qw + sub * j,
                  sigma2, w);
    sw[j] = 0.0f;
    for (int i = 0; i < sub; ++i) sw[j] += w[i];
    mins[j] = 0.0f;
    auto* signed_L = reinterpret_cast<int8_t*>(L + sub * j);
    switch (type) {
      case BlockType::kQ3_K:
        scales[j] = qw == nullptr ? FitQ3(sub, 4, xj, w, signed_L)
                                  : FitSymmetric(sub, 4, xj, w, signed_L);
        break;
      case BlockType::kQ6_K:
      case BlockType::kQ4_0:
      case BlockType::kQ5_0:
        scales[j] = FitSymmetric(sub, internal::SymmetricNmax(type), xj, w,
                                 signed_L);
        break;
      default:  // Q2_K, Q4_K, Q5_K, Q4_1, Q5_1
        scales[j] = FitAffine(internal::AffineSearchOf(type, qw != nullptr),
                              sub, xj, w, L + sub * j, &mins[j]);
    }
  }
}

// ggml's MXFP4 (gguf.h): e from log2f as ggml; each value to the table
// entry of least |value * d - x|, the first of equal errors.
void EncodeMxfp4Block(const float* x, uint8_t* out) {
  static const float kTable[16] = {0, 1, 2, 3, 4, 6, 8, 12,
                                   0, -1, -2, -3, -4, -6, -8, -12};  // 2 E2M1
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, fabsf(x[j]));
  const uint8_t e = amax > 0.0f ? static_cast<uint8_t>(static_cast<int32_t>(
                                      floorf(log2f(amax)) - 2.0f + 127.0f))
                                : 0;
  const float d = static_cast<float>(ldexp(1.0, e - 128));  // half of 2^(e-127)
  uint8_t q[32];
  for (int j = 0; j < 32; ++j) {
    int best = 0;
    for (int i = 1; i < 16; ++i) {
      if (fabsf(kTable[i] * d - x[j]) < fabsf(kTable[best] * d - x[j])) best = i;
    }
    q[j] = static_cast<uint8_t>(best);
  }
  out[0] = e;
  for (int j = 0; j < 16; ++j) out[1 + j] = static_cast<uint8_t>(q[j] | q[j + 16] << 4);
}

void DecodeMxfp4Block(const uint8_t* in, float* y) {
  static const int8_t kTable[16] = {0, 1, 2, 3, 4, 6, 8, 12,
                                    0, -1, -2, -3, -4, -6, -8, -12};
  const float d = static_cast<float>(ldexp(1.0, in[0] - 128));
  for (int j = 0; j < 32; ++j) {
    const int q = (j < 16 ? in[1 + j] : in[1 + j - 16] >> 4) & 0x0F;
    y[j] = static_cast<float>(kTable[q]) * d;  // code 8 is +0, as in ggml
  }
}

// Encodes one block of float32 x (qw: importance weights or null; sigma2
// of the row for legacy blocks with weights).
void EncodeBlock(gguf::BlockType type, const float* x, const float* qw,
                 float sigma2, uint8_t* out) {
  using gguf::BlockType;
  if (qw == nullptr || type == BlockType::kQ8_0 || type == BlockType::kMXFP4) {
    // Q8_0 and MXFP4 ignore weights
    switch (type) {
      case BlockType::kMXFP4: return EncodeMxfp4Block(x, out);
      case BlockType::kQ4_0: return EncodeSymmetricBlock(4, x, out);
      case BlockType::kQ5_0: return EncodeSymmetricBlock(5, x, out);
      case BlockType::kQ4_1: return EncodeAffineBlock(4, x, out);
      case BlockType::kQ5_1: return EncodeAffineBlock(5, x, out);
      case BlockType::kQ8_0: return EncodeQ8_0Block(x, out);
      default: break;
    }
  }
  float scales[16], mins[16], sw[16];
  uint8_t L[256];
  if (!gguf::IsKQuant(type)) {
    SearchBlock(type, x, qw, sigma2, scales, mins, sw, L);
    return internal::WriteSearchedLegacyBlock(type, scales[0], mins[0], L, out);
  }
  // K-quants: the search per sub-block, then the super-block's scales,
  // then each sub-block's codes from its scale as stored.
  if (qw != nullptr) sigma2 = internal::SuperBlockSigma2(type, SumOfSquares(x, 256));
  SearchBlock(type, x, qw, sigma2, scales, mins, sw, L);
  if (!internal::WriteKScales(type, scales, mins, qw == nullptr ? nullptr : sw,
                              out)) {
    return;
  }
  const internal::KFormat f = internal::KFormatOf(type);
  float d[16], m[16];
  internal::KScalesOf(type, out, d, m);
  for (int j = 0; j < 256 / f.sub; ++j) {
    if (d[j] == 0) continue;  // keep the search's codes
    for (int i = f.sub * j; i < f.sub * (j + 1); ++i) {
      L[i] = static_cast<uint8_t>(
          f.offset + Clamp(NearestInt((x[i] + m[j]) / d[j]), f.lo, f.hi));
    }
  }
  internal::PackKCodes(type, L, out);
}

// Rows of n_per_row values, as ggml_quantize_chunk: with importance
// weights, the legacy formats take sigma2 from the whole row.
template <typename TIn>
void EncodeRows(gguf::BlockType type, const TIn* x, size_t rows,
                size_t n_per_row, const float* importance, uint8_t* out,
                const char* function) {
  const size_t size = gguf::BlockSize(type);
  for (size_t r = 0; r < rows; ++r) {
    const TIn* row = x + r * n_per_row;
    internal::CheckFiniteBlocks(row, n_per_row, r * n_per_row, function);
    float sigma2 = 0.0f;  // the row's mean square, summed in element order
    if (importance != nullptr && !gguf::IsKQuant(type)) {
      for (size_t i = 0; i < n_per_row; ++i) sigma2 += ToF32(row[i]) * ToF32(row[i]);
      sigma2 /= static_cast<float>(n_per_row);
    }
    for (size_t k = 0; k < n_per_row / size; ++k, out += gguf::BlockBytes(type)) {
      float xb[256];  // bfloat16 and float16 widen exactly
      for (size_t j = 0; j < size; ++j) xb[j] = ToF32(row[size * k + j]);
      EncodeBlock(type, xb, importance == nullptr ? nullptr : importance + size * k,
                  sigma2, out);
    }
  }
}

}  // namespace

template <typename TIn>
void GgufEncode(gguf::BlockType type, const TIn* x, size_t n, void* blocks) {
  internal::CheckGguf(type, x, n, blocks, "reference::GgufEncode");
  EncodeRows(type, x, 1, n, nullptr, static_cast<uint8_t*>(blocks),
             "reference::GgufEncode");
}

template <typename TIn>
void GgufEncodeRows(gguf::BlockType type, const TIn* x, size_t rows,
                    size_t n_per_row, const float* importance, void* blocks) {
  const char* function = "reference::GgufEncodeRows";
  internal::CheckGgufRows(type, x, rows, n_per_row, importance, blocks,
                          function);
  EncodeRows(type, x, rows, n_per_row, importance,
             static_cast<uint8_t*>(blocks), function);
}

template <typename TOut>
void GgufDecode(gguf::BlockType type, const void* blocks, size_t n,
                TOut* x) {
  internal::CheckGguf(type, x, n, blocks, "reference::GgufDecode");
  const size_t size = gguf::BlockSize(type);
  const auto* in = static_cast<const uint8_t*>(blocks);
  for (size_t k = 0; k < n / size; ++k, in += gguf::BlockBytes(type)) {
    float xb[256];
    switch (type) {
      case gguf::BlockType::kQ4_0: DecodeSymmetricBlock(4, in, xb); break;
      case gguf::BlockType::kQ5_0: DecodeSymmetricBlock(5, in, xb); break;
      case gguf::BlockType::kQ4_1: DecodeAffineBlock(4, in, xb); break;
      case gguf::BlockType::kQ5_1: DecodeAffineBlock(5, in, xb); break;
      case gguf::BlockType::kQ8_0: DecodeQ8_0Block(in, xb); break;
      case gguf::BlockType::kMXFP4: DecodeMxfp4Block(in, xb); break;
      default: {
        // K-quants: ggml's (d * scale) * code - d_min * min per value.
        const internal::KFormat f = internal::KFormatOf(type);
        int32_t q[256];
        internal::UnpackKCodes(type, in, q);
        float d[16], m[16];
        internal::KScalesOf(type, in, d, m);
        for (int i = 0; i < 256; ++i) {
          xb[i] = d[i / f.sub] * static_cast<float>(q[i] - f.offset) - m[i / f.sub];
        }
      }
    }
    for (size_t j = 0; j < size; ++j) x[size * k + j] = FromF32<TOut>(xb[j]);
  }
}

#define SIMDQUANT_REFERENCE_GGUF(T)                                       \
  template void GgufEncode<T>(gguf::BlockType, const T*, size_t, void*); \
  template void GgufEncodeRows<T>(gguf::BlockType, const T*, size_t, size_t, \
                                  const float*, void*);                      \
  template void GgufDecode<T>(gguf::BlockType, const void*, size_t, T*);
SIMDQUANT_REFERENCE_GGUF(float)
SIMDQUANT_REFERENCE_GGUF(hwy::bfloat16_t)
SIMDQUANT_REFERENCE_GGUF(hwy::float16_t)
#undef SIMDQUANT_REFERENCE_GGUF

}  // namespace reference

// The K-quants' super-block layouts, shared by the reference and the
// vector encoders and decoders (lib/gguf_k.cc).
namespace internal {
namespace {

using reference::NearestInt;
using reference::StoreF16;

// Largest of the values and 0 (ggml's `if (v > max) max = v` from 0).
float MaxFromZero(const float* v, int n) {
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (v[j] > max) max = v[j];
  }
  return max;
}

void WriteQ2_KScales(const float* scales, const float* mins, uint8_t* out) {
  const float max_scale = MaxFromZero(scales, 16);
  const float max_min = MaxFromZero(mins, 16);
  uint8_t* sc = out;
  for (int j = 0; j < 16; ++j) {
    // ggml keeps the low byte of the rounded values.
    sc[j] = max_scale > 0
                ? static_cast<uint8_t>(NearestInt(15.0f / max_scale * scales[j]))
                : 0;
  }
  StoreF16(max_scale > 0 ? max_scale / 15.0f : 0.0f, out + 80);
  if (max_min > 0) {
    const float iscale = 15.0f / max_min;
    for (int j = 0; j < 16; ++j) {
      // ggml shifts the int; as unsigned here (same low byte, no undefined
      // shift of the negative values that NaN mins round to).
      const auto l = static_cast<uint32_t>(NearestInt(iscale * mins[j]));
      sc[j] = static_cast<uint8_t>(sc[j] | l << 4);
    }
  }
  StoreF16(max_min > 0 ? max_min / 15.0f : 0.0f, out + 82);
}

// Q3_K's 6-bit scales l[j] (offset by 32) into its 12 bytes (ScalesQ3K).
void PackQ3_KScales(const int32_t* l, uint8_t* sc) {
  memset(sc, 0, 12);
  for (int j = 0; j < 16; ++j) {
    if (j < 8) {
      sc[j] = static_cast<uint8_t>(l[j] & 0xF);
    } else {
      sc[j - 8] = static_cast<uint8_t>(sc[j - 8] | (l[j] & 0xF) << 4);
    }
    sc[8 + j % 4] = static_cast<uint8_t>(sc[8 + j % 4] | (l[j] >> 4) << (2 * (j / 4)));
  }
}

void WriteQ3_KScales(const float* scales, uint8_t* out) {
  float amax;
  const float max_scale = reference::FirstLargest(scales, 16, &amax);
  int32_t l[16] = {};  // all 0 (bytes 0) if every scale is 0
  float d = 0.0f;
  if (max_scale != 0) {
    const float iscale = -32.0f / max_scale;
    for (int j = 0; j < 16; ++j) {
      // ggml stores the rounded value in an int8_t before clamping.
      l[j] = reference::Clamp(static_cast<int8_t>(NearestInt(iscale * scales[j])),
                              -32, 31) + 32;
    }
    d = 1.0f / iscale;
  }
  PackQ3_KScales(l, out + 96);
  StoreF16(d, out + 108);
}

// Q4_K / Q5_K's 6-bit scales and mins into their 12 bytes (ScaleMinK4).
void PackQ45_KScales(const uint8_t* ls, const uint8_t* lm, uint8_t* sc) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = ls[j];
      sc[j + 4] = lm[j];
    } else {
      sc[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
      sc[j - 4] = static_cast<uint8_t>(sc[j - 4] | (ls[j] >> 4) << 6);
      sc[j] = static_cast<uint8_t>(sc[j] | (lm[j] >> 4) << 6);
    }
  }
}

void WriteQ45_KScales(const float* scales, const float* mins, uint8_t* out) {
  const float max_scale = MaxFromZero(scales, 8);
  const float max_min = MaxFromZero(mins, 8);
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    // ggml keeps the low byte of the rounded value, then caps it at 63.
    ls[j] = std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inv_scale * scales[j])));
    lm[j] = std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inv_min * mins[j])));
  }
  PackQ45_KScales(ls, lm, out + 4);
  StoreF16(max_scale / 63.0f, out);
  StoreF16(max_min / 63.0f, out + 2);
}

// ggml's make_qp_quants: codes L in [0, nmax] (as ggml's uint8_t: the low
// byte of a negative code) of non-negative x with weights w; the start
// iscale = nmax / max and 8 neighbours (nmax + 0.1 is) / max are scored by
// weighted squared error, then up to 5 passes move single codes to their
// least-squares value while that improves the fit. Returns the weighted
// least-squares scale.
float FitPositive(int n, int nmax, const float* x, const float* w, uint8_t* L) {
  float max = 0.0f;
  for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];  // ggml's MAX
  if (max < reference::kGroupMaxEps) {
    memset(L, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  const float fmax = static_cast<float>(nmax);
  float iscale = fmax / max;
  for (int i = 0; i < n; ++i) L[i] = static_cast<uint8_t>(NearestInt(iscale * x[i]));
  const float scale = 1.0f / iscale;
  float best_mse = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float diff = x[i] - scale * L[i];
    best_mse += w[i] * diff * diff;
  }
  for (int is = -4; is <= 4; ++is) {
    if (is == 0) continue;
    const float iscale_is = (0.1f * static_cast<float>(is) + fmax) / max;
    const float scale_is = 1.0f / iscale_is;
    float mse = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int32_t l = std::min(nmax, NearestInt(iscale_is * x[i]));
      const float diff = x[i] - scale_is * static_cast<float>(l);
      mse += w[i] * diff * diff;
    }
    if (mse < best_mse) {
      best_mse = mse;
      iscale = iscale_is;
    }
  }
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int32_t l = std::min(nmax, NearestInt(iscale * x[i]));
    L[i] = static_cast<uint8_t>(l);
    const float fl = static_cast<float>(l);
    sumlx += w[i] * x[i] * fl;
    suml2 += w[i] * fl * fl;
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float li = L[i];
      float slx = sumlx - w[i] * x[i] * li;
      float sl2 = suml2 - w[i] * li * li;
      if (!(slx > 0 && sl2 > 0)) continue;
      const int32_t new_l = std::min(nmax, NearestInt(x[i] * sl2 / slx));
      if (new_l == L[i]) continue;
      const float nl = static_cast<float>(new_l);
      slx += w[i] * x[i] * nl;
      sl2 += w[i] * nl * nl;
      if (slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<uint8_t>(new_l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// The imatrix path's super-block scales (quantize_row_<type>_impl).
void WriteWeightedKScales(gguf::BlockType type, const float* scales,
                          const float* mins, const float* sw, uint8_t* out) {
  switch (type) {
    case gguf::BlockType::kQ2_K: {
      uint8_t ls[16], lm[16];
      const float d = FitPositive(16, 15, scales, sw, ls);
      const float d_min = FitPositive(16, 15, mins, sw, lm);
      for (int j = 0; j < 16; ++j) out[j] = static_cast<uint8_t>(ls[j] | lm[j] << 4);
      StoreF16(d, out + 80);
      StoreF16(d_min, out + 82);
      break;
    }
    case gguf::BlockType::kQ3_K: {
      int8_t codes[16];  // make_qx_quants' codes + 32: in [0, 63]
      const float d = reference::FitSymmetric(16, 32, scales, sw, codes);
      int32_t l[16];
      for (int j = 0; j < 16; ++j) l[j] = codes[j];
      PackQ3_KScales(l, out + 96);
      StoreF16(d, out + 108);
      break;
    }
    default: {  // Q4_K, Q5_K
      uint8_t ls[8], lm[8];
      const float d = FitPositive(8, 63, scales, sw, ls);
      const float d_min = FitPositive(8, 63, mins, sw, lm);
      if (type == gguf::BlockType::kQ5_K) {  // only Q5_K caps them
        for (int j = 0; j < 8; ++j) {
          ls[j] = std::min<uint8_t>(63, ls[j]);
          lm[j] = std::min<uint8_t>(63, lm[j]);
        }
      }
      PackQ45_KScales(ls, lm, out + 4);
      StoreF16(d, out);
      StoreF16(d_min, out + 2);
    }
  }
}

bool WriteQ6_KScales(const float* scales, uint8_t* out) {
  float max_abs_scale;
  const float max_scale = reference::FirstLargest(scales, 16, &max_abs_scale);
  if (max_abs_scale < reference::kGroupMaxEps) {
    memset(out, 0, 210);
    return false;
  }
  const float iscale = -128.0f / max_scale;
  StoreF16(1.0f / iscale, out + 208);
  for (int j = 0; j < 16; ++j) {
    out[192 + j] = static_cast<uint8_t>(std::min(127, NearestInt(iscale * scales[j])));
  }
  return true;
}

// 2-bit codes of 256 values: for each half h, qs[32 h + l] holds the
// elements 128 h + l + 32 k in bits 2k, 2k + 1.
void PackTwoBitCodes(const uint8_t* L, uint8_t* qs) {
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* e = L + 128 * h + l;
      qs[32 * h + l] = static_cast<uint8_t>((e[0] & 3) | (e[32] & 3) << 2 |
                                            (e[64] & 3) << 4 | (e[96] & 3) << 6);
    }
  }
}
int32_t TwoBitCode(const uint8_t* qs, int e) {
  return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

}  // namespace

bool WriteKScales(gguf::BlockType type, const float* scales, const float* mins,
                  const float* sw, uint8_t* out) {
  if (type == gguf::BlockType::kQ6_K) return WriteQ6_KScales(scales, out);
  if (sw != nullptr) {
    WriteWeightedKScales(type, scales, mins, sw, out);
    return true;
  }
  switch (type) {
    case gguf::BlockType::kQ2_K: WriteQ2_KScales(scales, mins, out); break;
    case gguf::BlockType::kQ3_K: WriteQ3_KScales(scales, out); break;
    case gguf::BlockType::kQ4_K:
    case gguf::BlockType::kQ5_K: WriteQ45_KScales(scales, mins, out); break;
    default: break;
  }
  return true;
}

void PackKCodes(gguf::BlockType type, const uint8_t* L, uint8_t* out) {
  switch (type) {
    case gguf::BlockType::kQ2_K: PackTwoBitCodes(L, out + 16); break;
    case gguf::BlockType::kQ3_K: {
      // The third bit of element e in hmask[e % 32], bit e / 32.
      memset(out, 0, 32);
      for (int e = 0; e < 256; ++e) {
        out[e % 32] = static_cast<uint8_t>(out[e % 32] | (L[e] >> 2) << (e / 32));
      }
      PackTwoBitCodes(L, out + 32);
      break;
    }
    case gguf::BlockType::kQ4_K:
    case gguf::BlockType::kQ5_K: {
      // Element 64 c + l (l < 32) in the low nibble of qs[32 c + l],
      // element 64 c + 32 + l in its high nibble; Q5_K's fifth bits:
      // element 64 c + l in qh[l] bit 2 c, element 64 c + 32 + l in bit
      // 2 c + 1.
      const bool five = type == gguf::BlockType::kQ5_K;
      uint8_t* qh = out + 16;
      uint8_t* qs = out + 16 + (five ? 32 : 0);
      if (five) memset(qh, 0, 32);
      for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
          const uint8_t lo = L[64 * c + l], hi = L[64 * c + 32 + l];
          qs[32 * c + l] = static_cast<uint8_t>((lo & 0xF) | (hi & 0xF) << 4);
          if (five) {
            qh[l] = static_cast<uint8_t>(qh[l] | (lo >> 4) << (2 * c) |
                                         (hi >> 4) << (2 * c + 1));
          }
        }
      }
      break;
    }
    case gguf::BlockType::kQ6_K: {
      // Per half h (128 values): element 128 h + 32 k + l has its low
      // nibble in ql[64 h + 32 (k % 2) + l] (high nibble if k >= 2) and its
      // top two bits in qh[32 h + l], bits 2k, 2k + 1.
      uint8_t* ql = out;
      uint8_t* qh = out + 128;
      for (int h = 0; h < 2; ++h) {
        for (int l = 0; l < 32; ++l) {
          const uint8_t* e = L + 128 * h + l;
          ql[64 * h + l] = static_cast<uint8_t>((e[0] & 0xF) | (e[64] & 0xF) << 4);
          ql[64 * h + 32 + l] = static_cast<uint8_t>((e[32] & 0xF) | (e[96] & 0xF) << 4);
          qh[32 * h + l] = static_cast<uint8_t>((e[0] >> 4) | (e[32] >> 4) << 2 |
                                                (e[64] >> 4) << 4 | (e[96] >> 4) << 6);
        }
      }
      break;
    }
    default: break;
  }
}

uint8_t* WriteSearchedLegacyScales(gguf::BlockType type, float scale,
                                   float neg_min, uint8_t* out) {
  StoreF16(scale, out);
  if (type != gguf::BlockType::kQ4_1 && type != gguf::BlockType::kQ5_1) return out + 2;
  StoreF16(-neg_min, out + 2);
  return out + 4;
}

void WriteSearchedLegacyBlock(gguf::BlockType type, float scale, float neg_min,
                              const uint8_t* L, uint8_t* out) {
  int32_t q[32];
  for (int i = 0; i < 32; ++i) q[i] = L[i];
  const int bits = type == gguf::BlockType::kQ4_0 || type == gguf::BlockType::kQ4_1 ? 4 : 5;
  reference::PackGgufNibbles(bits, q, WriteSearchedLegacyScales(type, scale, neg_min, out));
}

void UnpackKCodes(gguf::BlockType type, const uint8_t* block, int32_t* q) {
  for (int e = 0; e < 256; ++e) {
    const int c = e / 64, l = e % 32, upper = (e % 64) / 32;
    switch (type) {
      case gguf::BlockType::kQ2_K: q[e] = TwoBitCode(block + 16, e); break;
      case gguf::BlockType::kQ3_K:
        q[e] = TwoBitCode(block + 32, e) | ((block[e % 32] >> (e / 32)) & 1) << 2;
        break;
      case gguf::BlockType::kQ4_K:
      case gguf::BlockType::kQ5_K: {
        const bool five = type == gguf::BlockType::kQ5_K;
        const uint8_t byte = block[16 + (five ? 32 : 0) + 32 * c + l];
        q[e] = upper ? byte >> 4 : byte & 0xF;
        if (five) q[e] |= ((block[16 + l] >> (2 * c + upper)) & 1) << 4;
        break;
      }
      case gguf::BlockType::kQ6_K: {
        const int h = e / 128, k = (e % 128) / 32;
        const uint8_t low = block[64 * h + 32 * (k % 2) + l];
        const int32_t top = (block[128 + 32 * h + l] >> (2 * k)) & 3;
        q[e] = (k >= 2 ? low >> 4 : low & 0xF) | top << 4;
        break;
      }
      default: q[e] = 0;
    }
  }
}

}  // namespace internal
}  // namespace simdquant
