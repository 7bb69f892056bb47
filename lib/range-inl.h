// The range kernel (min and max, or max of |x|, with NaN detection) of flat
// arrays and of every run of a layout. Included once per target (toggle
// guard).
#if defined(SIMDQUANT_LIB_RANGE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_RANGE_INL_H_
#undef SIMDQUANT_LIB_RANGE_INL_H_
#else
#define SIMDQUANT_LIB_RANGE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <limits>

#include "hwy/highway.h"
#include "lib/convert-inl.h"
#include "lib/fp_env.h"
#include "simdquant/simdquant.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// GCC folds a vector's load into every instruction that uses it (here min,
// max and the NaN probe), reading each vector from memory three times; at
// L1/L2 sizes that triples load traffic and halves MinMax's speed. An empty
// asm that claims to modify the register makes it load once.
template <class V>
HWY_INLINE void KeepInRegister(V& v) {
#if HWY_ARCH_X86 && (HWY_COMPILER_GCC || HWY_COMPILER_CLANG) && \
    HWY_TARGET != HWY_EMU128
  asm("" : "+v"(v.raw));
#else
  (void)v;
#endif
}

// Lanes where a or b is NaN. x86 compares two vectors for "unordered" in one
// instruction, which Highway 1.0.3 does not expose; elsewhere two IsNaN.
template <class D>
HWY_INLINE hn::Mask<D> EitherNaN(D d, hn::Vec<D> a, hn::Vec<D> b) {
  (void)d;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  if constexpr (hn::MaxLanes(D()) == 16) {
    return hn::Mask512<float>{_mm512_cmp_ps_mask(a.raw, b.raw, _CMP_UNORD_Q)};
  }
#elif HWY_TARGET == HWY_AVX2
  if constexpr (hn::MaxLanes(D()) == 8) {
    return hn::Mask256<float>{_mm256_cmp_ps(a.raw, b.raw, _CMP_UNORD_Q)};
  }
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
  if constexpr (hn::MaxLanes(D()) == 4) {
    return hn::Mask128<float>{_mm_cmpunord_ps(a.raw, b.raw)};
  }
#endif
  return hn::Or(hn::IsNaN(a), hn::IsNaN(b));
}

// Min and max of x[0, n) (float, bfloat16 or float16; only the max of |x| if
// kAbs), NaN in both if any x is NaN. Requires n >= 1. The one range kernel:
// flat MinMax and AbsMax, and every run of a layout (per tensor, row, group).
//
// Min/Max of a NaN operand differ between targets, so NaN is detected apart
// from them, one compare per two vectors; kUnchecked leaves that compare out
// of the main loop (RangeByFlag detects NaN by other means).
template <bool kAbs, bool kUnchecked = false, typename TIn>
MinMaxResult Range(const TIn* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto load = [&](const TIn* p) {
    auto v = LoadF32(df, p);
    if (kAbs) v = hn::Abs(v);
    KeepInRegister(v);
    return v;
  };

  // Short arrays (groups of 1 or 2, rows of one column) a lane at a time,
  // with the comparisons of the final horizontal step below. One-lane loads
  // copy the bytes: x may be misaligned for its type.
  if (n < N) {
    const hn::CappedTag<float, 1> d1;
    const auto lane = [&](size_t j) {
      const auto v = LoadF32(d1, x + j);
      return hn::GetLane(kAbs ? hn::Abs(v) : v);
    };
    MinMaxResult r = {lane(0), lane(0)};
    bool nan = std::isnan(r.min);
    for (size_t j = 1; j < n; ++j) {
      const float v = lane(j);
      nan |= std::isnan(v);
      r.min = v < r.min ? v : r.min;
      r.max = v > r.max ? v : r.max;
    }
    if (nan) {
      const float qnan = std::numeric_limits<float>::quiet_NaN();
      return {qnan, qnan};
    }
    return r;
  }

  // Four independent accumulators each: min/max latency would otherwise bound
  // the loop.
  auto max0 = load(x), max1 = max0, max2 = max0, max3 = max0;
  auto min0 = max0, min1 = max0, min2 = max0, min3 = max0;
  auto nan = hn::IsNaN(max0);
  // The first vector covered [0, N); continue from the next vector-aligned
  // address (re-reading a few elements is harmless for min/max). Loads that
  // straddle cache lines halve the AVX-512 loop's speed from DRAM.
  size_t i = N - (reinterpret_cast<uintptr_t>(x) / sizeof(TIn)) % N;
  if (reinterpret_cast<uintptr_t>(x) % sizeof(TIn) != 0) i = N;
  const auto update = [&](decltype(max0) v, decltype(max0)& min,
                          decltype(max0)& max) {
    if (!kAbs) min = hn::Min(min, v);
    max = hn::Max(max, v);
  };
  if (n >= i + 4 * N) {
    for (; i <= n - 4 * N; i += 4 * N) {
      const auto v0 = load(x + i);
      const auto v1 = load(x + i + N);
      const auto v2 = load(x + i + 2 * N);
      const auto v3 = load(x + i + 3 * N);
      update(v0, min0, max0);
      update(v1, min1, max1);
      update(v2, min2, max2);
      update(v3, min3, max3);
      if (!kUnchecked) {
        nan = hn::Or(nan,
                     hn::Or(EitherNaN(df, v0, v1), EitherNaN(df, v2, v3)));
      }
    }
  }
  for (; i + N <= n; i += N) {
    const auto v = load(x + i);
    update(v, min0, max0);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  if (i != n) {  // Last partial vector: overlap the previous one, no harm.
    const auto v = load(x + n - N);
    update(v, min0, max0);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  if (!hn::AllFalse(df, nan)) {
    const float qnan = std::numeric_limits<float>::quiet_NaN();
    return {qnan, qnan};
  }
  const auto vmin = hn::Min(hn::Min(min0, min1), hn::Min(min2, min3));
  const auto vmax = hn::Max(hn::Max(max0, max1), hn::Max(max2, max3));
#if HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR
  // In log2(N) shuffle + min steps; a scalar loop is a chain of N dependent
  // compares, a tenth of a 4K call. (Signed zeros compare equal: which one
  // is returned is not specified.)
  return {hn::GetLane(hn::MinOfLanes(df, vmin)),
          hn::GetLane(hn::MaxOfLanes(df, vmax))};
#else
  // Scalar: Highway 1.0.3's EMU128 MinOfLanes starts from FLT_MAX rather
  // than +inf, so it misreports all-inf inputs.
  HWY_ALIGN float lanes_min[hn::MaxLanes(df)];
  HWY_ALIGN float lanes_max[hn::MaxLanes(df)];
  hn::Store(vmin, df, lanes_min);
  hn::Store(vmax, df, lanes_max);
  MinMaxResult r = {lanes_min[0], lanes_max[0]};
  for (size_t j = 1; j < N; ++j) {
    r.min = lanes_min[j] < r.min ? lanes_min[j] : r.min;
    r.max = lanes_max[j] > r.max ? lanes_max[j] : r.max;
  }
  return r;
#endif
}

// x86 reports a NaN operand of minps/maxps in MXCSR's invalid flag, which
// makes the NaN compares of the main loop unnecessary: the unchecked loop
// runs at Eigen's two operations per vector (MinMax 4K +9%, AbsMax 4K +70%
// on Zen 4), and one flag test per call finds any NaN.
#undef SIMDQUANT_NAN_BY_FLAG
#if HWY_TARGET == HWY_SSSE3 || HWY_TARGET == HWY_SSE4 || \
    HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 ||  \
    HWY_TARGET == HWY_AVX3_DL
#define SIMDQUANT_NAN_BY_FLAG 1
#else
#define SIMDQUANT_NAN_BY_FLAG 0
#endif

// internal::RanWithoutInvalid without DAZ (min/max of subnormals stay
// exact) where SIMDQUANT_NAN_BY_FLAG: true if run_unchecked (out of line,
// the main loops without their NaN compares) saw no NaN; else the caller
// runs the checked kernel.
template <class Unchecked>
HWY_INLINE bool RanWithoutNaN(const Unchecked& run_unchecked) {
#if SIMDQUANT_NAN_BY_FLAG
  return internal::RanWithoutInvalid(/*flush_subnormals=*/false,
                                     run_unchecked);
#else
  (void)run_unchecked;
  return false;
#endif
}

template <bool kAbs, typename TIn>
HWY_NOINLINE MinMaxResult RangeUnchecked(const TIn* HWY_RESTRICT x, size_t n) {
  return Range<kAbs, true>(x, n);
}

// Range, with NaN found by the invalid flag where that works.
template <bool kAbs, typename TIn>
MinMaxResult RangeByFlag(const TIn* HWY_RESTRICT x, size_t n) {
  MinMaxResult r;
  if (RanWithoutNaN([&] { r = RangeUnchecked<kAbs>(x, n); })) return r;
  return Range<kAbs>(x, n);
}

// ---------------------------------------------------------------------------
// Ranges of consecutive groups, a vector's worth at a time (QuantizeDynamic's
// batches, GGUF blocks).

constexpr size_t CeilLog2(size_t n) { return n <= 1 ? 0 : 1 + CeilLog2(n / 2); }

#if HWY_TARGET != HWY_SCALAR  // one lane: nothing to combine
// The even 128-bit blocks of a then b, and the odd ones (Highway 1.0.3 has
// no block shuffle of two vectors; one vshuff32x4 each on AVX-512).
template <class DF>
HWY_INLINE void EvenOddBlocks(DF df, hn::Vec<DF> a, hn::Vec<DF> b,
                              hn::Vec<DF>& even, hn::Vec<DF>& odd) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  if constexpr (hn::MaxLanes(DF()) == 16) {
    even = hn::Vec<DF>{_mm512_shuffle_f32x4(a.raw, b.raw, 0x88)};
    odd = hn::Vec<DF>{_mm512_shuffle_f32x4(a.raw, b.raw, 0xDD)};
    return;
  }
#endif
  even = hn::ConcatLowerLower(df, b, a);
  odd = hn::ConcatUpperUpper(df, b, a);
}

// One level of GroupRanges' transposition: a holds 2^(kLevel-1) groups'
// partial results in every block of four lanes (level 1: one group in every
// lane), b the next 2^(kLevel-1); returns op of their two halves, the
// partials of 2^kLevel groups in natural order. Levels 1 and 2 stay within
// 128-bit blocks (unpcklps/unpckhps, then unpcklpd/unpckhpd: one-cycle
// shuffles); the levels above combine whole blocks. Per 16 groups on
// AVX-512 this replaced 60 two-input lane permutes (ConcatEven/ConcatOdd).
template <size_t kLevel, class DF, class Op>
HWY_INLINE hn::Vec<DF> CombineGroups(DF df, hn::Vec<DF> a, hn::Vec<DF> b,
                                     const Op& op) {
  if constexpr (kLevel == 1) {
    return op(hn::InterleaveLower(df, a, b), hn::InterleaveUpper(df, a, b));
  } else if constexpr (kLevel == 2) {
    const hn::Repartition<double, DF> dd;
    const auto a64 = hn::BitCast(dd, a), b64 = hn::BitCast(dd, b);
    return op(hn::BitCast(df, hn::InterleaveLower(dd, a64, b64)),
              hn::BitCast(df, hn::InterleaveUpper(dd, a64, b64)));
  } else {
    hn::Vec<DF> even, odd;
    EvenOddBlocks(df, a, b, even, odd);
    return op(even, odd);
  }
}
#endif

// Transposes the N x N matrix whose row g is rows[g] into columns[] (column
// j: element j of every row), N = MaxLanes(DF) (full vectors): 4 x 4
// transposes within 128-bit blocks (unpcklps / unpckhps, unpcklpd /
// unpckhpd), then the blocks transposed (EvenOddBlocks). N log2 N shuffles
// where element-wise stores took N^2.
template <class DF>
HWY_INLINE void TransposeSquare(DF df, const hn::Vec<DF>* rows,
                                hn::Vec<DF>* columns) {
  constexpr size_t N = hn::MaxLanes(DF());
  if constexpr (N == 1) {
    (void)df;
    columns[0] = rows[0];
  } else {
#if HWY_TARGET != HWY_SCALAR
    static_assert(N % 4 == 0, "whole 128-bit blocks");
    const hn::Repartition<double, DF> dd;
    const auto pairs = [&](hn::Vec<DF> a, hn::Vec<DF> b, hn::Vec<DF>& lo,
                           hn::Vec<DF>& hi) {
      lo = hn::BitCast(df, hn::InterleaveLower(dd, hn::BitCast(dd, a), hn::BitCast(dd, b)));
      hi = hn::BitCast(df, hn::InterleaveUpper(dd, hn::BitCast(dd, a), hn::BitCast(dd, b)));
    };
    // t[4 q + j], block b: column 4 b + j of rows 4 q to 4 q + 3.
    hn::Vec<DF> t[N];
    for (size_t q = 0; q < N; q += 4) {
      const auto r01l = hn::InterleaveLower(df, rows[q], rows[q + 1]);
      const auto r01u = hn::InterleaveUpper(df, rows[q], rows[q + 1]);
      const auto r23l = hn::InterleaveLower(df, rows[q + 2], rows[q + 3]);
      const auto r23u = hn::InterleaveUpper(df, rows[q + 2], rows[q + 3]);
      pairs(r01l, r23l, t[q], t[q + 1]);
      pairs(r01u, r23u, t[q + 2], t[q + 3]);
    }
    if constexpr (N == 4) {
      for (size_t j = 0; j < 4; ++j) columns[j] = t[j];
    } else if constexpr (N == 8) {
      for (size_t j = 0; j < 4; ++j) EvenOddBlocks(df, t[j], t[4 + j], columns[j], columns[4 + j]);
    } else {
      static_assert(N == 16, "4, 8 or 16 lanes");
      for (size_t j = 0; j < 4; ++j) {
        hn::Vec<DF> u0, u1, u2, u3;
        EvenOddBlocks(df, t[j], t[4 + j], u0, u1);
        EvenOddBlocks(df, t[8 + j], t[12 + j], u2, u3);
        EvenOddBlocks(df, u0, u2, columns[j], columns[8 + j]);
        EvenOddBlocks(df, u1, u3, columns[4 + j], columns[12 + j]);
      }
    }
#endif
  }
}

// Ranges of the 2^kLevel groups of G elements from group `first` of the
// contiguous groups at x (groups from `count` on count as [0, 0]), reduced
// across groups by transposition: level 0 is one group's vectors combined;
// each level then halves the lanes per group (CombineGroups), so that at
// level log2(N) lane g holds group first + g: N - 1 combining steps instead
// of N horizontal reductions, and only one vector per level is live. sum:
// the sum of the groups' elements (finiteness, see caller), added as a tree
// too: one running sum was a chain of dependent adds through the batch, its
// latency a third of the batch's time.
template <size_t kLevel, class DF, typename TIn>
HWY_INLINE void GroupRanges(DF df, const TIn* HWY_RESTRICT x, size_t G,
                            size_t first, size_t count, hn::Vec<DF>& lo,
                            hn::Vec<DF>& hi, hn::Vec<DF>& sum) {
  if constexpr (kLevel == 0) {
    if (first >= count) {
      lo = hi = sum = hn::Zero(df);
      return;
    }
    const size_t N = hn::Lanes(df);
    const TIn* p = x + first * G;
    const auto v = LoadF32(df, p);
    if (G == 2 * N) {  // groups of 32 on AVX-512: no loop
      const auto v1 = LoadF32(df, p + N);
      lo = hn::Min(v, v1);
      hi = hn::Max(v, v1);
      sum = hn::Add(v, v1);
      return;
    }
    lo = hi = sum = v;
    for (size_t j = N; j < G; j += N) {
      const auto vj = LoadF32(df, p + j);
      lo = hn::Min(lo, vj);
      hi = hn::Max(hi, vj);
      sum = hn::Add(sum, vj);
    }
  } else {
#if HWY_TARGET != HWY_SCALAR  // one lane: level 0 only
    constexpr size_t kHalf = size_t{1} << (kLevel - 1);
    hn::Vec<DF> lo0, hi0, lo1, hi1, sum0, sum1;
    GroupRanges<kLevel - 1>(df, x, G, first, count, lo0, hi0, sum0);
    GroupRanges<kLevel - 1>(df, x, G, first + kHalf, count, lo1, hi1, sum1);
    lo = CombineGroups<kLevel>(df, lo0, lo1, [](auto a, auto b) {
      return hn::Min(a, b);
    });
    hi = CombineGroups<kLevel>(df, hi0, hi1, [](auto a, auto b) {
      return hn::Max(a, b);
    });
    sum = hn::Add(sum0, sum1);
#endif
  }
}

// The largest |x| of each of the 2^kLevel groups of G elements from group
// `first` (groups from `count` on give 0), lane g for group first + g,
// reduced across groups as GroupRanges does. The magnitudes are compared as
// integers: non-negative floats order as their bits, and a NaN with its sign
// cleared lies above +Inf, so a group holding NaN gives NaN (a float max on
// x86 drops NaN in its first operand) and the result lies above FLT_MAX
// exactly where a group holds NaN or an infinity: one reduction both finds
// the ranges and checks them (BlockAbsMax).
template <size_t kLevel, class DF, typename TIn>
HWY_INLINE hn::Vec<DF> GroupMaxMagnitudes(DF df, const TIn* HWY_RESTRICT x,
                                          size_t G, size_t first,
                                          size_t count) {
  const hn::RebindToSigned<DF> di;
  const auto max = [df, di](hn::Vec<DF> a, hn::Vec<DF> b) {
    return hn::BitCast(df, hn::Max(hn::BitCast(di, a), hn::BitCast(di, b)));
  };
  if constexpr (kLevel == 0) {
    if (first >= count) return hn::Zero(df);
    const size_t N = hn::Lanes(df);
    const TIn* p = x + first * G;
    const auto magnitude = [&](size_t j) {
      return hn::BitCast(df, hn::And(hn::BitCast(di, LoadF32(df, p + j)),
                                     hn::Set(di, 0x7FFFFFFF)));
    };
    auto m = magnitude(0);
    for (size_t j = N; j < G; j += N) m = max(m, magnitude(j));
    return m;
  } else {
#if HWY_TARGET != HWY_SCALAR  // one lane: level 0 only
    constexpr size_t kHalf = size_t{1} << (kLevel - 1);
    return CombineGroups<kLevel>(
        df, GroupMaxMagnitudes<kLevel - 1>(df, x, G, first, count),
        GroupMaxMagnitudes<kLevel - 1>(df, x, G, first + kHalf, count), max);
#endif
  }
}

// The largest magnitude of each of `count` blocks of G elements from x,
// lane g for block g (lanes from count on are 0; NaN where a block holds
// NaN), and in *not_finite exactly the blocks holding NaN or an infinity.
template <class DF, typename T>
HWY_INLINE hn::Vec<DF> BlockAbsMax(DF df, const T* HWY_RESTRICT x, size_t G,
                                   size_t count, hn::Mask<DF>* not_finite) {
  const hn::RebindToSigned<DF> di;
  const auto amax =
      GroupMaxMagnitudes<CeilLog2(hn::MaxLanes(DF()))>(df, x, G, 0, count);
  *not_finite = hn::RebindMask(
      df, hn::Gt(hn::BitCast(di, amax), hn::Set(di, 0x7F7FFFFF)));
  return amax;
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
