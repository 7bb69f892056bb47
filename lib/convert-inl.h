// Per-target loads of float32 vectors from float / bfloat16 / float16 arrays
// and stores back, the narrowing rounded to nearest even. Included once per
// target (toggle guard).
//
// Highway 1.0.3 is not used for the narrow types except where the CPU
// converts: its DemoteTo to bfloat16 truncates, and without F16C (SSE4,
// SSSE3, SCALAR, EMU128) its float16 DemoteTo truncates and its PromoteTo
// turns Inf and NaN into finite numbers. The integer versions below are exact
// on every target; AVX2 and AVX-512 use vcvtph2ps / vcvtps2ph, which are.
#if defined(SIMDQUANT_LIB_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_CONVERT_INL_H_
#undef SIMDQUANT_LIB_CONVERT_INL_H_
#else
#define SIMDQUANT_LIB_CONVERT_INL_H_
#endif

#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#undef SIMDQUANT_HAVE_F16C
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define SIMDQUANT_HAVE_F16C 1
#else
#define SIMDQUANT_HAVE_F16C 0
#endif

// 16-bit lanes of p[0, Lanes(df)) widened to uint32 lanes.
template <class DF, typename T16>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> LoadBits16(DF df,
                                                        const T16* p) {
  static_assert(sizeof(T16) == 2, "16-bit elements");
  const hn::RebindToUnsigned<DF> du32;
  const hn::Rebind<uint16_t, DF> du16;
  (void)df;
  return hn::PromoteTo(du32,
                       hn::LoadU(du16, reinterpret_cast<const uint16_t*>(p)));
}

template <class DF>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const float* HWY_RESTRICT p) {
  return hn::LoadU(df, p);
}

// bfloat16 is the upper half of a float32.
template <class DF>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const hwy::bfloat16_t* HWY_RESTRICT p) {
  return hn::BitCast(df, hn::ShiftLeft<16>(LoadBits16(df, p)));
}

template <class DF>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const hwy::float16_t* HWY_RESTRICT p) {
#if SIMDQUANT_HAVE_F16C
  const hn::Rebind<hwy::float16_t, DF> df16;
  return hn::PromoteTo(df, hn::LoadU(df16, p));
#else
  const hn::RebindToUnsigned<DF> du;
  const auto h = LoadBits16(df, p);
  const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000)));
  const auto magnitude = hn::And(h, hn::Set(du, 0x7FFF));
  // Normal: re-bias the exponent by 127 - 15. Inf/NaN (exponent 31): by
  // twice that, which lands on exponent 255 and keeps the payload.
  const auto shifted = hn::ShiftLeft<13>(magnitude);
  const auto normal = hn::Add(shifted, hn::Set(du, 0x38000000));
  const auto inf_nan = hn::Add(shifted, hn::Set(du, 0x70000000));
  // Zero and subnormals: mantissa * 2^-24, exact in float32.
  const auto subnormal = hn::BitCast(
      du, hn::Mul(hn::ConvertTo(df, hn::BitCast(hn::RebindToSigned<DF>(),
                                                magnitude)),
                  hn::Set(df, 0x1p-24f)));
  // Signed compares: Highway 1.0.3 lacks some unsigned ones on SSE.
  const hn::RebindToSigned<DF> di;
  const auto magnitude_i = hn::BitCast(di, magnitude);
  const auto is_subnormal =
      hn::RebindMask(du, hn::Lt(magnitude_i, hn::Set(di, 0x0400)));
  const auto is_inf_nan =
      hn::RebindMask(du, hn::Gt(magnitude_i, hn::Set(di, 0x7BFF)));
  const auto bits = hn::IfThenElse(
      is_subnormal, subnormal, hn::IfThenElse(is_inf_nan, inf_nan, normal));
  return hn::BitCast(df, hn::Or(sign, bits));
#endif
}

// v with each NaN lane replaced by the quiet NaN of its sign (payload
// dropped), as the reference's conversions give.
template <class DF>
HWY_INLINE hn::Vec<DF> QuietNaNOfSign(DF df, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const auto quiet_nan = hn::BitCast(
      df, hn::Or(hn::And(hn::BitCast(du, v), hn::Set(du, 0x80000000u)),
                 hn::Set(du, 0x7FC00000u)));
  // IsNaN, not Ne(v, v): Highway 1.0.3 compares _CMP_NEQ_OQ, false for NaN.
  return hn::IfThenElse(hn::IsNaN(v), quiet_nan, v);
}

// Bit patterns (in int32 lanes, each < 2^16) of v rounded to bfloat16.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> BF16Bits(DF df, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto bits = hn::BitCast(du, v);
  // Round to nearest even on the 16 dropped bits; the carry may propagate
  // into the exponent, up to Inf, as it should.
  const auto odd = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1));
  const auto rounded = hn::ShiftRight<16>(
      hn::Add(bits, hn::Add(hn::Set(du, 0x7FFF), odd)));
  // NaN: the quiet NaN of its sign, payload dropped (as the reference and
  // float16 narrowing); rounding could carry it into Inf.
  const auto quiet_nan = hn::Or(
      hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 0x8000)),
      hn::Set(du, 0x7FC0));
  const auto abs = hn::BitCast(di, hn::And(bits, hn::Set(du, 0x7FFFFFFF)));
  const auto is_nan = hn::RebindMask(du, hn::Gt(abs, hn::Set(di, 0x7F800000)));
  (void)df;
  return hn::BitCast(di, hn::IfThenElse(is_nan, quiet_nan, rounded));
}

#if !SIMDQUANT_HAVE_F16C
// Bit patterns (in int32 lanes) of v rounded to float16: the vector form of
// internal::F16BitsFromF32 (lib/params.cc), which explains the steps.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> F16Bits(DF df, hn::Vec<DF> v) {
  const hn::RebindToSigned<DF> di;
  const hn::RebindToUnsigned<DF> du;
  const auto bits = hn::BitCast(du, v);
  const auto sign = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 0x8000));
  const auto abs = hn::BitCast(di, hn::And(bits, hn::Set(du, 0x7FFFFFFF)));
  const auto rebiased = hn::Sub(hn::BitCast(du, abs), hn::Set(du, 0x38000000));
  const auto odd = hn::And(hn::ShiftRight<13>(rebiased), hn::Set(du, 1));
  const auto normal = hn::ShiftRight<13>(
      hn::Add(rebiased, hn::Add(hn::Set(du, 0xFFF), odd)));
  const auto subnormal = hn::Sub(
      hn::BitCast(du, hn::Add(hn::BitCast(df, abs), hn::Set(df, 0.5f))),
      hn::Set(du, 0x3F000000));
  auto r = hn::IfThenElse(hn::RebindMask(du, hn::Lt(abs, hn::Set(di, 0x38800000))),
                          subnormal, normal);
  r = hn::IfThenElse(
      hn::RebindMask(du, hn::Gt(abs, hn::Set(di, 0x477FFFFF))),
      hn::Set(du, 0x7C00), r);
  r = hn::IfThenElse(
      hn::RebindMask(du, hn::Gt(abs, hn::Set(di, 0x7F800000))),
      hn::Set(du, 0x7E00), r);
  return hn::BitCast(di, hn::Or(r, sign));
}
#endif

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
