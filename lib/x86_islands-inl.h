// The library's raw x86 intrinsics, all in one place (MXCSR access aside:
// lib/fp_env.h). Each island is a small building block that Highway 1.0.3
// cannot express in as few instructions, named by what it does, with the
// Highway release that would make it unnecessary (checked against the
// releases' x86 headers up to 1.3.0). The kernels call these under the
// SIMDQUANT_HAVE_* macros below and fall back to portable Highway code
// elsewhere. Included once per target (toggle guard).
#if defined(SIMDQUANT_LIB_X86_ISLANDS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_X86_ISLANDS_INL_H_
#undef SIMDQUANT_LIB_X86_ISLANDS_INL_H_
#else
#define SIMDQUANT_LIB_X86_ISLANDS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Redefined for each target that foreach_target.h compiles.
#undef SIMDQUANT_HAVE_AVX512_ISLANDS
#undef SIMDQUANT_HAVE_BLOCK_PACKS
#undef SIMDQUANT_HAVE_PACKUSDW
#undef SIMDQUANT_HAVE_BYTE_PERMUTE
#undef SIMDQUANT_HAVE_RAW_TRUNCATE
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define SIMDQUANT_HAVE_AVX512_ISLANDS 1
#else
#define SIMDQUANT_HAVE_AVX512_ISLANDS 0
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3
#define SIMDQUANT_HAVE_BLOCK_PACKS 1
#define SIMDQUANT_HAVE_RAW_TRUNCATE 1
#else
#define SIMDQUANT_HAVE_BLOCK_PACKS 0
#define SIMDQUANT_HAVE_RAW_TRUNCATE 0
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSE4
#define SIMDQUANT_HAVE_PACKUSDW 1  // SSE4.1
#else
#define SIMDQUANT_HAVE_PACKUSDW 0
#endif
#if HWY_TARGET == HWY_AVX3_DL
#define SIMDQUANT_HAVE_BYTE_PERMUTE 1
#else
#define SIMDQUANT_HAVE_BYTE_PERMUTE 0
#endif

#if SIMDQUANT_HAVE_AVX512_ISLANDS
// Stores the low sizeof(T) bytes of each lane of a 512-bit integer vector
// (vpmovwb / vpmovdb / vpmovdw / vpmovqb): one instruction, where Highway's
// TruncateTo (still in 1.3.0) takes a permute and then a half-vector store.
// No Highway release through 1.3.0 has a narrowing store.
template <typename T, class V>
HWY_INLINE void StoreTruncated512(V v, T* HWY_RESTRICT out) {
  using TV = hn::TFromV<V>;
  static_assert(sizeof(T) < sizeof(TV), "narrows");
  if constexpr (sizeof(TV) == 2) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm512_cvtepi16_epi8(v.raw));
  } else if constexpr (sizeof(TV) == 4 && sizeof(T) == 1) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     _mm512_cvtepi32_epi8(v.raw));
  } else if constexpr (sizeof(TV) == 4) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm512_cvtepi32_epi16(v.raw));
  } else {
    static_assert(sizeof(TV) == 8 && sizeof(T) == 1, "64 -> 8 bits only");
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out),
                     _mm512_cvtepi64_epi8(v.raw));
  }
}

// x * f or x / f in the lanes of `keep`, 0 elsewhere, in one masked
// instruction. Highway 1.1.0: MaskedMulOr / MaskedDivOr with a zero vector.
template <bool kDivide, class M, class V>
HWY_INLINE V MaskedScale(M keep, V x, V f) {
  return V{kDivide ? _mm512_maskz_div_ps(keep.raw, x.raw, f.raw)
                   : _mm512_maskz_mul_ps(keep.raw, x.raw, f.raw)};
}

// True if every lane of p0..p3 is at least 2^-12 away from a half-integer.
// vreduceps: p - roundeven(p) in one instruction; vrangeps: the larger
// magnitude of two, sign cleared. vrangeps returns the other operand when
// one is a quiet NaN, NaN only when both are: a lane whose p is NaN (x NaN,
// both codes the zero point) or infinite (both saturate) drops out, while
// y = NaN makes every lane NaN, which fails the ordered compare. No Highway
// release through 1.3.0 has either instruction.
template <class DF>
HWY_INLINE bool FarFromHalfIntegers(DF df, hn::Vec<DF> p0, hn::Vec<DF> p1,
                                    hn::Vec<DF> p2, hn::Vec<DF> p3) {
  const auto bound = hn::Set(df, 0.5f - 0x1p-12f);
  constexpr int kRoundEven = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  constexpr int kMaxAbs = 0x0B;
  const auto reduce = [](hn::Vec<DF> p) {
    return _mm512_reduce_ps(p.raw, kRoundEven);
  };
  const __m512 largest = _mm512_range_ps(
      _mm512_range_ps(reduce(p0), reduce(p1), kMaxAbs),
      _mm512_range_ps(reduce(p2), reduce(p3), kMaxAbs), kMaxAbs);
  return _mm512_cmp_ps_mask(largest, bound.raw, _CMP_LT_OQ) == 0xFFFF;
}
#endif  // SIMDQUANT_HAVE_AVX512_ISLANDS

#if HWY_TARGET == HWY_AVX2 || SIMDQUANT_HAVE_AVX512_ISLANDS
// float32 -> int32 rounded to nearest even, INT32_MIN for NaN and beyond the
// int32 range (cvtps2dq), without Highway's NearestInt fix-up of positive
// overflow; AVX-512 ignores MXCSR's rounding and raises no exception (so -Inf
// leaves the invalid flag clear). No Highway release through 1.3.0 has it.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> NearestIntRaw(hn::Vec<DF> t) {
#if HWY_TARGET == HWY_AVX2
  return hn::Vec<hn::RebindToSigned<DF>>{_mm256_cvtps_epi32(t.raw)};
#else
  return hn::Vec<hn::RebindToSigned<DF>>{_mm512_cvt_roundps_epi32(
      t.raw, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
#endif
}

#endif  // AVX2 or AVX-512

#if SIMDQUANT_HAVE_RAW_TRUNCATE
// float32 -> int32 truncated, INT32_MIN for NaN and beyond the int32 range
// (cvttps2dq), without the three-instruction fix-up of positive overflow
// that Highway's ConvertTo adds: for callers whose values are in range.
// No Highway release through 1.3.0 has it.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> TruncateRaw(hn::Vec<DF> t) {
  using VI = hn::Vec<hn::RebindToSigned<DF>>;
#if HWY_TARGET <= HWY_AVX3
  if constexpr (sizeof(t.raw) == 64) return VI{_mm512_cvttps_epi32(t.raw)};
#endif
#if HWY_TARGET <= HWY_AVX2
  if constexpr (sizeof(t.raw) == 32) return VI{_mm256_cvttps_epi32(t.raw)};
#endif
  if constexpr (sizeof(t.raw) == 16) return VI{_mm_cvttps_epi32(t.raw)};
}
#endif

#if SIMDQUANT_HAVE_BLOCK_PACKS
// Two vectors narrowed with saturation within each 128-bit block: block j of
// the result holds block j of a, then block j of b (packsswb / packuswb /
// packusdw), as ReorderDemote2To does from int32 to int16. Highway 1.0.5:
// ReorderDemote2To from int16 to (u)int8 and from int32 to uint16.
template <bool kSigned, class V16>
HWY_INLINE hn::Vec<hn::Repartition<int8_t, hn::DFromV<V16>>> PackBlocksTo8(
    V16 a, V16 b) {
  using V8 = hn::Vec<hn::Repartition<int8_t, hn::DFromV<V16>>>;
#if HWY_TARGET <= HWY_AVX3
  if constexpr (sizeof(a.raw) == 64) {
    return V8{kSigned ? _mm512_packs_epi16(a.raw, b.raw)
                      : _mm512_packus_epi16(a.raw, b.raw)};
  }
#endif
#if HWY_TARGET <= HWY_AVX2
  if constexpr (sizeof(a.raw) == 32) {
    return V8{kSigned ? _mm256_packs_epi16(a.raw, b.raw)
                      : _mm256_packus_epi16(a.raw, b.raw)};
  }
#endif
  if constexpr (sizeof(a.raw) == 16) {
    return V8{kSigned ? _mm_packs_epi16(a.raw, b.raw)
                      : _mm_packus_epi16(a.raw, b.raw)};
  }
}

#if SIMDQUANT_HAVE_PACKUSDW
template <class VI>
HWY_INLINE hn::Vec<hn::Repartition<uint16_t, hn::DFromV<VI>>> PackBlocksToU16(
    VI a, VI b) {
  using V16 = hn::Vec<hn::Repartition<uint16_t, hn::DFromV<VI>>>;
#if HWY_TARGET <= HWY_AVX3
  if constexpr (sizeof(a.raw) == 64) {
    return V16{_mm512_packus_epi32(a.raw, b.raw)};
  }
#endif
#if HWY_TARGET <= HWY_AVX2
  if constexpr (sizeof(a.raw) == 32) {
    return V16{_mm256_packus_epi32(a.raw, b.raw)};
  }
#endif
  if constexpr (sizeof(a.raw) == 16) return V16{_mm_packus_epi32(a.raw, b.raw)};
}
#endif  // SIMDQUANT_HAVE_PACKUSDW
#endif  // SIMDQUANT_HAVE_BLOCK_PACKS

#if SIMDQUANT_HAVE_BYTE_PERMUTE
// Byte i of the result is bytes[table[i] & 63], or 0 where table[i] has its
// top bit set: TableLookupBytesOr0 across the whole 512-bit vector (vpermb
// with a zeroing mask). Highway 1.0.5: TableLookupLanes on uint8 lanes and
// IfThenElseZero.
template <class V8>
HWY_INLINE V8 PermuteBytesOr0(V8 bytes, V8 table) {
  const __mmask64 keep = _mm512_movepi8_mask(_mm512_xor_si512(
      table.raw, _mm512_set1_epi8(static_cast<char>(0x80))));
  return V8{_mm512_maskz_permutexvar_epi8(keep, table.raw, bytes.raw)};
}

// Stores the low byte of each 32-bit lane of a, then of b: 32 bytes, one
// vpermt2b (where two vpmovdb take four uops). Highway 1.0.5:
// TwoTablesLookupLanes on uint8 lanes, still with a full-vector store.
template <typename T, class VI>
HWY_INLINE void StoreLowBytesOf2(VI a, VI b, T* HWY_RESTRICT out) {
  static_assert(sizeof(T) == 1 && sizeof(hn::TFromV<VI>) == 4, "int32 -> 8");
  alignas(64) static constexpr uint8_t kLowBytes[64] = {
      0,  4,  8,  12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60,
      64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 104, 108, 112, 116, 120, 124};
  const __m512i table =
      _mm512_load_si512(reinterpret_cast<const void*>(kLowBytes));
  _mm256_storeu_si256(
      reinterpret_cast<__m256i*>(out),
      _mm512_castsi512_si256(_mm512_permutex2var_epi8(a.raw, table, b.raw)));
}
#endif

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // SIMDQUANT_LIB_X86_ISLANDS_INL_H_
