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
// from them, one compare per two vectors.
template <bool kAbs, typename TIn>
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
      nan = hn::Or(nan, hn::Or(EitherNaN(df, v0, v1), EitherNaN(df, v2, v3)));
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
  // Horizontal min/max in scalar code: Highway 1.0.3's EMU128 MinOfLanes
  // starts from FLT_MAX rather than +inf, so it misreports all-inf inputs.
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
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
