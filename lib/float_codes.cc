// Floating-point codes (float_codes.h): FP8 / FP6 / FP4 with scales, MX
// blocks, NVFP4, and ggml's MXFP4 blocks (gguf.h).
//
// Rounding to a format with M mantissa bits is one float32 addition: with
// E the exponent of |v| (at least the format's smallest normal exponent),
// magic = 2^(E + 23 - M) has an ulp of 2^(E - M), so |v| + magic rounds
// |v| to the format's precision, to nearest even, in the default rounding
// mode; the sum's bits minus magic's count those ulps. Subnormals of the
// format come out of the same sum, with E clamped.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/float_codes.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hwy/highway.h"
#include "lib/float_format.h"
#include "lib/internal.h"
#include "lib/pieces.h"
#include "lib/layout-inl.h"  // VisitFloatType
#include "lib/quantize-inl.h"  // StoreF32
#include "lib/range-inl.h"     // BlockAbsMax
#include "simdquant/float_codes.h"
#include "simdquant/gguf.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using internal::MiniFloat;
using internal::Specials;

// A format's encoding constants, in int32 lanes.
template <class DI>
struct EncodeVectors {
  hn::Vec<DI> bound;       // |v| bits clamp: largest finite or 2^(emax+1)
  hn::Vec<DI> min_normal;  // bits of 2^emin
  hn::Vec<DI> magic_add;   // (23 - M) << 23
  hn::Vec<DI> max_code;    // codes above this overflow (without saturation)
  hn::Vec<DI> overflow;    // their code
  hn::Vec<DI> nan;         // the code of NaN, sign clear
  int shift;               // 23 - M
  int sign_shift;          // 32 - bits

  EncodeVectors(DI di, const MiniFloat& f, bool saturate) {
    const int32_t min_normal_bits = (f.MinNormalExponent() + 127) << 23;
    // Largest finite value's float32 bits: its code's exponent and mantissa.
    const int32_t max_bits =
        ((f.MaxExponent() + 127) << 23) |
        static_cast<int32_t>((f.max_code & ((1u << f.mantissa) - 1))
                             << (23 - f.mantissa));
    bound = hn::Set(di, saturate ? max_bits
                                 : (f.MaxExponent() + 1 + 127) << 23);
    min_normal = hn::Set(di, min_normal_bits);
    magic_add = hn::Set(di, (23 - f.mantissa) << 23);
    max_code = hn::Set(di, static_cast<int32_t>(f.max_code));
    overflow = hn::Set(di, static_cast<int32_t>(f.OverflowCode()));
    nan = hn::Set(di, static_cast<int32_t>(f.NaNCode()));
    shift = 23 - f.mantissa;
    sign_shift = 32 - f.bits;
  }
};

// Codes (int32 lanes) of v, already divided by the scale, for a format
// with specials kSpecials; kSaturate as Overflow::kSaturate (the formats
// without Inf or NaN always saturate).
template <Specials kSpecials, bool kSaturate, class DF,
          class DI = hn::RebindToSigned<DF>>
HWY_INLINE hn::Vec<DI> EncodeVec(DF df, const EncodeVectors<DI>& c,
                                 hn::Vec<DF> v) {
  static_assert(kSaturate || kSpecials != Specials::kNone, "FP6/FP4 saturate");
  const DI di;
  const hn::RebindToUnsigned<DF> du;
  const auto bits = hn::BitCast(di, v);
  const auto abs = hn::And(bits, hn::Set(di, 0x7FFFFFFF));
  // Clamping the bits also takes Inf to the bound (and NaN, fixed below).
  const auto a = hn::Min(abs, c.bound);
  const auto exponent =
      hn::Max(hn::And(a, hn::Set(di, 0x7F800000)), c.min_normal);
  const auto magic = hn::Add(exponent, c.magic_add);
  const auto sum = hn::BitCast(
      di, hn::Add(hn::BitCast(df, a), hn::BitCast(df, magic)));
  auto code = hn::Add(hn::Sub(sum, magic),
                      hn::ShiftRightSame(hn::Sub(exponent, c.min_normal),
                                         c.shift));
  if constexpr (!kSaturate) {
    code = hn::IfThenElse(hn::Gt(code, c.max_code), c.overflow, code);
  }
  const auto sign = hn::BitCast(
      di, hn::ShiftRightSame(hn::BitCast(du, hn::And(bits, hn::Set(di, INT32_MIN))),
                             c.sign_shift));
  const auto is_nan = hn::Gt(abs, hn::Set(di, 0x7F800000));
  if constexpr (kSpecials == Specials::kFnuz) {  // no -0; NaN 0x80
    code = hn::Or(code, hn::IfThenElseZero(hn::Gt(code, hn::Zero(di)), sign));
    return hn::IfThenElse(is_nan, c.nan, code);
  } else if constexpr (kSpecials == Specials::kNone) {  // NaN: +largest
    return hn::IfThenElse(is_nan, c.nan, hn::Or(code, sign));
  } else {  // NaN keeps its sign
    return hn::Or(hn::IfThenElse(is_nan, c.nan, code), sign);
  }
}

// f(integral_constant<Specials>, integral_constant<bool, saturate>) for a
// format and an overflow mode (FP6 / FP4 always saturate).
template <class F>
HWY_INLINE void VisitEncoding(const MiniFloat& format, bool saturate,
                              const F& f) {
  using std::integral_constant;
  using Sat = integral_constant<bool, true>;
  using NoSat = integral_constant<bool, false>;
  switch (format.specials) {
    case Specials::kIeee:
      return saturate ? f(integral_constant<Specials, Specials::kIeee>(), Sat())
                      : f(integral_constant<Specials, Specials::kIeee>(), NoSat());
    case Specials::kFn:
      return saturate ? f(integral_constant<Specials, Specials::kFn>(), Sat())
                      : f(integral_constant<Specials, Specials::kFn>(), NoSat());
    case Specials::kFnuz:
      return saturate ? f(integral_constant<Specials, Specials::kFnuz>(), Sat())
                      : f(integral_constant<Specials, Specials::kFnuz>(), NoSat());
    case Specials::kNone:
      return f(integral_constant<Specials, Specials::kNone>(), Sat());
  }
}

// A format's decoding constants, in int32 / float lanes.
template <class DF>
struct DecodeVectors {
  using DI = hn::RebindToSigned<DF>;
  hn::Vec<DI> magnitude_mask;
  hn::Vec<DI> max_code;
  hn::Vec<DF> rebias;  // 2^(127 - bias)
  float rebias_scalar;
  int shift, sign_shift;
  MiniFloat format;

  DecodeVectors(DF df, const MiniFloat& f) : format(f) {
    const DI di;
    magnitude_mask = hn::Set(di, static_cast<int32_t>(f.SignBit() - 1));
    max_code = hn::Set(di, static_cast<int32_t>(f.max_code));
    rebias_scalar = internal::Pow2(127 - f.bias);
    rebias = hn::Set(df, rebias_scalar);
    shift = 23 - f.mantissa;
    sign_shift = 32 - f.bits;
  }
};

// The values of codes (int32 lanes, each < 2^bits) times factor / rebias:
// the magnitude's bits placed as a float32's exponent and mantissa, times
// factor, is the value (subnormals included) times factor / 2^(127 - bias)
// in one rounding; then the specials of the format (kSpecials).
template <Specials kSpecials, class DF, class DI = hn::RebindToSigned<DF>>
HWY_INLINE hn::Vec<DF> DecodeVec(DF df, const DecodeVectors<DF>& c,
                                 hn::Vec<DI> code, hn::Vec<DF> factor) {
  const DI di;
  const auto magnitude = hn::And(code, c.magnitude_mask);
  auto v = hn::Mul(hn::BitCast(df, hn::ShiftLeftSame(magnitude, c.shift)), factor);
  const auto nan = hn::BitCast(df, hn::Set(di, 0x7FC00000));
  if constexpr (kSpecials == Specials::kFn) {  // S.1111.111
    v = hn::IfThenElse(hn::RebindMask(df, hn::Gt(magnitude, c.max_code)), nan, v);
  } else if constexpr (kSpecials == Specials::kIeee) {  // Inf, then NaN
    const auto inf = hn::Add(c.max_code, hn::Set(di, 1));
    v = hn::IfThenElse(hn::RebindMask(df, hn::Eq(magnitude, inf)),
                       hn::Set(df, HUGE_VALF), v);
    v = hn::IfThenElse(hn::RebindMask(df, hn::Gt(magnitude, inf)), nan, v);
  }
  const auto sign = hn::ShiftLeftSame(hn::AndNot(c.magnitude_mask, code),
                                      c.sign_shift);
  v = hn::Or(v, hn::BitCast(df, sign));
  if constexpr (kSpecials == Specials::kFnuz) {  // 0x80
    v = hn::IfThenElse(hn::RebindMask(df, hn::Eq(code, hn::Set(di, 0x80))), nan, v);
  }
  return v;
}

template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> LoadCodes(D /* d */, const uint8_t* p) {
  const hn::Rebind<uint8_t, D> d8;
  return hn::BitCast(hn::RebindToSigned<D>(),
                     hn::PromoteTo(hn::RebindToUnsigned<D>(), hn::LoadU(d8, p)));
}
template <class D>
HWY_INLINE void StoreCodes(D /* d */, hn::Vec<hn::RebindToSigned<D>> codes,
                           uint8_t* p) {
  const hn::Rebind<uint8_t, D> d8;
  hn::StoreU(hn::DemoteTo(d8, codes), d8, p);
}

// ---------------------------------------------------------------------------
// Scaled codes: out[i] for x[i] / scale (or x[i] * (1 / scale)), i in
// [0, n), with one scale or (per column) a scale per element.

template <Specials kSpecials, bool kSaturate, bool kDivide, bool kPerLane,
          typename TIn>
void EncodeRun(const TIn* HWY_RESTRICT x, size_t n,
               const float* HWY_RESTRICT scales, const MiniFloat& f,
               uint8_t* HWY_RESTRICT out) {
  const auto run = [&](auto d, size_t i) {
    const hn::RebindToSigned<decltype(d)> di;
    const EncodeVectors<hn::RebindToSigned<decltype(d)>> c(di, f, kSaturate);
    const auto scale = kPerLane ? hn::LoadU(d, scales + i) : hn::Set(d, scales[0]);
    const auto v = kDivide ? hn::Div(LoadF32(d, x + i), scale)
                           : hn::Mul(LoadF32(d, x + i),
                                     hn::Div(hn::Set(d, 1.0f), scale));
    StoreCodes(d, EncodeVec<kSpecials, kSaturate>(d, c, v), out + i);
  };
  using DF = hn::ScalableTag<float>;
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  if (n >= N) {
    const hn::RebindToSigned<decltype(df)> di;
    const EncodeVectors<hn::RebindToSigned<DF>> c(di, f, kSaturate);
    const auto inverse = hn::Div(hn::Set(df, 1.0f), hn::Set(df, scales[0]));
    for (; i + N <= n; i += N) {
      const auto scale = kPerLane ? hn::LoadU(df, scales + i) : hn::Set(df, scales[0]);
      const auto xv = LoadF32(df, x + i);
      const auto v = kDivide    ? hn::Div(xv, scale)
                     : kPerLane ? hn::Mul(xv, hn::Div(hn::Set(df, 1.0f), scale))
                                : hn::Mul(xv, inverse);
      StoreCodes(df, EncodeVec<kSpecials, kSaturate>(df, c, v), out + i);
    }
  }
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) run(d1, i);
}

// f(integral_constant<Specials>) of a format.
template <class F>
HWY_INLINE void VisitSpecials(const MiniFloat& format, const F& f) {
  using std::integral_constant;
  switch (format.specials) {
    case Specials::kIeee: return f(integral_constant<Specials, Specials::kIeee>());
    case Specials::kFn: return f(integral_constant<Specials, Specials::kFn>());
    case Specials::kFnuz: return f(integral_constant<Specials, Specials::kFnuz>());
    case Specials::kNone: return f(integral_constant<Specials, Specials::kNone>());
  }
}

// y[0, count) = value(codes[i]) * scale, given the format's constants for
// full vectors (DF) and for one lane (the tail). value * scale is
// (magnitude bits) * (2^(127 - bias) * scale) in one rounding when that
// factor is a finite float: the usual case.
template <Specials kSpecials, class DF, typename T>
HWY_INLINE void DecodeBlock(DF df, const DecodeVectors<DF>& c,
                            const uint8_t* HWY_RESTRICT codes, size_t count,
                            float scale, T* HWY_RESTRICT y) {
  const float folded = scale * c.rebias_scalar;  // exact if finite
  const bool fold = folded <= 3.40282347e38f;
  const auto run = [&](auto d, const auto& constants, size_t i) {
    const auto code = LoadCodes(d, codes + i);
    StoreF32(d,
             fold ? DecodeVec<kSpecials>(d, constants, code, hn::Set(d, folded))
                  : hn::Mul(DecodeVec<kSpecials>(d, constants, code, constants.rebias),
                            hn::Set(d, scale)),
             y + i);
  };
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= count; i += N) run(df, c, i);
  if (i == count) return;
  const hn::CappedTag<float, 1> d1;
  const DecodeVectors<hn::CappedTag<float, 1>> c1(d1, c.format);
  for (; i < count; ++i) run(d1, c1, i);
}

// A run of one scale, or (kPerLane) a scale per element.
template <bool kPerLane, typename TOut>
void DecodeRun(const uint8_t* HWY_RESTRICT codes, size_t n,
               const float* HWY_RESTRICT scales, const MiniFloat& f,
               TOut* HWY_RESTRICT y) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const DecodeVectors<DF> c(df, f);
  VisitSpecials(f, [&](auto specials) {
    constexpr Specials kS = decltype(specials)::value;
    if constexpr (!kPerLane) {
      DecodeBlock<kS>(df, c, codes, n, scales[0], y);
    } else {
      const auto one = [&](auto d, const auto& constants, size_t i) {
        StoreF32(d, hn::Mul(DecodeVec<kS>(d, constants, LoadCodes(d, codes + i),
                                          constants.rebias),
                            hn::LoadU(d, scales + i)),
                 y + i);
      };
      const size_t N = hn::Lanes(df);
      size_t i = 0;
      for (; i + N <= n; i += N) one(df, c, i);
      const hn::CappedTag<float, 1> d1;
      const DecodeVectors<hn::CappedTag<float, 1>> c1(d1, f);
      for (; i < n; ++i) one(d1, c1, i);
    }
  });
}

// Elements [begin, end) of a layout: codes[i - begin] one per byte, x[i]
// (encoding) and y[i - begin] (decoding). The MX and NVFP4 kernels below
// do the same.
void EncodeFloatRange(const void* x, detail::FloatType type,
                      const Layout& layout, const float* scales,
                      const FloatCodeSpec& spec, size_t begin, size_t end,
                      uint8_t* codes) {
  const MiniFloat f = internal::Describe(spec.format);
  const bool saturate = spec.overflow == Overflow::kSaturate;
  const bool divide = spec.mode == QuantizeMode::kDivide;
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xt = static_cast<const T*>(x);
    VisitEncoding(f, saturate, [&](auto specials, auto saturates) {
      constexpr Specials kS = decltype(specials)::value;
      constexpr bool kSat = decltype(saturates)::value;
      internal::ForEachRun(layout, begin, end, [&](size_t start, size_t count,
                                                   size_t k, size_t col) {
        const bool per_column = layout.granularity == Granularity::kPerColumn;
        const float* s = per_column ? scales + col : scales + k;
        uint8_t* out = codes + (start - begin);
        if (per_column) {
          return divide ? EncodeRun<kS, kSat, true, true>(xt + start, count, s, f, out)
                        : EncodeRun<kS, kSat, false, true>(xt + start, count, s, f, out);
        }
        return divide ? EncodeRun<kS, kSat, true, false>(xt + start, count, s, f, out)
                      : EncodeRun<kS, kSat, false, false>(xt + start, count, s, f, out);
      });
    });
  });
}

void DecodeFloatRange(const uint8_t* codes, const Layout& layout,
                      const float* scales, FloatFormat format, size_t begin,
                      size_t end, void* y, detail::FloatType type) {
  const MiniFloat f = internal::Describe(format);
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yt = static_cast<T*>(y);
    internal::ForEachRun(layout, begin, end, [&](size_t start, size_t count,
                                                 size_t k, size_t col) {
      const uint8_t* in = codes + (start - begin);
      if (layout.granularity == Granularity::kPerColumn) {
        return DecodeRun<true>(in, count, scales + col, f, yt + (start - begin));
      }
      return DecodeRun<false>(in, count, scales + k, f, yt + (start - begin));
    });
  });
}

// ---------------------------------------------------------------------------
// Blocks: MX, NVFP4 and ggml's MXFP4 share the walk over [begin, end) in
// blocks of a row; a block cut by begin or end is read whole for its scale.

// Calls block(first, size, k, start, count): block k holds x[first, first +
// size); [start, start + count) is its part inside [begin, end).
template <class Block>
void ForEachBlock(size_t rows, size_t cols, size_t block_size, size_t begin,
                  size_t end, const Block& block) {
  const Layout layout = Layout::PerGroup(rows, cols, block_size);
  internal::ForEachRun(layout, begin, end, [&](size_t start, size_t count,
                                               size_t k, size_t col) {
    const size_t offset = col % block_size;
    const size_t first_col = col - offset;
    block(start - offset, HWY_MIN(block_size, cols - first_col), k, start,
          count);
  });
}

// max |x[0, n)| by the library's range kernel: NaN if an element is NaN,
// Inf if one is infinite; as float32 bits (sign clear), so that NaN and Inf
// are the bits from 0x7F800000 up.
template <typename T>
HWY_INLINE uint32_t AbsMaxBits(const T* HWY_RESTRICT x, size_t n) {
  const float amax = Range</*kAbs=*/true>(x, n).max;
  uint32_t bits;
  memcpy(&bits, &amax, 4);
  return bits & 0x7FFFFFFFu;
}

// Elements of MXINT8: round_half_even(v * 64) clamped to [-127, 127]; NaN
// never reaches here (its block's elements are zero).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> EncodeInt8Vec(DF df, hn::Vec<DF> v) {
  const auto scaled = hn::Mul(v, hn::Set(df, 64.0f));
  const auto clamped = hn::Min(hn::Max(scaled, hn::Set(df, -127.0f)),
                               hn::Set(df, 127.0f));
  return hn::NearestInt(clamped);
}

// The codes of an MX element format of v (scaled): kSpecials' float codes,
// saturating, or MXINT8's (kInt8).
template <Specials kSpecials, bool kInt8, class DF, class DI = hn::RebindToSigned<DF>>
HWY_INLINE hn::Vec<DI> MxElements(DF df, const EncodeVectors<DI>& c, hn::Vec<DF> v) {
  if constexpr (kInt8) {
    return hn::And(EncodeInt8Vec(df, v), hn::Set(DI(), 0xFF));
  } else {
    return EncodeVec<kSpecials, true>(df, c, v);
  }
}

// Codes of x[0, n) divided by the power of two 2^e (e in [-127, 127]) as
// v * 2^-e: exact, one rounding to float32.
template <Specials kSpecials, bool kInt8, typename T>
void EncodeScaledByPow2(const T* HWY_RESTRICT x, size_t n, int e,
                        const MiniFloat& f, uint8_t* HWY_RESTRICT out) {
  const float factor = internal::E8M0Value(static_cast<uint8_t>(127 - e));
  const auto one = [&](auto d, size_t i) {
    const hn::RebindToSigned<decltype(d)> di;
    const EncodeVectors<hn::RebindToSigned<decltype(d)>> c(di, f, true);
    const auto v = hn::Mul(LoadF32(d, x + i), hn::Set(d, factor));
    StoreCodes(d, MxElements<kSpecials, kInt8>(d, c, v), out + i);
  };
  using DF = hn::ScalableTag<float>;
  const DF df;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) one(df, i);
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) one(d1, i);
}

// E8M0 code of each lane's largest magnitude (bits of a finite float),
// as internal::MxScaleCode for normal amax; subnormal lanes (whose scale
// the caller recomputes) come out clamped.
template <class DI>
HWY_INLINE hn::Vec<DI> MxScaleCodes(DI di, hn::Vec<DI> amax_bits, MxFormat format,
                                    MxScaleRule rule) {
  auto e = hn::Sub(hn::ShiftRight<23>(amax_bits),
                   hn::Set(di, 127 + internal::MxEmax(format)));
  if (rule == MxScaleRule::kRoundUp) {  // + 1 where amax / 2^e > largest
    const auto above = hn::Gt(hn::And(amax_bits, hn::Set(di, 0x7FFFFF)),
                              hn::Set(di, static_cast<int32_t>(
                                              internal::MxMaxMantissa(format))));
    e = hn::Sub(e, hn::VecFromMask(di, above));
  }
  return hn::Add(hn::Min(hn::Max(e, hn::Set(di, -127)), hn::Set(di, 127)),
                 hn::Set(di, 127));
}

// MX blocks of 32 back to back (whole rows of whole blocks): the scales of
// a vector's worth of blocks at once (BlockAbsMax's transposed reduction,
// then the rule in lanes), then each block's elements with its factor.
template <Specials kSpecials, bool kInt8, typename T>
void EncodeMxBatches(const T* HWY_RESTRICT x, size_t blocks, MxFormat format,
                     MxScaleRule rule, const MiniFloat& f,
                     uint8_t* HWY_RESTRICT scales, uint8_t* HWY_RESTRICT out) {
  using DF = hn::ScalableTag<float>;
  using DI = hn::RebindToSigned<DF>;
  const DF df;
  const DI di;
  const size_t N = hn::Lanes(df);
  const EncodeVectors<DI> c(di, f, true);
  HWY_ALIGN int32_t lanes[hn::MaxLanes(DF())];
  for (size_t g0 = 0; g0 < blocks; g0 += N) {
    const size_t count = HWY_MIN(N, blocks - g0);
    const T* xg = x + g0 * kMxBlockSize;
    hn::Mask<DF> not_finite;
    const auto amax = hn::BitCast(
        di, BlockAbsMax(df, xg, kMxBlockSize, count, &not_finite));
    hn::Store(MxScaleCodes(di, amax, format, rule), di, lanes);
    // Blocks with NaN or Inf, and subnormal amax, are settled block by
    // block.
    const auto odd = hn::Or(
        hn::RebindMask(di, not_finite),
        hn::And(hn::Gt(amax, hn::Zero(di)), hn::Lt(amax, hn::Set(di, 0x00800000))));
    if (HWY_UNLIKELY(!hn::AllFalse(di, odd))) {
      for (size_t g = 0; g < count; ++g) {
        const uint32_t bits = AbsMaxBits(xg + g * kMxBlockSize, kMxBlockSize);
        lanes[g] = bits >= 0x7F800000u ? 0xFF : internal::MxScaleCode(bits, format, rule);
      }
    }
    for (size_t g = 0; g < count; ++g) {
      const uint8_t scale = static_cast<uint8_t>(lanes[g]);
      scales[g0 + g] = scale;
      uint8_t* o = out + (g0 + g) * kMxBlockSize;
      if (scale == 0xFF) {
        memset(o, 0, kMxBlockSize);
        continue;
      }
      // x / 2^(scale - 127) = x * 2^(127 - scale), exactly.
      const auto factor = hn::Set(df, internal::E8M0Value(static_cast<uint8_t>(254 - scale)));
      const T* p = xg + g * kMxBlockSize;
      for (size_t j = 0; j < kMxBlockSize; j += N) {
        const auto v = hn::Mul(LoadF32(df, p + j), factor);
        StoreCodes(df, MxElements<kSpecials, kInt8>(df, c, v), o + j);
      }
    }
  }
}

// all_scales: also the scales of blocks that begin before `begin` (else
// only their own piece's writes them).
void EncodeMxRange(const void* x, detail::FloatType type, size_t rows,
                   size_t cols, MxFormat format, MxScaleRule rule,
                   size_t begin, size_t end, uint8_t* scales,
                   uint8_t* codes, bool all_scales) {
  const MiniFloat f = internal::Describe(internal::MxElementFormat(format));
  const auto run = [&](auto tag, auto specials, auto int8) {
    using T = typename decltype(tag)::type;
    constexpr Specials kS = decltype(specials)::value;
    constexpr bool kInt8 = decltype(int8)::value;
    const T* xt = static_cast<const T*>(x);
    if (cols % kMxBlockSize == 0 && begin % kMxBlockSize == 0 &&
        end % kMxBlockSize == 0) {
      return EncodeMxBatches<kS, kInt8>(xt + begin, (end - begin) / kMxBlockSize,
                                        format, rule, f,
                                        scales + begin / kMxBlockSize, codes);
    }
    ForEachBlock(rows, cols, kMxBlockSize, begin, end,
                 [&](size_t first, size_t size, size_t k, size_t start,
                     size_t count) {
      const uint32_t amax = AbsMaxBits(xt + first, size);
      uint8_t* out = codes + (start - begin);
      uint8_t scale;
      if (amax >= 0x7F800000u) {  // NaN or Inf
        scale = 0xFF;
        memset(out, 0, count);
      } else {
        scale = internal::MxScaleCode(amax, format, rule);
        EncodeScaledByPow2<kS, kInt8>(xt + start, count, scale - 127, f, out);
      }
      if (start == first || all_scales) scales[k] = scale;
    });
  };
  VisitFloatType(type, [&](auto tag) {
    if (format == MxFormat::kMXINT8) {
      return run(tag, std::integral_constant<Specials, Specials::kNone>(),
                 std::true_type());
    }
    VisitEncoding(f, true, [&](auto specials, auto) {
      run(tag, specials, std::false_type());
    });
  });
}

void DecodeMxRange(const uint8_t* scales, const uint8_t* codes, size_t rows,
                   size_t cols, MxFormat format, size_t begin, size_t end,
                   void* y, detail::FloatType type) {
  const MiniFloat f = internal::Describe(internal::MxElementFormat(format));
  using DF = hn::ScalableTag<float>;
  const DF df;
  const DecodeVectors<DF> c(df, f);
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yt = static_cast<T*>(y);
    if (format == MxFormat::kMXINT8) {
      return ForEachBlock(rows, cols, kMxBlockSize, begin, end,
                          [&](size_t, size_t, size_t k, size_t start, size_t count) {
        // q * 2^-6 * X in one rounding: q * 2^(scale - 133), a float for
        // every scale code (NaN for 255).
        const float factor = scales[k] == 255 ? internal::E8M0Value(255)
                                              : internal::Pow2(scales[k] - 133);
        const uint8_t* in = codes + (start - begin);
        const auto one = [&](auto d, size_t i) {
          const hn::RebindToSigned<decltype(d)> di;
          const hn::Rebind<int8_t, decltype(d)> d8;
          const auto q = hn::PromoteTo(
              di, hn::LoadU(d8, reinterpret_cast<const int8_t*>(in) + i));
          StoreF32(d, hn::Mul(hn::ConvertTo(d, q), hn::Set(d, factor)),
                   yt + (start - begin) + i);
        };
        const size_t N = hn::Lanes(df);
        size_t i = 0;
        for (; i + N <= count; i += N) one(df, i);
        const hn::CappedTag<float, 1> d1;
        for (; i < count; ++i) one(d1, i);
      });
    }
    VisitSpecials(f, [&](auto specials) {
      constexpr Specials kS = decltype(specials)::value;
      ForEachBlock(rows, cols, kMxBlockSize, begin, end,
                   [&](size_t, size_t, size_t k, size_t start, size_t count) {
        DecodeBlock<kS>(df, c, codes + (start - begin), count,
                        internal::E8M0Value(scales[k]), yt + (start - begin));
      });
    });
  });
}

// ---------------------------------------------------------------------------
// NVFP4

// The E4M3FN code of a non-negative float (saturating), scalar through the
// vector path so that it is the same rounding.
inline uint8_t E4M3Code(float v) {
  const hn::CappedTag<float, 1> d1;
  const hn::RebindToSigned<decltype(d1)> di1;
  const EncodeVectors<hn::RebindToSigned<decltype(d1)>> c(
      di1, internal::Describe(FloatFormat::kE4M3FN), true);
  return static_cast<uint8_t>(
      hn::GetLane(EncodeVec<Specials::kFn, true>(d1, c, hn::Set(d1, v))));
}

// d_b of a block scale code: its E4M3FN value (a table of the 256) times t.
inline float NvFp4BlockFactor(uint8_t code, float tensor_scale) {
  static const std::array<float, 256> kValues = [] {
    std::array<float, 256> v;
    for (int c = 0; c < 256; ++c) {
      v[c] = DecodeFloatCode(FloatFormat::kE4M3FN, static_cast<uint8_t>(c));
    }
    return v;
  }();
  return kValues[code] * tensor_scale;
}

[[noreturn]] inline void FailNvFp4(size_t first) {
  internal::Fail("EncodeNvFp4", "the block of x[" + std::to_string(first) +
                                    "] holds NaN or Inf, which NVFP4 cannot "
                                    "mark");
}

// NVFP4 blocks of 16 back to back from element `first` of x: the block
// scales of a vector's worth of blocks in lanes (amax by BlockAbsMax, then
// E4M3FN(amax / 6 / t) and d = value * t), then each block's elements.
template <typename T>
void EncodeNvFp4Batches(const T* HWY_RESTRICT x, size_t first, size_t blocks,
                        float t, uint8_t* HWY_RESTRICT scales,
                        uint8_t* HWY_RESTRICT out) {
  using DF = hn::ScalableTag<float>;
  using DI = hn::RebindToSigned<DF>;
  const DF df;
  const DI di;
  const size_t N = hn::Lanes(df);
  const EncodeVectors<DI> e4m3(di, internal::Describe(FloatFormat::kE4M3FN), true);
  const EncodeVectors<DI> e2m1(di, internal::Describe(FloatFormat::kE2M1), true);
  const DecodeVectors<DF> e4m3_values(df, internal::Describe(FloatFormat::kE4M3FN));
  HWY_ALIGN int32_t s_lanes[hn::MaxLanes(DF())];
  HWY_ALIGN float d_lanes[hn::MaxLanes(DF())];
  x += first;
  for (size_t g0 = 0; g0 < blocks; g0 += N) {
    const size_t count = HWY_MIN(N, blocks - g0);
    const T* xg = x + g0 * kNvFp4BlockSize;
    hn::Mask<DF> not_finite;
    const auto amax = BlockAbsMax(df, xg, kNvFp4BlockSize, count, &not_finite);
    if (HWY_UNLIKELY(!hn::AllFalse(df, not_finite))) {
      for (size_t g = 0; g < count; ++g) {  // the first NaN / Inf
        if (AbsMaxBits(xg + g * kNvFp4BlockSize, kNvFp4BlockSize) >= 0x7F800000u) {
          FailNvFp4(first + (g0 + g) * kNvFp4BlockSize);
        }
      }
    }
    const auto s = EncodeVec<Specials::kFn, true>(df, e4m3, hn::Div(hn::Div(amax, hn::Set(df, 6.0f)),
                                               hn::Set(df, t)));
    hn::Store(s, di, s_lanes);
    hn::Store(hn::Mul(DecodeVec<Specials::kFn>(df, e4m3_values, s, e4m3_values.rebias),
                      hn::Set(df, t)),
              df, d_lanes);
    for (size_t g = 0; g < count; ++g) {
      scales[g0 + g] = static_cast<uint8_t>(s_lanes[g]);
      uint8_t* o = out + (g0 + g) * kNvFp4BlockSize;
      const float d = d_lanes[g];
      if (d == 0.0f) {
        memset(o, 0, kNvFp4BlockSize);
        continue;
      }
      const auto vd = hn::Set(df, d);
      const T* p = xg + g * kNvFp4BlockSize;
      for (size_t j = 0; j < kNvFp4BlockSize; j += N) {
        StoreCodes(df, EncodeVec<Specials::kNone, true>(df, e2m1, hn::Div(LoadF32(df, p + j), vd)),
                   o + j);
      }
    }
  }
}

void EncodeNvFp4Range(const void* x, detail::FloatType type, size_t rows,
                      size_t cols, float tensor_scale, size_t begin,
                      size_t end, uint8_t* block_scales, uint8_t* codes,
                      bool all_scales) {
  const MiniFloat f = internal::Describe(FloatFormat::kE2M1);
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xt = static_cast<const T*>(x);
    if (cols % kNvFp4BlockSize == 0 && begin % kNvFp4BlockSize == 0 &&
        end % kNvFp4BlockSize == 0) {
      return EncodeNvFp4Batches(xt, begin, (end - begin) / kNvFp4BlockSize,
                                tensor_scale,
                                block_scales + begin / kNvFp4BlockSize, codes);
    }
    ForEachBlock(rows, cols, kNvFp4BlockSize, begin, end,
                 [&](size_t first, size_t size, size_t k, size_t start,
                     size_t count) {
      const uint32_t amax_bits = AbsMaxBits(xt + first, size);
      if (amax_bits >= 0x7F800000u) FailNvFp4(first);
      float amax;
      memcpy(&amax, &amax_bits, 4);
      const uint8_t s = E4M3Code(amax / 6.0f / tensor_scale);
      if (start == first || all_scales) block_scales[k] = s;
      const float d = NvFp4BlockFactor(s, tensor_scale);
      uint8_t* out = codes + (start - begin);
      if (d == 0.0f) {
        memset(out, 0, count);
        return;
      }
      EncodeRun<Specials::kNone, true, true, false>(xt + start, count, &d, f, out);
    });
  });
}

void DecodeNvFp4Range(const uint8_t* block_scales, const uint8_t* codes,
                      size_t rows, size_t cols, float tensor_scale,
                      size_t begin, size_t end, void* y,
                      detail::FloatType type) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const DecodeVectors<DF> c(df, internal::Describe(FloatFormat::kE2M1));
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yt = static_cast<T*>(y);
    ForEachBlock(rows, cols, kNvFp4BlockSize, begin, end,
                 [&](size_t, size_t, size_t k, size_t start, size_t count) {
      DecodeBlock<Specials::kNone>(df, c, codes + (start - begin), count,
                                   NvFp4BlockFactor(block_scales[k], tensor_scale),
                                   yt + (start - begin));
    });
  });
}

// ---------------------------------------------------------------------------
// ggml's block_mxfp4 (gguf.h): e (E8M0), qs[16]; element j in the low
// nibble of qs[j], element j + 16 in the high nibble. Codes index ggml's
// table of twice the E2M1 values, the block's d being half of 2^(e - 127).

// ggml's e: floorf(log2f(amax)) - 2 + 127 converted to uint8_t, which x86
// compilers do through a 32-bit integer (cvttss2si) keeping its low byte.
inline uint8_t GgmlMxfp4Exponent(float amax) {
  if (!(amax > 0.0f)) return 0;
  return static_cast<uint8_t>(
      static_cast<int32_t>(floorf(log2f(amax)) - 2.0f + 127.0f));
}

// ggml's d = 2^(e - 128) for every e: 255 is 2^127, not NaN.
inline float GgmlHalfScale(uint8_t e) { return internal::Pow2(static_cast<int>(e) - 128); }

void EncodeGgmlMxfp4(const void* x, detail::FloatType type, size_t blocks,
                     uint8_t* out, const char* function) {
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xt = static_cast<const T*>(x);
    const hn::CappedTag<float, 16> df;
    const hn::RebindToSigned<decltype(df)> di;
    const size_t N = hn::Lanes(df);
    // The blocks' amax a vector's worth at a time, as the MX batches.
    using DB = hn::ScalableTag<float>;
    const DB db;
    HWY_ALIGN float amax_lanes[hn::MaxLanes(DB())];
    for (size_t b = 0; b < blocks; ++b) {
      const size_t lane = b % hn::Lanes(db);
      if (lane == 0) {
        const size_t count = HWY_MIN(hn::Lanes(db), blocks - b);
        hn::Mask<DB> not_finite;
        hn::Store(BlockAbsMax(db, xt + b * 32, 32, count, &not_finite), db, amax_lanes);
        if (HWY_UNLIKELY(!hn::AllFalse(db, not_finite))) {
          internal::CheckFiniteBlocks(xt + b * 32, count * 32, b * 32, function);
        }
      }
      const T* xb = xt + b * 32;
      const uint8_t e = GgmlMxfp4Exponent(amax_lanes[lane]);
      // d = 2^(e - 128); the midpoints between table values, times d, are
      // exact. Nearest value, ties to the smaller magnitude (ggml keeps the
      // first of equal errors, and its table rises in magnitude); a value
      // that overflows to Inf (e near 255) is never the nearest.
      const float d = GgmlHalfScale(e);
      static constexpr float kValues[8] = {0, 1, 2, 3, 4, 6, 8, 12};
      float above[7];  // |x| above above[j]: index > j
      for (int j = 0; j < 7; ++j) {
        above[j] = kValues[j + 1] * d <= 3.40282347e38f
                       ? (kValues[j] + kValues[j + 1]) * 0.5f * d
                       : HUGE_VALF;
      }
      // Element j's code in the low nibble of byte j, element j + 16's in
      // the high nibble.
      const auto index_of = [&](const T* p) {
        const auto v = LoadF32(df, p);
        const auto mag = hn::Abs(v);
        auto index = hn::Zero(di);
        for (float threshold : above) {
          index = hn::Sub(index, hn::VecFromMask(
              di, hn::RebindMask(di, hn::Gt(mag, hn::Set(df, threshold)))));
        }
        const auto negative = hn::RebindMask(
            di, hn::Lt(hn::BitCast(di, v), hn::Zero(di)));
        return hn::IfThenElse(hn::And(negative, hn::Gt(index, hn::Zero(di))),
                              hn::Add(index, hn::Set(di, 8)), index);
      };
      uint8_t* block = out + b * 17;
      block[0] = e;
      for (size_t i = 0; i < 16; i += N) {
        StoreCodes(df, hn::Or(index_of(xb + i), hn::ShiftLeft<4>(index_of(xb + 16 + i))),
                   block + 1 + i);
      }
    }
  });
}

void DecodeGgmlMxfp4(const uint8_t* in, size_t blocks, void* y,
                     detail::FloatType type) {
  VisitFloatType(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* yt = static_cast<T*>(y);
    using DF = hn::CappedTag<float, 16>;
    const DF df;
    const hn::RebindToSigned<DF> di;
    const hn::Rebind<int8_t, DF> d8;
    const size_t N = hn::Lanes(df);
    // ggml's table (twice the E2M1 values), looked up 16 bytes at a time
    // (one lane at a time on the scalar target).
    HWY_ALIGN static constexpr int8_t kTable[16] = {0, 1, 2, 3, 4, 6, 8, 12,
                                                    0, -1, -2, -3, -4, -6, -8, -12};
#if HWY_TARGET != HWY_SCALAR
    const hn::Full128<int8_t> d16;
    const auto table = hn::Load(d16, kTable);
#endif
    HWY_ALIGN int8_t values[32];
    for (size_t b = 0; b < blocks; ++b) {
      const uint8_t* block = in + b * 17;
#if HWY_TARGET != HWY_SCALAR
      const auto qs = hn::LoadU(d16, reinterpret_cast<const int8_t*>(block + 1));
      const auto low = hn::And(qs, hn::Set(d16, 0x0F));
      const auto high = hn::And(hn::BitCast(d16, hn::ShiftRight<4>(
                                                     hn::BitCast(hn::Full128<uint16_t>(), qs))),
                                hn::Set(d16, 0x0F));
      hn::Store(hn::TableLookupBytes(table, low), d16, values);
      hn::Store(hn::TableLookupBytes(table, high), d16, values + 16);
#else
      for (size_t j = 0; j < 16; ++j) {
        values[j] = kTable[block[1 + j] & 0x0F];
        values[j + 16] = kTable[block[1 + j] >> 4];
      }
#endif
      const auto d = hn::Set(df, GgmlHalfScale(block[0]));
      for (size_t i = 0; i < 32; i += N) {
        const auto q = hn::PromoteTo(di, hn::Load(d8, values + i));
        StoreF32(df, hn::Mul(hn::ConvertTo(df, q), d), yt + b * 32 + i);
      }
    }
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(EncodeFloatRange);
HWY_EXPORT(DecodeFloatRange);
HWY_EXPORT(EncodeMxRange);
HWY_EXPORT(DecodeMxRange);
HWY_EXPORT(EncodeNvFp4Range);
HWY_EXPORT(DecodeNvFp4Range);
HWY_EXPORT(EncodeGgmlMxfp4);
HWY_EXPORT(DecodeGgmlMxfp4);

float FloatFormatMax(FloatFormat f) {
  return DecodeFloatCode(f, static_cast<uint8_t>(internal::Describe(f).max_code));
}

const char* FloatFormatName(FloatFormat f) {
  switch (f) {
    case FloatFormat::kE4M3FN: return "E4M3FN";
    case FloatFormat::kE5M2: return "E5M2";
    case FloatFormat::kE4M3FNUZ: return "E4M3FNUZ";
    case FloatFormat::kE5M2FNUZ: return "E5M2FNUZ";
    case FloatFormat::kE3M2: return "E3M2";
    case FloatFormat::kE2M3: return "E2M3";
    case FloatFormat::kE2M1: return "E2M1";
  }
  return "?";
}

const char* MxFormatName(MxFormat f) {
  switch (f) {
    case MxFormat::kMXFP8_E4M3: return "MXFP8_E4M3";
    case MxFormat::kMXFP8_E5M2: return "MXFP8_E5M2";
    case MxFormat::kMXFP6_E3M2: return "MXFP6_E3M2";
    case MxFormat::kMXFP6_E2M3: return "MXFP6_E2M3";
    case MxFormat::kMXFP4: return "MXFP4";
    case MxFormat::kMXINT8: return "MXINT8";
  }
  return "?";
}

float DecodeFloatCode(FloatFormat format, uint8_t code) {
  const internal::MiniFloat f = internal::Describe(format);
  code &= static_cast<uint8_t>((1u << f.bits) - 1);
  const uint32_t magnitude = code & (f.SignBit() - 1);
  const bool negative = (code & f.SignBit()) != 0;
  if (f.specials == internal::Specials::kFnuz && code == 0x80) {
    return __builtin_nanf("");
  }
  float v;
  if ((f.specials == internal::Specials::kIeee ||
       f.specials == internal::Specials::kFn) &&
      magnitude > f.max_code) {
    v = f.specials == internal::Specials::kIeee && magnitude == f.max_code + 1
            ? HUGE_VALF
            : __builtin_nanf("");
  } else {
    const uint32_t exponent = magnitude >> f.mantissa;
    const uint32_t mantissa = magnitude & ((1u << f.mantissa) - 1);
    v = exponent == 0
            ? ldexpf(static_cast<float>(mantissa), 1 - f.bias - f.mantissa)
            : ldexpf(static_cast<float>(mantissa + (1u << f.mantissa)),
                     static_cast<int>(exponent) - f.bias - f.mantissa);
  }
  return negative ? -v : v;
}

namespace {

constexpr size_t kChunk = 2048;  // elements; a multiple of 8 (whole bytes)
static_assert(kChunk % 8 == 0, "chunks start on byte boundaries");

void CheckFormat(FloatFormat f, const char* function) {
  if (static_cast<uint8_t>(f) > static_cast<uint8_t>(FloatFormat::kE2M1)) {
    internal::Fail(function, "format = " +
                                 std::to_string(static_cast<int>(f)) +
                                 " is not a FloatFormat");
  }
}

void CheckSpec(const FloatCodeSpec& spec, const char* function) {
  CheckFormat(spec.format, function);
  if (spec.overflow != Overflow::kSaturate &&
      spec.overflow != Overflow::kInfOrNaN) {
    internal::Fail(function, "overflow = " +
                                 std::to_string(static_cast<int>(spec.overflow)) +
                                 " is not an Overflow");
  }
  internal::CheckMode(spec.mode, function);
}

void CheckScales(const float* scales, const Layout& layout,
                 const char* function) {
  internal::CheckPointer(scales, 1, function, "scales");
  const size_t count = layout.NumParams();
  for (size_t k = 0; k < count; ++k) {
    if (!(scales[k] > 0.0f) || !(scales[k] <= 3.40282347e38f)) {
      internal::Fail(function, "scales[" + std::to_string(k) + "] = " +
                                   internal::Str(scales[k]) +
                                   " is not finite and > 0");
    }
  }
}

void CheckMxFormat(MxFormat f, MxScaleRule rule, const char* function) {
  if (static_cast<uint8_t>(f) > static_cast<uint8_t>(MxFormat::kMXINT8)) {
    internal::Fail(function, "format = " +
                                 std::to_string(static_cast<int>(f)) +
                                 " is not an MxFormat");
  }
  if (rule != MxScaleRule::kFloor && rule != MxScaleRule::kRoundUp) {
    internal::Fail(function, "rule = " +
                                 std::to_string(static_cast<int>(rule)) +
                                 " is not an MxScaleRule");
  }
}

void CheckTensorScale(float t, const char* function) {
  if (!(t > 0.0f) || !(t <= 3.40282347e38f)) {
    internal::Fail(function, "tensor_scale = " + internal::Str(t) +
                                 " is not finite and > 0");
  }
}

// rows * cols without overflow, and the pointers.
void CheckBlocks(size_t rows, size_t cols, const void* a, const char* a_name,
                 const void* b, const char* b_name, const void* c,
                 const char* c_name, const char* function) {
  ValidateLayout(Layout::PerRow(rows, cols));
  const size_t n = rows * cols;
  internal::CheckPointer(a, n, function, a_name);
  internal::CheckPointer(b, n, function, b_name);
  internal::CheckPointer(c, n, function, c_name);
}

// Each family below is a pair of range kernels: encode(begin, end, codes)
// writes the codes of elements [begin, end) one per byte, decode(begin,
// end, codes, y) their values from y's element begin on. The drivers run
// them over chunks of kChunk elements (a multiple of 8 and of the block
// sizes), packing through a chunk buffer, in pieces of whole chunks on an
// executor (parallel.h) or on this thread; the pieces' outputs are disjoint
// (a block cut by a piece boundary has its scale written by the piece
// holding its first element), so any split gives the same bytes.

template <class Work>
void RunChunks(Executor* executor, size_t n, size_t align, const Work& work) {
  const internal::Split split =
      internal::SplitUnits(executor, n, align, kMinPieceElements);
  internal::RunPieces(executor, split.count, [&](size_t i) {
    work(split.Begin(i), split.Begin(i) + split.Size(i));
  });
}

template <class Encode>
void EncodeAll(Executor* executor, size_t n, int bits, bool packed,
               uint8_t* out, const Encode& encode) {
  RunChunks(executor, n, kChunk, [&](size_t begin, size_t end) {
    if (!packed || bits == 8) return encode(begin, end, out + begin);
    uint8_t buffer[kChunk];
    for (size_t b = begin; b < end; b += kChunk) {
      const size_t e = HWY_MIN(end, b + kChunk);
      encode(b, e, buffer);
      Pack(buffer, e - b, bits, out + b / 8 * bits);
    }
  });
}

template <class Decode>
void DecodeAll(Executor* executor, size_t n, int bits, bool packed,
               const uint8_t* in, void* y, detail::FloatType type,
               const Decode& decode) {
  const size_t size = internal::FloatTypeSize(type);
  RunChunks(executor, n, kChunk, [&](size_t begin, size_t end) {
    if (!packed || bits == 8) {
      return decode(begin, end, in + begin, static_cast<uint8_t*>(y) + begin * size);
    }
    uint8_t buffer[kChunk];
    for (size_t b = begin; b < end; b += kChunk) {
      const size_t e = HWY_MIN(end, b + kChunk);
      Unpack(in + b / 8 * bits, e - b, bits, buffer);
      decode(b, e, buffer, static_cast<uint8_t*>(y) + b * size);
    }
  });
}

// MeasureError's sums (simdquant.h) of float32 x against its encoded then
// decoded values, in pieces of whole stripes; make_codec() gives each
// piece its own (encode, decode) pair (MX and NVFP4: with the scales of
// the blocks it touches).
template <class MakeCodec>
ErrorStats MeasureAll(Executor* executor, const float* x, size_t n,
                      const MakeCodec& make_codec) {
  std::vector<internal::StripeSums> stripes(internal::NumStripes(n));
  RunChunks(executor, n, internal::kErrorStripe, [&](size_t begin, size_t end) {
    auto codec = make_codec();
    std::vector<float> y(HWY_MIN(end - begin, internal::kErrorStripe));
    uint8_t codes[kChunk];
    for (size_t s = begin; s < end; s += internal::kErrorStripe) {
      const size_t stripe_end = HWY_MIN(end, s + internal::kErrorStripe);
      for (size_t b = s; b < stripe_end; b += kChunk) {
        const size_t e = HWY_MIN(stripe_end, b + kChunk);
        codec.first(b, e, codes);
        codec.second(b, e, codes, y.data() + (b - s));
      }
      stripes[s / internal::kErrorStripe] =
          internal::ErrorStripeSums(x + s, y.data(), stripe_end - s);
    }
  });
  return internal::FinishErrorStats(
      internal::SumStripes(stripes.data(), stripes.size()), n);
}

// MeasureAll for the block formats: each piece encodes into scales of its
// own (scale_count of them), so that a block it shares with another piece
// is decoded with the scale it wrote itself; make_codec(scales).
template <class MakeCodec>
ErrorStats MeasureWithOwnScales(Executor* executor, const float* x, size_t n,
                                size_t scale_count, const MakeCodec& make_codec) {
  std::vector<std::vector<uint8_t>> scales;
  std::mutex mutex;
  return MeasureAll(executor, x, n, [&] {
    std::lock_guard<std::mutex> lock(mutex);
    scales.emplace_back(scale_count);
    return make_codec(scales.back().data());
  });
}

// The range kernels of each family, dispatched.
auto FloatCodec(const void* x, detail::FloatType type, const Layout& layout,
                const float* scales, const FloatCodeSpec& spec,
                detail::FloatType y_type = detail::FloatType::kF32) {
  return std::make_pair(
      [=](size_t begin, size_t end, uint8_t* codes) {
        SIMDQUANT_DISPATCH(EncodeFloatRange)(x, type, layout, scales, spec,
                                             begin, end, codes);
      },
      [=](size_t begin, size_t end, const uint8_t* codes, void* y) {
        SIMDQUANT_DISPATCH(DecodeFloatRange)(codes, layout, scales,
                                             spec.format, begin, end, y, y_type);
      });
}

// private_scales: the scales are the piece's own (MeasureMxError), so
// each range writes those of every block it touches.
auto MxCodec(const void* x, detail::FloatType type, size_t rows, size_t cols,
             MxFormat format, MxScaleRule rule, uint8_t* scales,
             detail::FloatType y_type = detail::FloatType::kF32,
             bool private_scales = false) {
  return std::make_pair(
      [=](size_t begin, size_t end, uint8_t* codes) {
        SIMDQUANT_DISPATCH(EncodeMxRange)(x, type, rows, cols, format, rule,
                                          begin, end, scales, codes,
                                          private_scales);
      },
      [=](size_t begin, size_t end, const uint8_t* codes, void* y) {
        SIMDQUANT_DISPATCH(DecodeMxRange)(scales, codes, rows, cols, format,
                                          begin, end, y, y_type);
      });
}

auto NvFp4Codec(const void* x, detail::FloatType type, size_t rows,
                size_t cols, float tensor_scale, uint8_t* scales,
                detail::FloatType y_type = detail::FloatType::kF32,
                bool private_scales = false) {
  return std::make_pair(
      [=](size_t begin, size_t end, uint8_t* codes) {
        SIMDQUANT_DISPATCH(EncodeNvFp4Range)(x, type, rows, cols, tensor_scale,
                                             begin, end, scales, codes,
                                             private_scales);
      },
      [=](size_t begin, size_t end, const uint8_t* codes, void* y) {
        SIMDQUANT_DISPATCH(DecodeNvFp4Range)(scales, codes, rows, cols,
                                             tensor_scale, begin, end, y, y_type);
      });
}

}  // namespace

namespace internal {

void EncodeFloat(Executor* executor, const void* x, detail::FloatType type,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* codes) {
  const char* fn = "EncodeFloat";
  CheckSpec(spec, fn);
  CheckLayout(layout, fn);
  const size_t n = layout.NumElements();
  CheckPointer(x, n, fn, "x");
  CheckPointer(codes, n, fn, "codes");
  CheckScales(scales, layout, fn);
  if (n == 0) return;
  EncodeAll(executor, n, FloatFormatBits(spec.format), spec.packed, codes,
            FloatCodec(x, type, layout, scales, spec).first);
}

void DecodeFloat(Executor* executor, const uint8_t* codes,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, void* y, detail::FloatType type) {
  const char* fn = "DecodeFloat";
  CheckFormat(spec.format, fn);
  CheckLayout(layout, fn);
  const size_t n = layout.NumElements();
  CheckPointer(codes, n, fn, "codes");
  CheckPointer(y, n, fn, "y");
  CheckScales(scales, layout, fn);
  if (n == 0) return;
  DecodeAll(executor, n, FloatFormatBits(spec.format), spec.packed, codes, y,
            type, FloatCodec(nullptr, type, layout, scales, spec, type).second);
}

void EncodeMx(Executor* executor, const void* x, detail::FloatType type,
              size_t rows, size_t cols, MxFormat format, MxScaleRule rule,
              uint8_t* scales, uint8_t* elements) {
  const char* fn = "EncodeMx";
  CheckMxFormat(format, rule, fn);
  CheckBlocks(rows, cols, x, "x", scales, "scales", elements, "elements", fn);
  const size_t n = rows * cols;
  if (n == 0) return;
  EncodeAll(executor, n, MxElementBits(format), true, elements,
            MxCodec(x, type, rows, cols, format, rule, scales).first);
}

void DecodeMx(Executor* executor, const uint8_t* scales,
              const uint8_t* elements, size_t rows, size_t cols,
              MxFormat format, void* y, detail::FloatType type) {
  const char* fn = "DecodeMx";
  CheckMxFormat(format, MxScaleRule::kFloor, fn);
  CheckBlocks(rows, cols, scales, "scales", elements, "elements", y, "y", fn);
  const size_t n = rows * cols;
  if (n == 0) return;
  DecodeAll(executor, n, MxElementBits(format), true, elements, y, type,
            MxCodec(nullptr, type, rows, cols, format, MxScaleRule::kFloor,
                    const_cast<uint8_t*>(scales), type)
                .second);
}

void EncodeNvFp4(Executor* executor, const void* x, detail::FloatType type,
                 size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements) {
  const char* fn = "EncodeNvFp4";
  CheckTensorScale(tensor_scale, fn);
  CheckBlocks(rows, cols, x, "x", block_scales, "block_scales", elements,
              "elements", fn);
  const size_t n = rows * cols;
  if (n == 0) return;
  EncodeAll(executor, n, 4, true, elements,
            NvFp4Codec(x, type, rows, cols, tensor_scale, block_scales).first);
}

void DecodeNvFp4(Executor* executor, const uint8_t* block_scales,
                 const uint8_t* elements, size_t rows, size_t cols,
                 float tensor_scale, void* y, detail::FloatType type) {
  const char* fn = "DecodeNvFp4";
  CheckTensorScale(tensor_scale, fn);
  CheckBlocks(rows, cols, block_scales, "block_scales", elements, "elements",
              y, "y", fn);
  const size_t n = rows * cols;
  if (n == 0) return;
  DecodeAll(executor, n, 4, true, elements, y, type,
            NvFp4Codec(nullptr, type, rows, cols, tensor_scale,
                       const_cast<uint8_t*>(block_scales), type)
                .second);
}

ErrorStats MeasureFloatError(Executor* executor, const float* x,
                             const Layout& layout, const float* scales,
                             const FloatCodeSpec& spec) {
  const char* fn = "MeasureFloatError";
  CheckSpec(spec, fn);
  CheckLayout(layout, fn);
  const size_t n = layout.NumElements();
  CheckNonEmpty(n, fn);
  CheckPointer(x, n, fn, "x");
  CheckScales(scales, layout, fn);
  return MeasureAll(executor, x, n, [&] {
    return FloatCodec(x, detail::FloatType::kF32, layout, scales, spec);
  });
}

ErrorStats MeasureMxError(Executor* executor, const float* x, size_t rows,
                          size_t cols, MxFormat format, MxScaleRule rule) {
  const char* fn = "MeasureMxError";
  CheckMxFormat(format, rule, fn);
  CheckBlocks(rows, cols, x, "x", x, "x", x, "x", fn);
  const size_t n = rows * cols;
  CheckNonEmpty(n, fn);
  return MeasureWithOwnScales(executor, x, n, MxScaleCount(rows, cols),
                              [&](uint8_t* scales) {
    return MxCodec(x, detail::FloatType::kF32, rows, cols, format, rule,
                   scales, detail::FloatType::kF32, true);
  });
}

ErrorStats MeasureNvFp4Error(Executor* executor, const float* x, size_t rows,
                             size_t cols, float tensor_scale) {
  const char* fn = "MeasureNvFp4Error";
  CheckTensorScale(tensor_scale, fn);
  CheckBlocks(rows, cols, x, "x", x, "x", x, "x", fn);
  const size_t n = rows * cols;
  CheckNonEmpty(n, fn);
  return MeasureWithOwnScales(executor, x, n, NvFp4ScaleCount(rows, cols),
                              [&](uint8_t* scales) {
    return NvFp4Codec(x, detail::FloatType::kF32, rows, cols, tensor_scale,
                      scales, detail::FloatType::kF32, true);
  });
}

}  // namespace internal

namespace detail {
void EncodeFloat(const void* x, FloatType type, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec,
                 uint8_t* codes) {
  internal::EncodeFloat(nullptr, x, type, layout, scales, spec, codes);
}
void DecodeFloat(const uint8_t* codes, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec, void* y,
                 FloatType type) {
  internal::DecodeFloat(nullptr, codes, layout, scales, spec, y, type);
}
void EncodeMx(const void* x, FloatType type, size_t rows, size_t cols,
              MxFormat format, MxScaleRule rule, uint8_t* scales,
              uint8_t* elements) {
  internal::EncodeMx(nullptr, x, type, rows, cols, format, rule, scales,
                     elements);
}
void DecodeMx(const uint8_t* scales, const uint8_t* elements, size_t rows,
              size_t cols, MxFormat format, void* y, FloatType type) {
  internal::DecodeMx(nullptr, scales, elements, rows, cols, format, y, type);
}
void EncodeNvFp4(const void* x, FloatType type, size_t rows, size_t cols,
                 float tensor_scale, uint8_t* block_scales,
                 uint8_t* elements) {
  internal::EncodeNvFp4(nullptr, x, type, rows, cols, tensor_scale,
                        block_scales, elements);
}
void DecodeNvFp4(const uint8_t* block_scales, const uint8_t* elements,
                 size_t rows, size_t cols, float tensor_scale, void* y,
                 FloatType type) {
  internal::DecodeNvFp4(nullptr, block_scales, elements, rows, cols,
                        tensor_scale, y, type);
}
}  // namespace detail

ErrorStats MeasureFloatError(const float* x, const Layout& layout,
                             const float* scales, const FloatCodeSpec& spec) {
  return internal::MeasureFloatError(nullptr, x, layout, scales, spec);
}
ErrorStats MeasureMxError(const float* x, size_t rows, size_t cols,
                          MxFormat format, MxScaleRule rule) {
  return internal::MeasureMxError(nullptr, x, rows, cols, format, rule);
}
ErrorStats MeasureNvFp4Error(const float* x, size_t rows, size_t cols,
                             float tensor_scale) {
  return internal::MeasureNvFp4Error(nullptr, x, rows, cols, tensor_scale);
}

// parallel.h
namespace detail {
void EncodeFloat(Executor& executor, const void* x, FloatType type,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* codes) {
  internal::EncodeFloat(&executor, x, type, layout, scales, spec, codes);
}
void DecodeFloat(Executor& executor, const uint8_t* codes,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, void* y, FloatType type) {
  internal::DecodeFloat(&executor, codes, layout, scales, spec, y, type);
}
void EncodeMx(Executor& executor, const void* x, FloatType type, size_t rows,
              size_t cols, MxFormat format, MxScaleRule rule, uint8_t* scales,
              uint8_t* elements) {
  internal::EncodeMx(&executor, x, type, rows, cols, format, rule, scales,
                     elements);
}
void DecodeMx(Executor& executor, const uint8_t* scales,
              const uint8_t* elements, size_t rows, size_t cols,
              MxFormat format, void* y, FloatType type) {
  internal::DecodeMx(&executor, scales, elements, rows, cols, format, y, type);
}
void EncodeNvFp4(Executor& executor, const void* x, FloatType type,
                 size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements) {
  internal::EncodeNvFp4(&executor, x, type, rows, cols, tensor_scale,
                        block_scales, elements);
}
void DecodeNvFp4(Executor& executor, const uint8_t* block_scales,
                 const uint8_t* elements, size_t rows, size_t cols,
                 float tensor_scale, void* y, FloatType type) {
  internal::DecodeNvFp4(&executor, block_scales, elements, rows, cols,
                        tensor_scale, y, type);
}
}  // namespace detail

ErrorStats MeasureFloatError(Executor& executor, const float* x,
                             const Layout& layout, const float* scales,
                             const FloatCodeSpec& spec) {
  return internal::MeasureFloatError(&executor, x, layout, scales, spec);
}
ErrorStats MeasureMxError(Executor& executor, const float* x, size_t rows,
                          size_t cols, MxFormat format, MxScaleRule rule) {
  return internal::MeasureMxError(&executor, x, rows, cols, format, rule);
}
ErrorStats MeasureNvFp4Error(Executor& executor, const float* x, size_t rows,
                             size_t cols, float tensor_scale) {
  return internal::MeasureNvFp4Error(&executor, x, rows, cols, tensor_scale);
}

float NvFp4TensorScale(float amax) {
  if (!(amax >= 0.0f) || !(amax <= 3.40282347e38f)) {
    internal::Fail("NvFp4TensorScale",
                   "amax = " + internal::Str(amax) + " is not finite and >= 0");
  }
  const float t = amax / (6.0f * 448.0f);
  return t > 0.0f ? t : 1.0f;
}

namespace internal {
void EncodeGgmlMxfp4(const void* x, detail::FloatType type, size_t n,
                     uint8_t* blocks, const char* function) {
  SIMDQUANT_DISPATCH(EncodeGgmlMxfp4)(x, type, n / 32, blocks, function);
}
void DecodeGgmlMxfp4(const uint8_t* blocks, size_t n, void* y,
                     detail::FloatType type) {
  SIMDQUANT_DISPATCH(DecodeGgmlMxfp4)(blocks, n / 32, y, type);
}
}  // namespace internal

}  // namespace simdquant
#endif  // HWY_ONCE
