// GGUF block formats (gguf.h): ggml's legacy encoders and decoders with its
// float32 steps, a vector's worth of blocks at a time. The block constants
// (range, d, 1 / d, float16 bits) of N blocks are computed in one vector,
// lane g for block g (GroupRanges' transposed reduction); then each block's
// codes use its constants broadcast.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/gguf.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <limits>
#include <string>
#include <type_traits>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "lib/layout-inl.h"  // VisitFloatType
#include "lib/quantize-inl.h"
#include "lib/range-inl.h"
#include "simdquant/gguf.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using gguf::BlockType;

constexpr size_t kBlock = 32;

// A format's layout and codes (the table in gguf.h).
template <BlockType kType>
struct Format {
  static constexpr bool kHasMin =
      kType == BlockType::kQ4_1 || kType == BlockType::kQ5_1;
  static constexpr int kBits = kType == BlockType::kQ8_0 ? 8
                               : kType == BlockType::kQ5_0 || kType == BlockType::kQ5_1
                                   ? 5
                                   : 4;
  static constexpr bool kHasHighBits = kBits == 5;  // qh
  static constexpr int32_t kTop = (1 << kBits) - 1;  // largest 4/5-bit code
  static constexpr int32_t kHalf = 1 << (kBits - 1);  // Q4_0 / Q5_0 offset
  // Bytes before qs: d, then m, then qh.
  static constexpr size_t kCodesOffset =
      2 + (kHasMin ? 2 : 0) + (kHasHighBits ? 4 : 0);
};

// f(std::integral_constant<BlockType, type>()).
template <class F>
void VisitBlockType(BlockType type, const F& f) {
  switch (type) {
    case BlockType::kQ4_0:
      return f(std::integral_constant<BlockType, BlockType::kQ4_0>());
    case BlockType::kQ4_1:
      return f(std::integral_constant<BlockType, BlockType::kQ4_1>());
    case BlockType::kQ5_0:
      return f(std::integral_constant<BlockType, BlockType::kQ5_0>());
    case BlockType::kQ5_1:
      return f(std::integral_constant<BlockType, BlockType::kQ5_1>());
    case BlockType::kQ8_0:
      return f(std::integral_constant<BlockType, BlockType::kQ8_0>());
    default:  // K-quants never come here: gguf::Encode / Decode route them
      HWY_ABORT("K-quant type %d in the legacy GGUF path", static_cast<int>(type));
  }
}

// The constants of a batch of up to MaxLanes blocks, lane / index g for
// block g.
struct BlockConstants {
  HWY_ALIGN float inverse[hn::MaxLanes(hn::ScalableTag<float>())];  // 1 / d
  HWY_ALIGN float min[hn::MaxLanes(hn::ScalableTag<float>())];      // _1
  HWY_ALIGN hwy::float16_t d[hn::MaxLanes(hn::ScalableTag<float>())];
  HWY_ALIGN hwy::float16_t m[hn::MaxLanes(hn::ScalableTag<float>())];
};

// ggml keeps the first of equal candidates, which only matters for values
// that compare equal with other bits (+0 and -0) or, in Q4_0 / Q5_0, for
// +a and -a both of the largest magnitude: those blocks are settled one
// element at a time, in ggml's order.
template <typename TIn>
float FirstLargestMagnitude(const TIn* x) {
  float amax = 0.0f, max = 0.0f;
  for (size_t j = 0; j < kBlock; ++j) {
    const float v = internal::ToF32(x[j]);
    if (amax < fabsf(v)) {
      amax = fabsf(v);
      max = v;
    }
  }
  return max;
}
template <typename TIn>
float FirstEqual(const TIn* x, float value) {
  for (size_t j = 0; j < kBlock; ++j) {
    if (internal::ToF32(x[j]) == value) return internal::ToF32(x[j]);
  }
  return value;
}

// Computes the constants of blocks [0, count) at x (count <= N), which is
// element `first` of the row (for messages). Returns false if a block's d
// or 1 / d is infinite (tiny blocks; huge ranges in Q4_1 / Q5_1).
template <BlockType kType, typename TIn>
bool ChooseBlockConstants(const TIn* HWY_RESTRICT x, size_t count,
                          size_t first, BlockConstants& c, const char* function) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const auto zero = hn::Zero(df);
  using F = Format<kType>;
  hn::Vec<DF> d;
  if constexpr (kType == BlockType::kQ8_0) {
    // Only |x| matters: one reduction, which also finds NaN and Inf.
    hn::Mask<DF> not_finite;
    const auto amax = BlockAbsMax(df, x, kBlock, count, &not_finite);
    if (!hn::AllFalse(df, not_finite)) {
      internal::CheckFiniteBlocks(x, count * kBlock, first, function);
    }
    d = hn::Div(amax, hn::Set(df, 127.0f));
  } else {
    HWY_ALIGN float lo_lanes[hn::MaxLanes(DF())], hi_lanes[hn::MaxLanes(DF())];
    hn::Vec<DF> lo, hi, sum;
    GroupRanges<CeilLog2(hn::MaxLanes(DF()))>(df, x, kBlock, 0, count, lo, hi,
                                              sum);
    // sum - sum is 0 unless an element is NaN or infinite (or the sum of
    // huge finite values overflows: then the exact check passes).
    if (!hn::AllTrue(df, hn::Eq(hn::Sub(sum, sum), hn::Zero(df)))) {
      internal::CheckFiniteBlocks(x, count * kBlock, first, function);
    }
    if constexpr (F::kHasMin) {
      // Zero minimum or maximum: which zero comes first decides the signs.
      if (!hn::AllFalse(df, hn::Or(hn::Eq(lo, zero), hn::Eq(hi, zero)))) {
        hn::Store(lo, df, lo_lanes);
        hn::Store(hi, df, hi_lanes);
        for (size_t g = 0; g < count; ++g) {
          if (lo_lanes[g] == 0.0f) lo_lanes[g] = FirstEqual(x + g * kBlock, 0.0f);
          if (hi_lanes[g] == 0.0f) hi_lanes[g] = FirstEqual(x + g * kBlock, 0.0f);
        }
        lo = hn::Load(df, lo_lanes);
        hi = hn::Load(df, hi_lanes);
      }
      d = hn::Div(hn::Sub(hi, lo), hn::Set(df, static_cast<float>(F::kTop)));
      hn::Store(lo, df, c.min);
      StoreF32(df, lo, c.m);
    } else {
      const auto abs_lo = hn::Abs(lo), abs_hi = hn::Abs(hi);
      const auto amax = hn::Max(abs_lo, abs_hi);
      // The first element of largest magnitude, +0 for an all-zero block.
      auto max = hn::IfThenElse(hn::Gt(abs_hi, abs_lo), hi, lo);
      max = hn::IfThenElseZero(hn::Ne(amax, zero), max);
      const auto tie = hn::And(hn::Eq(abs_lo, abs_hi), hn::Ne(lo, hi));
      if (!hn::AllFalse(df, tie)) {
        hn::Store(max, df, hi_lanes);
        for (size_t g = 0; g < count; ++g) {
          hi_lanes[g] = FirstLargestMagnitude(x + g * kBlock);
        }
        max = hn::Load(df, hi_lanes);
      }
      d = hn::Div(max, hn::Set(df, -static_cast<float>(F::kHalf)));
    }
  }
  StoreF32(df, d, c.d);
  const auto inverse =
      hn::IfThenElseZero(hn::Ne(d, zero), hn::Div(hn::Set(df, 1.0f), d));
  hn::Store(inverse, df, c.inverse);
  const auto huge = hn::Set(df, std::numeric_limits<float>::max());
  return hn::AllTrue(df, hn::And(hn::Le(hn::Abs(d), huge),
                                 hn::Le(hn::Abs(inverse), huge)));
}

// ggml's float -> int8 conversion of v (cvttss2si, low byte) where the
// codes are known to lie in [0, 2^31) (see BlockCodes): truncation, and, if
// kInfinite (a block of the batch has an infinite 1 / d or d), 0 for NaN and
// infinite v (INT32_MIN has low byte 0).
template <bool kInfinite, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> TruncatedCodes(DF df,
                                                          hn::Vec<DF> v) {
  const hn::RebindToSigned<DF> di;
  if (kInfinite) {
    v = hn::IfThenElseZero(hn::Lt(hn::Abs(v), hn::Set(df, 0x1p31f)), v);
  }
#if SIMDQUANT_HAVE_RAW_TRUNCATE
  (void)di;
  return TruncateRaw<DF>(v);
#else
  return hn::ConvertTo(di, v);
#endif
}

// Codes (int32 lanes) of the N elements at x of a block with constants
// inverse = 1 / d (and min): see gguf.h.
template <BlockType kType, bool kInfinite, class DF, typename TIn>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> BlockCodes(
    DF df, const TIn* HWY_RESTRICT x, hn::Vec<DF> inverse, hn::Vec<DF> min) {
  const hn::RebindToSigned<DF> di;
  const auto v = LoadF32(df, x);
  if constexpr (kType == BlockType::kQ8_0) {
    // roundf(t) = trunc(t + copysign(0.5 - 2^-25, t)) in round-to-nearest:
    // with 0.5 itself, t = 0.5 - 2^-25 would sum to 1 - 2^-25 and round up
    // to 1; with its predecessor, a tie (frac(t) = 0.5) sums to within 2^-25
    // below the next integer, which rounds up to it (|t| < 1: a tie to even
    // 1), and any smaller fraction stays below it. |t| <= 127 (1 + 2^-21)
    // for finite 1 / d: codes in [-127, 127].
    const auto t = hn::Mul(v, inverse);
    const auto half = hn::CopySignToAbs(hn::Set(df, 0.5f - 0x1p-25f), t);
    return TruncatedCodes<kInfinite>(df, hn::Add(t, half));
  } else if constexpr (kType == BlockType::kQ4_0 || kType == BlockType::kQ5_0) {
    // x * (1 / d) lies within +-half (1 + 2^-21) for finite 1 / d (x is at
    // most |M|, d is M / -half with at least 21 significant bits when 1 / d
    // is finite), so v is in (0.49, 2 half + 0.51) and trunc(v) in
    // [0, 2 half]: the low byte is the value itself.
    using F = Format<kType>;
    const auto t = hn::Add(hn::Mul(v, inverse),
                           hn::Set(df, static_cast<float>(F::kHalf) + 0.5f));
    return hn::Min(TruncatedCodes<kInfinite>(df, t), hn::Set(di, F::kTop));
  } else {
    // (x - min) * (1 / d) in [0, top (1 + 2^-21)] for finite d: as above.
    const auto t =
        hn::Add(hn::Mul(hn::Sub(v, min), inverse), hn::Set(df, 0.5f));
    return hn::Min(TruncatedCodes<kInfinite>(df, t),
                   hn::Set(di, Format<kType>::kTop));
  }
}

template <BlockType kType, bool kInfinite, typename TIn>
void EncodeBlocksWith(const BlockConstants& c, const TIn* HWY_RESTRICT x,
                      size_t count, uint8_t* HWY_RESTRICT out) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  using F = Format<kType>;
  constexpr size_t kBytes = gguf::BlockBytes(kType);
  for (size_t g = 0; g < count; ++g, x += kBlock, out += kBytes) {
    memcpy(out, &c.d[g], 2);
    if (F::kHasMin) memcpy(out + 2, &c.m[g], 2);
    uint8_t* qs = out + F::kCodesOffset;
    const auto inverse = hn::Set(df, c.inverse[g]);
    const auto min = hn::Set(df, F::kHasMin ? c.min[g] : 0.0f);
    if constexpr (kType == BlockType::kQ8_0) {
      int8_t* q = reinterpret_cast<int8_t*>(qs);
      const auto codes = [&](size_t j) {
        return BlockCodes<kType, kInfinite>(df, x + j, inverse, min);
      };
#if SIMDQUANT_HAVE_BYTE_PERMUTE
      if constexpr (hn::MaxLanes(DF()) == kBlock / 2) {
        StoreLowBytesOf2(codes(0), codes(N), q);
        continue;
      }
#endif
      if constexpr (4 * hn::MaxLanes(DF()) <= kBlock) {
        for (size_t j = 0; j < kBlock; j += 4 * N) {
          StoreCodes4(di, codes(j), codes(j + N), codes(j + 2 * N),
                      codes(j + 3 * N), q + j);
        }
      } else {
        for (size_t j = 0; j < kBlock; j += N) StoreCodes(di, codes(j), q + j);
      }
      continue;
    }
    // qs[j] = code j | code (j + 16) << 4; qh bit i = bit 4 of code i.
    uint32_t qh = 0;
    for (size_t j = 0; j < kBlock / 2; j += N) {
      const auto low = BlockCodes<kType, kInfinite>(df, x + j, inverse, min);
      const auto high = BlockCodes<kType, kInfinite>(df, x + j + kBlock / 2, inverse, min);
      const auto nibbles = hn::Set(di, 0xF);
      StoreCodes(di,
                 hn::Or(hn::And(low, nibbles),
                        hn::ShiftLeft<4>(hn::And(high, nibbles))),
                 qs + j);
      if constexpr (F::kHasHighBits) {
        const auto fifth = hn::Set(di, 0x10);
        uint8_t bits[8] = {};
        hn::StoreMaskBits(di, hn::TestBit(low, fifth), bits);
        const uint32_t low_bits = bits[0] | uint32_t{bits[1]} << 8;
        hn::StoreMaskBits(di, hn::TestBit(high, fifth), bits);
        const uint32_t high_bits = bits[0] | uint32_t{bits[1]} << 8;
        qh |= low_bits << j | high_bits << (j + kBlock / 2);
      }
    }
    if constexpr (F::kHasHighBits) {
      const uint8_t qh_bytes[4] = {
          static_cast<uint8_t>(qh), static_cast<uint8_t>(qh >> 8),
          static_cast<uint8_t>(qh >> 16), static_cast<uint8_t>(qh >> 24)};
      memcpy(qs - 4, qh_bytes, 4);
    }
  }
}

// Encodes a row, a batch of N blocks at a time. The next batch's constants
// are chosen before this batch's codes, so that their divisions' latency
// overlaps this batch's work.
template <BlockType kType, typename TIn>
void EncodeRow(const TIn* HWY_RESTRICT x, size_t n, uint8_t* HWY_RESTRICT out,
               const char* function) {
  const size_t batch = hn::Lanes(hn::ScalableTag<float>());
  const size_t blocks = n / kBlock;
  BlockConstants c[2];
  const auto choose = [&](size_t b, BlockConstants& to) {
    return ChooseBlockConstants<kType>(x + b * kBlock, HWY_MIN(batch, blocks - b),
                                       b * kBlock, to, function);
  };
  bool finite = choose(0, c[0]);
  for (size_t b = 0, k = 0; b < blocks; b += batch, k ^= 1) {
    const bool next_finite = b + batch < blocks && choose(b + batch, c[k ^ 1]);
    const size_t count = HWY_MIN(batch, blocks - b);
    uint8_t* to = out + b * gguf::BlockBytes(kType);
    if (finite) {
      EncodeBlocksWith<kType, false, TIn>(c[k], x + b * kBlock, count, to);
    } else {
      EncodeBlocksWith<kType, true, TIn>(c[k], x + b * kBlock, count, to);
    }
    finite = next_finite;
  }
}

void EncodeBlocks(BlockType type, const void* x,
                  simdquant::detail::FloatType x_type, size_t n,
                  uint8_t* HWY_RESTRICT out, const char* function) {
  VisitFloatType(x_type, [&](auto tag) {
    using TIn = typename decltype(tag)::type;
    const TIn* in = static_cast<const TIn*>(x);
    VisitBlockType(type, [&](auto kType) {
      EncodeRow<decltype(kType)::value>(in, n, out, function);
    });
  });
}

// Decoding: per block, its float16 constants, then N codes at a time.
template <BlockType kType, typename TOut>
void DecodeRow(const uint8_t* HWY_RESTRICT in, size_t n, TOut* HWY_RESTRICT x) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint8_t, DF> du8;
  const hn::Rebind<int8_t, DF> di8;
  const size_t N = hn::Lanes(df);
  const hn::RebindToUnsigned<DF> du;
  using F = Format<kType>;
  constexpr size_t kBytes = gguf::BlockBytes(kType);
  // Codes of Q4_0 / Q5_0 are offset by half their range.
  constexpr int32_t kBias = F::kHasMin ? 0 : F::kHalf;
  const auto element = hn::Iota(du, 0);
  for (size_t k = 0; k < n / kBlock; ++k, in += kBytes, x += kBlock) {
    uint16_t bits;
    memcpy(&bits, in, 2);
    const auto d = hn::Set(df, internal::F32FromF16Bits(bits));
    auto m = hn::Zero(df);
    if (F::kHasMin) {
      memcpy(&bits, in + 2, 2);
      m = hn::Set(df, internal::F32FromF16Bits(bits));
    }
    const uint8_t* qs = in + F::kCodesOffset;
    // q * d, then + m: two roundings, as ggml (no FMA).
    const auto store = [&](hn::Vec<decltype(di)> q, TOut* out) {
      const auto scaled = hn::Mul(hn::ConvertTo(df, q), d);
      StoreF32(df, F::kHasMin ? hn::Add(scaled, m) : scaled, out);
    };
    if constexpr (kType == BlockType::kQ8_0) {
      for (size_t j = 0; j < kBlock; j += N) {
        store(hn::PromoteTo(di, hn::LoadU(di8, reinterpret_cast<const int8_t*>(qs + j))),
              x + j);
      }
      continue;
    }
    uint32_t qh = 0;
    if (F::kHasHighBits) memcpy(&qh, qs - 4, 4);  // little-endian (x86)
    const auto bias = hn::Set(di, kBias);
    for (size_t j = 0; j < kBlock / 2; j += N) {
      const auto bytes = hn::PromoteTo(di, hn::LoadU(du8, qs + j));
      auto low = hn::And(bytes, hn::Set(di, 0xF));
      auto high = hn::ShiftRight<4>(bytes);
      if constexpr (F::kHasHighBits) {
        // Bit 4 of element i is qh bit i.
        const auto fifth = [&](uint32_t word) {
          const auto bit = hn::And(hn::Set(du, word) >> element, hn::Set(du, 1));
          return hn::BitCast(di, hn::ShiftLeft<4>(bit));
        };
        low = hn::Or(low, fifth(qh >> j));
        high = hn::Or(high, fifth(qh >> (j + kBlock / 2)));
      }
      store(hn::Sub(low, bias), x + j);
      store(hn::Sub(high, bias), x + j + kBlock / 2);
    }
  }
}

void DecodeBlocks(BlockType type, const uint8_t* HWY_RESTRICT in, size_t n,
                  void* x, simdquant::detail::FloatType x_type) {
  VisitFloatType(x_type, [&](auto tag) {
    using TOut = typename decltype(tag)::type;
    TOut* out = static_cast<TOut*>(x);
    VisitBlockType(type, [&](auto kType) {
      DecodeRow<decltype(kType)::value>(in, n, out);
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(EncodeBlocks);
HWY_EXPORT(DecodeBlocks);

namespace internal {

namespace {

void CheckBlockLength(gguf::BlockType type, size_t n, const char* name,
                      const char* function) {
  if (static_cast<uint8_t>(type) > static_cast<uint8_t>(gguf::kLastBlockType)) {
    Fail(function, "type = " + Str(int64_t{static_cast<uint8_t>(type)}) +
                       " is not a gguf::BlockType");
  }
  if (n % gguf::BlockSize(type) != 0) {
    Fail(function, std::string(name) + " = " + Str(static_cast<int64_t>(n)) +
                       " is not a multiple of the block size " +
                       Str(static_cast<int64_t>(gguf::BlockSize(type))) +
                       " of " + gguf::BlockTypeName(type));
  }
}

}  // namespace

void CheckGguf(gguf::BlockType type, const void* x, size_t n,
               const void* blocks, const char* function) {
  CheckBlockLength(type, n, "n", function);
  CheckPointer(x, n, function, "x");
  CheckPointer(blocks, n, function, "blocks");
}

void CheckGgufRows(gguf::BlockType type, const void* x, size_t rows,
                   size_t n_per_row, const float* importance,
                   const void* blocks, const char* function) {
  CheckBlockLength(type, n_per_row, "n_per_row", function);
  if (rows != 0 && n_per_row > std::numeric_limits<size_t>::max() / rows) {
    Fail(function, "rows * n_per_row overflows size_t");
  }
  CheckPointer(x, rows * n_per_row, function, "x");
  CheckPointer(blocks, rows * n_per_row, function, "blocks");
  if (importance == nullptr || rows * n_per_row == 0) return;
  bool all_zero = true;
  for (size_t i = 0; i < n_per_row; ++i) {
    // Negative or NaN weights make ggml's least-squares fits meaningless
    // (and its searches' comparisons arbitrary).
    if (!(importance[i] >= 0.0f && importance[i] <= FLT_MAX)) {
      Fail(function, "importance[" + Str(static_cast<int64_t>(i)) + "] = " +
                         Str(importance[i]) +
                         " is not a finite, non-negative weight");
    }
    all_zero = all_zero && importance[i] == 0.0f;
  }
  if (all_zero) {
    Fail(function, "importance is all zero (every block would get scale 0)");
  }
}

}  // namespace internal

namespace gguf {

const char* BlockTypeName(BlockType type) {
  switch (type) {
    case BlockType::kQ4_0: return "Q4_0";
    case BlockType::kQ4_1: return "Q4_1";
    case BlockType::kQ5_0: return "Q5_0";
    case BlockType::kQ5_1: return "Q5_1";
    case BlockType::kQ8_0: return "Q8_0";
    case BlockType::kQ2_K: return "Q2_K";
    case BlockType::kQ3_K: return "Q3_K";
    case BlockType::kQ4_K: return "Q4_K";
    case BlockType::kQ5_K: return "Q5_K";
    case BlockType::kQ6_K: return "Q6_K";
    case BlockType::kMXFP4: return "MXFP4";
  }
  return "(not a gguf::BlockType)";
}

namespace detail {

namespace {

// Encode after its checks; errors found while encoding (NaN, Inf) name
// `function`.
void EncodeChecked(BlockType type, const void* x,
                   simdquant::detail::FloatType x_type, size_t n, void* blocks,
                   const char* function) {
  if (n == 0) return;
  if (IsKQuant(type)) {
    return internal::EncodeSearchedRows(type, x, x_type, 1, n, nullptr,
                                        static_cast<uint8_t*>(blocks), function);
  }
  if (type == BlockType::kMXFP4) {
    return internal::EncodeGgmlMxfp4(x, x_type, n, static_cast<uint8_t*>(blocks),
                                     function);
  }
  SIMDQUANT_DISPATCH(EncodeBlocks)
  (type, x, x_type, n, static_cast<uint8_t*>(blocks), function);
}

}  // namespace

void Encode(BlockType type, const void* x, simdquant::detail::FloatType x_type,
            size_t n, void* blocks) {
  internal::CheckGguf(type, x, n, blocks, "gguf::Encode");
  EncodeChecked(type, x, x_type, n, blocks, "gguf::Encode");
}

void EncodeRows(BlockType type, const void* x,
                simdquant::detail::FloatType x_type, size_t rows,
                size_t n_per_row, const float* importance, void* blocks) {
  internal::CheckGgufRows(type, x, rows, n_per_row, importance, blocks,
                          "gguf::EncodeRows");
  if (rows * n_per_row == 0) return;
  if (importance == nullptr || type == BlockType::kQ8_0 ||
      type == BlockType::kMXFP4) {
    // Rows without weights are one long row (Q8_0 and MXFP4 ignore the
    // weights).
    return EncodeChecked(type, x, x_type, rows * n_per_row, blocks,
                         "gguf::EncodeRows");
  }
  internal::EncodeSearchedRows(type, x, x_type, rows, n_per_row, importance,
                               static_cast<uint8_t*>(blocks), "gguf::EncodeRows");
}

void Decode(BlockType type, const void* blocks, size_t n, void* x,
            simdquant::detail::FloatType x_type) {
  internal::CheckGguf(type, x, n, blocks, "gguf::Decode");
  if (n == 0) return;
  if (IsKQuant(type)) {
    return internal::DecodeKQuants(type, static_cast<const uint8_t*>(blocks),
                                   n, x, x_type);
  }
  if (type == BlockType::kMXFP4) {
    return internal::DecodeGgmlMxfp4(static_cast<const uint8_t*>(blocks), n, x,
                                     x_type);
  }
  SIMDQUANT_DISPATCH(DecodeBlocks)
  (type, static_cast<const uint8_t*>(blocks), n, x, x_type);
}

}  // namespace detail
}  // namespace gguf
}  // namespace simdquant
#endif  // HWY_ONCE
