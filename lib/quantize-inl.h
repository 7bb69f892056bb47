// Per-target building blocks shared by the kernels: quantizing and
// dequantizing one vector, and running a kernel's tail. Included once per
// target by each kernel .cc (after foreach_target.h), hence the toggle guard.
#if defined(SIMDQUANT_LIB_QUANTIZE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_QUANTIZE_INL_H_
#undef SIMDQUANT_LIB_QUANTIZE_INL_H_
#else
#define SIMDQUANT_LIB_QUANTIZE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <array>

#include "hwy/highway.h"
#include "lib/convert-inl.h"
#include "lib/fp_env.h"
#include "lib/internal.h"
#include "lib/x86_islands-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// QuantizeConstants broadcast to vectors once per call.
template <class DF>
struct QuantizeVectors {
  using VF = hn::Vec<DF>;
  using VI = hn::Vec<hn::RebindToSigned<DF>>;

  QuantizeVectors(DF df, const internal::QuantizeConstants& c)
      : factor(hn::Set(df, c.factor)),
        lo(hn::Set(df, c.lo)),
        hi(hn::Set(df, c.hi)),
        magic(hn::Set(df, kMagic)),
        magic_bits_minus_zero_point(hn::Set(
            hn::RebindToSigned<DF>(), kMagicBits - c.zero_point)) {}

  // Per-lane parameters (one channel per lane): factor (scale or 1 / scale),
  // zero point and code range.
  QuantizeVectors(DF df, VF factor_, VI zero_point, int32_t qmin,
                  int32_t qmax)
      : factor(factor_),
        lo(hn::ConvertTo(df, hn::Sub(hn::Set(hn::RebindToSigned<DF>(), qmin),
                                     zero_point))),
        hi(hn::ConvertTo(df, hn::Sub(hn::Set(hn::RebindToSigned<DF>(), qmax),
                                     zero_point))),
        magic(hn::Set(df, kMagic)),
        magic_bits_minus_zero_point(hn::Sub(
            hn::Set(hn::RebindToSigned<DF>(), kMagicBits), zero_point)) {}

  // 1.5 * 2^23. For |t| <= 2^22, t + kMagic lies in [2^23, 2^24), where the
  // float32 spacing is 1: the addition itself rounds t to an integer, ties to
  // even (kMagic is even), exactly as nearbyint does. Its bit pattern is then
  // kMagicBits + round(t). This replaces NearestInt, whose HWY_SCALAR version
  // in Highway 1.0.3 rounds 0.49999997f to 1.
  static constexpr float kMagic = 12582912.0f;
  static constexpr int32_t kMagicBits = 0x4B400000;

  VF factor, lo, hi, magic;
  VI magic_bits_minus_zero_point;
};

// Codes (as int32 lanes) of one vector of floats: NaN -> zero_point, else
// clamp(round_half_even(x / scale or x * inv_scale) + zero_point, qmin, qmax).
// Clamping before rounding is the same as after because the bounds
// qmin - zero_point and qmax - zero_point are integers.
// kFlush (internal::FlushesSubnormals): NaN and subnormal x are replaced by
// 0 before the multiply; both give the zero point, and the product is then
// never NaN nor takes a subnormal operand. Else a NaN product gives 0.
// Either way NaN is gone before Min/Max, whose NaN handling differs per
// target.
template <class DF>
HWY_INLINE hn::Mask<DF> KeptLanes(DF df, hn::Vec<DF> x) {
  // |x| >= FLT_MIN, false for NaN (an ordered compare). On AVX-512,
  // vfpclassps would classify in one instruction but is slow on Zen 4 (the
  // 8-bit kernel ran at 77% of the compare's speed).
  return hn::Ge(hn::Abs(x), hn::Set(df, std::numeric_limits<float>::min()));
}

template <bool kDivide, bool kFlush, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> QuantizeVec(
    DF df, const QuantizeVectors<DF>& c, hn::Vec<DF> x) {
  const hn::RebindToSigned<DF> di;
  if (kFlush) x = hn::IfThenElseZero(KeptLanes(df, x), x);
  auto t = kDivide ? hn::Div(x, c.factor) : hn::Mul(x, c.factor);
  if (!kFlush) t = hn::IfThenZeroElse(hn::IsNaN(t), t);
  t = hn::Min(hn::Max(t, c.lo), c.hi);
  const auto biased = hn::Add(t, c.magic);
  (void)df;
  return hn::Sub(hn::BitCast(di, biased), c.magic_bits_minus_zero_point);
}

// Stores codes (int32 lanes already within the range of T) as T. The
// conversion is a plain truncation because every code fits T.
template <typename T, class DI>
HWY_INLINE void StoreCodes(DI di, hn::Vec<DI> codes, T* HWY_RESTRICT out) {
#if SIMDQUANT_HAVE_AVX512_ISLANDS
  if constexpr (hn::MaxLanes(DI()) == 16) return StoreTruncated512(codes, out);
#endif
  const hn::Rebind<T, DI> dt;
  (void)di;
  hn::StoreU(hn::DemoteTo(dt, codes), dt, out);
}

// Where the 32-bit lanes of packed blocks go: after packing kInputs vectors
// within 128-bit blocks (PackBlocksTo8 and friends), block j holds a unit of
// 16 / kInputs bytes of block j of each input; output lane k takes the lane
// that puts the units back in input order. Identity for one block.
template <size_t N, size_t kInputs>
constexpr std::array<int32_t, N> UnitOrder() {
  std::array<int32_t, N> order{};
  constexpr size_t kBlocks = N / 4, kUnit = 4 / kInputs;  // lanes per unit
  for (size_t k = 0; k < N; ++k) {
    const size_t unit = k / kUnit;
    const size_t input = unit / kBlocks, block = unit % kBlocks;
    order[k] = static_cast<int32_t>((block * kInputs + input) * kUnit + k % kUnit);
  }
  return order;
}
template <size_t kInputs, class DI>
HWY_INLINE hn::Vec<DI> UnitsInOrder(DI di, hn::Vec<DI> v) {
  constexpr size_t N = hn::MaxLanes(DI());
  if constexpr (N <= 4) {
    return v;
  } else {
    static constexpr std::array<int32_t, N> kOrder = UnitOrder<N, kInputs>();
    return hn::TableLookupLanes(v, hn::SetTableIndices(di, kOrder.data()));
  }
}

// StoreCodes of four consecutive vectors. On AVX2 and SSE packed together:
// two or three packs and (AVX2) one permute per store, where Highway 1.0.3's
// DemoteTo takes a pack and a permute per vector, and the -march=native loop
// beat that. AVX-512 narrows a vector in one instruction (StoreCodes).
template <typename T, class DI>
HWY_INLINE void StoreCodes4(DI di, hn::Vec<DI> a, hn::Vec<DI> b,
                            hn::Vec<DI> c, hn::Vec<DI> d,
                            T* HWY_RESTRICT out) {
  const size_t N = hn::Lanes(di);
#if SIMDQUANT_HAVE_BLOCK_PACKS && !SIMDQUANT_HAVE_AVX512_ISLANDS
  if constexpr (hn::MaxLanes(DI()) == HWY_LANES(int32_t)) {  // full vectors
    const hn::Repartition<int16_t, DI> d16;
    const hn::Repartition<T, DI> dt;
    if constexpr (sizeof(T) == 1) {
      const auto bytes = PackBlocksTo8<hwy::IsSigned<T>()>(
          hn::ReorderDemote2To(d16, a, b), hn::ReorderDemote2To(d16, c, d));
      hn::StoreU(hn::BitCast(dt, UnitsInOrder<4>(di, hn::BitCast(di, bytes))),
                 dt, out);
      return;
    } else {
      // 16-bit codes: two packs of two vectors, each stored in order.
      const auto store = [&](auto packed, T* HWY_RESTRICT to) {
        hn::StoreU(
            hn::BitCast(dt, UnitsInOrder<2>(di, hn::BitCast(di, packed))), dt,
            to);
      };
      if constexpr (hwy::IsSigned<T>()) {
        store(hn::ReorderDemote2To(d16, a, b), out);
        store(hn::ReorderDemote2To(d16, c, d), out + 2 * N);
        return;
      } else {
#if SIMDQUANT_HAVE_PACKUSDW
        store(PackBlocksToU16(a, b), out);
        store(PackBlocksToU16(c, d), out + 2 * N);
        return;
#endif
      }
    }
  }
#endif
  StoreCodes(di, a, out);
  StoreCodes(di, b, out + N);
  StoreCodes(di, c, out + 2 * N);
  StoreCodes(di, d, out + 3 * N);
}

// Stores float32 lanes to float, or rounded to nearest even to bfloat16 or
// float16.
template <class DF>
HWY_INLINE void StoreF32(DF df, hn::Vec<DF> v, float* HWY_RESTRICT p) {
  hn::StoreU(v, df, p);
}
template <class DF>
HWY_INLINE void StoreF32(DF df, hn::Vec<DF> v,
                         hwy::bfloat16_t* HWY_RESTRICT p) {
  StoreCodes(hn::RebindToSigned<DF>(), BF16Bits(df, v),
             reinterpret_cast<uint16_t*>(p));
}
template <class DF>
HWY_INLINE void StoreF32(DF df, hn::Vec<DF> v,
                         hwy::float16_t* HWY_RESTRICT p) {
#if SIMDQUANT_HAVE_F16C
  // vcvtps2ph keeps a NaN's payload; the other targets and the reference
  // give the quiet NaN of its sign, and so must this one.
  const hn::Rebind<hwy::float16_t, DF> df16;
  hn::StoreU(hn::DemoteTo(df16, QuietNaNOfSign(df, v)), df16, p);
#else
  StoreCodes(hn::RebindToSigned<DF>(), F16Bits(df, v),
             reinterpret_cast<uint16_t*>(p));
#endif
}

// float(q - zero_point) * scale: exact int32 subtraction and conversion
// (|q - zero_point| < 2^17), then one rounding in the multiply.
template <class DF>
HWY_INLINE hn::Vec<DF> DequantizeVec(DF df,
                                     hn::Vec<hn::RebindToSigned<DF>> q,
                                     hn::Vec<hn::RebindToSigned<DF>> zero_point,
                                     hn::Vec<DF> scale) {
  return hn::Mul(hn::ConvertTo(df, hn::Sub(q, zero_point)), scale);
}

// Runs `vector_body(in, out)` on the last `count` (< one vector) elements by
// way of zero-filled stack buffers, so that tails take the same vector code
// as the rest and nothing outside [in, in + count) or [out, out + count) is
// touched. Zero input is harmless for every kernel: it quantizes to the zero
// point, which dequantizes to 0 with zero error.
template <class D, typename TIn, typename TOut, class Body>
HWY_INLINE void ForTail(D d, const TIn* HWY_RESTRICT in, size_t count,
                        TOut* HWY_RESTRICT out, const Body& vector_body) {
  constexpr size_t kMax = hn::MaxLanes(D());
  HWY_ALIGN TIn in_buf[kMax] = {};
  HWY_ALIGN TOut out_buf[kMax] = {};
  (void)d;
  memcpy(in_buf, in, count * sizeof(TIn));
  vector_body(in_buf, out_buf);
  memcpy(out, out_buf, count * sizeof(TOut));
}

// Redefined for each target that foreach_target.h compiles.
#undef SIMDQUANT_HAVE_CODES8
#undef SIMDQUANT_DIVIDE_BY_RECIPROCAL
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL
#define SIMDQUANT_HAVE_CODES8 1
// 8-bit codes of four vectors, clamped in the integer domain after packing
// (as XNNPACK does): per vector a mask of the NaN and subnormal lanes, a
// product, one float clamp and a conversion, against eight operations for
// QuantizeVec; per four vectors two
// saturating packs, the zero point added in 16 bits, and one permute.
// Exact: with t = min(x * factor, qmax - zero_point), cvtps2dq rounds to
// nearest even (the default environment the contract assumes), gives
// INT32_MIN below -2^31 (and for -Inf), and the saturating packs and add
// then keep every code below qmin below it, so the final saturation (to
// the container) and, for narrower signed ranges, one max give qmin. Codes
// above qmax cannot occur: t <= qmax - zero_point. NaN and subnormal x -> 0
// -> zero point (ScaleKept).
// Highway 1.0.3 has neither masked conversions nor saturating 32 -> 16 bit
// packs across a whole vector.
template <typename T8, class DF>
struct Codes8Vectors {
  using DI = hn::RebindToSigned<DF>;
  using D16 = hn::Repartition<int16_t, DI>;
  using D8 = hn::Repartition<int8_t, DI>;
  Codes8Vectors(DF df, const internal::QuantizeConstants& c)
      : factor(hn::Set(df, c.factor)),
        hi(hn::Set(df, c.hi)),
        zero_point(hn::Set(D16(), static_cast<int16_t>(c.zero_point))),
        qmin(hn::Set(D8(), static_cast<int8_t>(static_cast<int32_t>(c.lo) +
                                                c.zero_point))),
        clamp_low(hwy::IsSigned<T8>() &&
                  static_cast<int32_t>(c.lo) + c.zero_point > -128),
        inverse(hn::Set(df, c.inverse)),
        has_inverse(!std::isnan(c.inverse)) {}
  // Per group of a batch: qmin and clamp_low (which depend on the code range
  // only) from `range`, the rest given.
  Codes8Vectors(const Codes8Vectors& range, hn::Vec<DF> factor_,
                hn::Vec<DF> hi_, hn::Vec<D16> zero_point_, float inverse_)
      : factor(factor_),
        hi(hi_),
        zero_point(zero_point_),
        qmin(range.qmin),
        clamp_low(range.clamp_low),
        inverse(hn::Set(DF(), inverse_)),
        has_inverse(!std::isnan(inverse_)) {}
  hn::Vec<DF> factor, hi;
  hn::Vec<D16> zero_point;
  hn::Vec<D8> qmin;  // applied if clamp_low (narrower signed ranges)
  bool clamp_low;
  hn::Vec<DF> inverse;  // divide mode: internal::DivideInverse(scale)
  // The inverse is not NaN. Tested apart: flushed lanes' products are 0,
  // and would hide a NaN inverse from FarFromHalfIntegers.
  bool has_inverse;
};

// Divide mode without a division per vector (AVX-512). The contract's code is
// code(c) = clamp(roundeven(c) + zero_point, qmin, qmax) of the correctly
// rounded quotient c = RN(x / s); vdivps costs twice the rest of the kernel.
// Take p = RN(x * y) with y = RN(1 / s) instead, and prove code(p) ==
// code(c) where FarFromHalfIntegers says so (else divide).
// With s in [2^-126, 2^126] (else y is NaN: every lane divides), y is normal
// and y = (1 / s)(1 + e1), |e1| <= u = 2^-24. Write z = x / s.
// - p normal: p = z (1 + e1)(1 + e2), |e2| <= u, and |c - z| <= u |z|, so
//   |p - c| <= (3u + u^2) |z| < 4u |p|.
// - |p| >= 512: |c| > 511 and both have the sign of x; with 8-bit codes
//   |qmin - zero_point| and |qmax - zero_point| are at most 255, so both
//   codes saturate at the same end (p = +-Inf included).
// - |p| < 512: |p - c| < 4u * 512 = 2^-13. roundeven is constant between
//   consecutive half-integers, so code(p) == code(c) if no half-integer lies
//   within 2^-13 of p, that is if |p - roundeven(p)| < 0.5 - 2^-13; the test
//   uses 0.5 - 2^-12 (p - roundeven(p) is exact for |p| < 2^23; above, it is
//   0 and the previous case applies).
// - p zero or subnormal: |z| < 2^-125, c rounds to 0 as p does.
// - x NaN or subnormal: replaced by 0 first (ScaleKept), the zero point
//   either way. y = NaN: Codes8Vectors::has_inverse is false, and every lane
//   divides.
// About 2^-11 of the lanes with |p| < 512 are near a half-integer: the
// division runs for about one group of four vectors in 30 on random data,
// and for every group when the data are exact ties (for example x = s / 2).
// tests/divide_test.cc checks every float32 x for a set of scales, and ties
// and their neighbours for many more.
//
// True if the four products may stand for the quotients: every lane at
// least 2^-12 away from a half-integer (on AVX-512, NaN and infinite lanes,
// whose codes do not depend on it, may pass too); false when y is NaN.
// Port-bound: on Zen 4 each extra operation per vector costs about 15% of
// the multiply mode's speed.
// (FarFromHalfIntegers, lib/x86_islands-inl.h.)
#if SIMDQUANT_HAVE_AVX512_ISLANDS
#define SIMDQUANT_DIVIDE_BY_RECIPROCAL 1
#else
// AVX2 divides: there the test (round, subtract, abs, compare per vector)
// cost as much as vdivps on Zen 4 (47-48 against 45-48 GB/s).
#define SIMDQUANT_DIVIDE_BY_RECIPROCAL 0
#endif

// x / f or x * f where keep (KeptLanes) is set, 0 elsewhere: the 8-bit
// kernels run only where internal::FlushesSubnormals holds, so that NaN and
// subnormal x give the zero point without a NaN mask on the result or a
// subnormal operand in the multiply. AVX-512 masks the operation itself.
// Without kMasked, the plain x / f or x * f.
template <bool kDivideOp, bool kMasked, class M, class V>
HWY_INLINE V ScaleKept(M keep, V x, V f) {
  if constexpr (!kMasked) {
    (void)keep;
    return kDivideOp ? hn::Div(x, f) : hn::Mul(x, f);
  }
#if SIMDQUANT_HAVE_AVX512_ISLANDS
  return MaskedScale<kDivideOp>(keep, x, f);
#else
  const auto kept = hn::IfThenElseZero(keep, x);
  return kDivideOp ? hn::Div(kept, f) : hn::Mul(kept, f);
#endif
}

// The codes (int32 lanes, before the zero point) of a quotient or product
// `scaled` (NaN only in the unmasked runs of Codes8, which redo it). AVX-512
// rounds to nearest even whatever MXCSR says, and without exceptions: -Inf
// and huge negative products (INT32_MIN, then qmin) do not make Codes8 redo
// a chunk.
template <typename T8, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Codes32(
    DF df, const Codes8Vectors<T8, DF>& c, hn::Vec<DF> scaled) {
  (void)df;
  return NearestIntRaw<DF>(hn::Min(scaled, c.hi));
}

// Codes of the four vectors at x: the first two with constants ab, the
// last two with cd (per group of two vectors; else the same constants).
// kMasked false: no KeptLanes mask, only under internal::RanWithoutInvalid
// with DAZ + FTZ (subnormal x count as 0): a NaN x reaches vminps, which
// raises the invalid flag (its lane would get qmax), and the caller redoes
// the work masked.
template <bool kDivide, bool kMasked, typename T8, class DF, typename TIn>
HWY_INLINE void StoreCodes8x4(DF df, const Codes8Vectors<T8, DF>& ab,
                              const Codes8Vectors<T8, DF>& cd,
                              const TIn* HWY_RESTRICT x, T8* HWY_RESTRICT q) {
  const size_t N = hn::Lanes(df);
  auto s0 = LoadF32(df, x), s1 = LoadF32(df, x + N);
  auto s2 = LoadF32(df, x + 2 * N), s3 = LoadF32(df, x + 3 * N);
  // Unused (and dropped by the compiler) unless kMasked.
  const auto k0 = KeptLanes(df, s0), k1 = KeptLanes(df, s1);
  const auto k2 = KeptLanes(df, s2), k3 = KeptLanes(df, s3);
  if constexpr (kDivide) {
#if SIMDQUANT_DIVIDE_BY_RECIPROCAL
    const auto p0 = ScaleKept<false, kMasked>(k0, s0, ab.inverse);
    const auto p1 = ScaleKept<false, kMasked>(k1, s1, ab.inverse);
    const auto p2 = ScaleKept<false, kMasked>(k2, s2, cd.inverse);
    const auto p3 = ScaleKept<false, kMasked>(k3, s3, cd.inverse);
    if (HWY_LIKELY(ab.has_inverse && cd.has_inverse &&
                   FarFromHalfIntegers(df, p0, p1, p2, p3))) {
      s0 = p0, s1 = p1, s2 = p2, s3 = p3;
    } else
#endif
    {
      s0 = ScaleKept<true, kMasked>(k0, s0, ab.factor);
      s1 = ScaleKept<true, kMasked>(k1, s1, ab.factor);
      s2 = ScaleKept<true, kMasked>(k2, s2, cd.factor);
      s3 = ScaleKept<true, kMasked>(k3, s3, cd.factor);
    }
  } else {
    s0 = ScaleKept<false, kMasked>(k0, s0, ab.factor);
    s1 = ScaleKept<false, kMasked>(k1, s1, ab.factor);
    s2 = ScaleKept<false, kMasked>(k2, s2, cd.factor);
    s3 = ScaleKept<false, kMasked>(k3, s3, cd.factor);
  }
  // Named, so that the loads run in address order (arguments may be
  // evaluated right to left; reverse order cost 6% at 64K).
  const auto i0 = Codes32(df, ab, s0), i1 = Codes32(df, ab, s1);
  const auto i2 = Codes32(df, cd, s2), i3 = Codes32(df, cd, s3);
  // Clamped in the integer domain: saturating packs, the zero point added
  // with int16 saturation, qmin by a byte max where it is above the
  // container's minimum.
  const hn::RebindToSigned<DF> di;
  const hn::Repartition<int16_t, DF> d16;
  const hn::Repartition<T8, DF> dq;
  const auto w01 =
      hn::SaturatedAdd(hn::ReorderDemote2To(d16, i0, i1), ab.zero_point);
  const auto w23 =
      hn::SaturatedAdd(hn::ReorderDemote2To(d16, i2, i3), cd.zero_point);
  auto bytes = PackBlocksTo8<hwy::IsSigned<T8>()>(w01, w23);
  if (ab.clamp_low) bytes = hn::Max(bytes, ab.qmin);
  hn::StoreU(hn::BitCast(dq, UnitsInOrder<4>(di, hn::BitCast(di, bytes))), dq,
             q);
}

// StoreCodes8x4 over x[0, n) (n a multiple of four vectors) with one set of
// constants. Out of line: no floating-point operation of it can move across
// the MXCSR accesses around the call.
template <bool kDivide, bool kMasked, typename T8, class DF, typename TIn>
HWY_NOINLINE void Codes8Run(DF df, const Codes8Vectors<T8, DF>& c8,
                            const TIn* HWY_RESTRICT x, size_t n,
                            T8* HWY_RESTRICT q) {
  // A copy the stores to q (uint8_t may alias anything) cannot reach: the
  // constants and the clamp_low test stay out of the loop.
  const Codes8Vectors<T8, DF> c = c8;
  for (size_t i = 0; i < n; i += 4 * hn::Lanes(df)) {
    StoreCodes8x4<kDivide, kMasked>(df, c, c, x + i, q + i);
  }
}

// 8-bit codes of x[0, n) (n a multiple of four vectors) with one set of
// parameters for which internal::FlushesSubnormals holds. Each chunk runs
// first without the NaN and subnormal masks under internal::KernelMxcsr, at
// XNNPACK's three operations per vector (multiply, min, convert): DAZ reads
// subnormal x as 0, which gives the zero point, their code under
// FlushesSubnormals; FTZ turns subnormal products (code: the zero point
// either way) into 0. A chunk that raised the invalid flag (it holds a NaN,
// whose lane got qmax; on AVX2 also a product below INT32_MIN) is redone
// with the masks.
template <bool kDivide, typename T8, class DF, typename TIn>
HWY_INLINE void Codes8(DF df, const Codes8Vectors<T8, DF>& c8,
                       const TIn* HWY_RESTRICT x, size_t n,
                       T8* HWY_RESTRICT q) {
  // 64 KiB of float input: a redo costs little, and the MXCSR accesses
  // nothing.
  constexpr size_t kChunk = 16384;
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t count = HWY_MIN(kChunk, n - i);
    if (!internal::RanWithoutInvalid(/*flush_subnormals=*/true, [&] {
          Codes8Run<kDivide, false>(df, c8, x + i, count, q + i);
        })) {
      Codes8Run<kDivide, true>(df, c8, x + i, count, q + i);
    }
  }
}
#else
#define SIMDQUANT_HAVE_CODES8 0
#endif

// Quantizes x[0, n) (float, bfloat16 or float16) to codes q[0, n) with one
// set of parameters; kFlush: constants.flush (internal::FlushesSubnormals).
template <bool kDivide, bool kFlush, typename TIn, typename T>
HWY_INLINE void QuantizeRunT(const TIn* HWY_RESTRICT x, size_t n,
                             const internal::QuantizeConstants& constants,
                             T* HWY_RESTRICT q) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  // Runs shorter than a vector (groups of 1 or 2, rows of one column) a
  // lane at a time on one-lane vectors: the same operations, without
  // ForTail's buffers, which cost several times such a run's arithmetic
  // (the scalar reference was up to 4x faster on groups of 1).
  if (n < N) {
    using D1 = hn::CappedTag<float, 1>;
    const D1 d1;
    const QuantizeVectors<D1> c1(d1, constants);
    for (size_t i = 0; i < n; ++i) {
      StoreCodes(hn::RebindToSigned<D1>(),
                 QuantizeVec<kDivide, kFlush>(d1, c1, LoadF32(d1, x + i)),
                 q + i);
    }
    return;
  }
  const QuantizeVectors<DF> c(df, constants);
  const auto vector_body = [&](const TIn* HWY_RESTRICT in,
                               T* HWY_RESTRICT out) {
    StoreCodes(di, QuantizeVec<kDivide, kFlush>(df, c, LoadF32(df, in)), out);
  };
  size_t i = 0;
  if (n >= 4 * N) {
#if SIMDQUANT_HAVE_CODES8
    if constexpr (sizeof(T) == 1 && kFlush) {  // it flushes subnormals
      const Codes8Vectors<T, DF> c8(df, constants);
      i = n / (4 * N) * (4 * N);
      Codes8<kDivide>(df, c8, x, i, q);
    }
#endif
    for (; i + 4 * N <= n; i += 4 * N) {
      const auto load = [&](size_t k) {
        return QuantizeVec<kDivide, kFlush>(df, c, LoadF32(df, x + i + k * N));
      };
      StoreCodes4(di, load(0), load(1), load(2), load(3), q + i);
    }
  }
  for (; i + N <= n; i += N) vector_body(x + i, q + i);
  if (i != n) ForTail(df, x + i, n - i, q + i, vector_body);
}

template <bool kDivide, typename TIn, typename T>
HWY_INLINE void QuantizeRun(const TIn* HWY_RESTRICT x, size_t n,
                            const internal::QuantizeConstants& constants,
                            T* HWY_RESTRICT q) {
  if (HWY_LIKELY(constants.flush)) {
    QuantizeRunT<kDivide, true>(x, n, constants, q);
  } else {
    QuantizeRunT<kDivide, false>(x, n, constants, q);
  }
}

// Calls body(i) for every i = 0, N, 2N, ... with i + N <= n, four vectors
// per iteration (the compiler does not unroll these loops by itself, and the
// loop overhead costs as much as the work at L1/L2 sizes). Returns the first
// index not covered.
template <class Body>
HWY_INLINE size_t ForWholeVectors(size_t n, size_t N, const Body& body) {
  size_t i = 0;
  if (n >= 4 * N) {
    for (; i <= n - 4 * N; i += 4 * N) {
      body(i);
      body(i + N);
      body(i + 2 * N);
      body(i + 3 * N);
    }
  }
  for (; i + N <= n; i += N) body(i);
  return i;
}

// Dequantizes codes q[0, n) with one set of parameters to x[0, n) (float,
// bfloat16 or float16).
template <typename T, typename TOut>
HWY_INLINE void DequantizeRun(const T* HWY_RESTRICT q, size_t n,
                                int32_t zero_point, float scale,
                                TOut* HWY_RESTRICT x) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<T, decltype(df)> dt;
  const size_t N = hn::Lanes(df);
  if (n < N) {  // a lane at a time, as QuantizeRun
    const hn::CappedTag<float, 1> d1;
    const hn::RebindToSigned<decltype(d1)> di1;
    const hn::Rebind<T, decltype(d1)> dt1;
    for (size_t i = 0; i < n; ++i) {
      const auto code = hn::PromoteTo(di1, hn::LoadU(dt1, q + i));
      StoreF32(d1, DequantizeVec(d1, code, hn::Set(di1, zero_point),
                                 hn::Set(d1, scale)),
               x + i);
    }
    return;
  }
  const auto vzero_point = hn::Set(di, zero_point);
  const auto vscale = hn::Set(df, scale);
  const auto vector_body = [&](const T* HWY_RESTRICT in,
                               TOut* HWY_RESTRICT out) {
    const auto codes = hn::PromoteTo(di, hn::LoadU(dt, in));
    StoreF32(df, DequantizeVec(df, codes, vzero_point, vscale), out);
  };
  const size_t i = ForWholeVectors(
      n, N, [&](size_t j) { vector_body(q + j, x + j); });
  if (i != n) ForTail(df, q + i, n - i, x + i, vector_body);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
