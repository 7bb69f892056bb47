// Range reductions: MinMax and AbsMax of float32 arrays.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/minmax.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <limits>

#include "hwy/highway.h"
#include "lib/internal.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Min and max of x[0, n) (of |x| if kAbs), NaN in both if any x is NaN.
// Requires n >= 1. Min/Max of a NaN operand differ between targets, so NaN is
// tracked in a separate mask and the min/max lanes are ignored when it is set.
template <bool kAbs>
MinMaxResult Range(const float* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto load = [&](const float* p) {
    const auto v = hn::LoadU(df, p);
    return kAbs ? hn::Abs(v) : v;
  };

  // Short arrays: pad one vector with copies of x[0], neutral for min/max.
  HWY_ALIGN float padded[hn::MaxLanes(df)];
  if (n < N) {
    for (size_t j = 0; j < N; ++j) padded[j] = x[j < n ? j : 0];
    x = padded;
    n = N;
  }

  // Four independent accumulators: min/max latency would otherwise bound
  // the loop (the compiler does not reassociate them by itself).
  auto min0 = load(x), min1 = min0, min2 = min0, min3 = min0;
  auto max0 = min0, max1 = min0, max2 = min0, max3 = min0;
  auto nan = hn::IsNaN(min0);
  size_t i = N;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto v0 = load(x + i);
    const auto v1 = load(x + i + N);
    const auto v2 = load(x + i + 2 * N);
    const auto v3 = load(x + i + 3 * N);
    min0 = hn::Min(min0, v0);
    min1 = hn::Min(min1, v1);
    min2 = hn::Min(min2, v2);
    min3 = hn::Min(min3, v3);
    max0 = hn::Max(max0, v0);
    max1 = hn::Max(max1, v1);
    max2 = hn::Max(max2, v2);
    max3 = hn::Max(max3, v3);
    nan = hn::Or(nan, hn::Or(hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)),
                             hn::Or(hn::IsNaN(v2), hn::IsNaN(v3))));
  }
  for (; i + N <= n; i += N) {
    const auto v = load(x + i);
    min0 = hn::Min(min0, v);
    max0 = hn::Max(max0, v);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  if (i != n) {  // Last partial vector: overlap the previous one, no harm.
    const auto v = load(x + n - N);
    min0 = hn::Min(min0, v);
    max0 = hn::Max(max0, v);
    nan = hn::Or(nan, hn::IsNaN(v));
  }
  if (!hn::AllFalse(df, nan)) {
    const float qnan = std::numeric_limits<float>::quiet_NaN();
    return {qnan, qnan};
  }
  const auto vmin = hn::Min(hn::Min(min0, min1), hn::Min(min2, min3));
  const auto vmax = hn::Max(hn::Max(max0, max1), hn::Max(max2, max3));
  return {hn::GetLane(hn::MinOfLanes(df, vmin)),
          hn::GetLane(hn::MaxOfLanes(df, vmax))};
}

MinMaxResult MinMaxImpl(const float* x, size_t n) { return Range<false>(x, n); }
MinMaxResult AbsRangeImpl(const float* x, size_t n) {
  return Range<true>(x, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(MinMaxImpl);
HWY_EXPORT(AbsRangeImpl);

MinMaxResult MinMax(const float* x, size_t n) {
  internal::InitDispatch();
  internal::CheckNonEmpty(n, "MinMax");
  internal::CheckPointer(x, n, "MinMax", "x");
  return HWY_DYNAMIC_DISPATCH(MinMaxImpl)(x, n);
}

float AbsMax(const float* x, size_t n) {
  internal::InitDispatch();
  internal::CheckNonEmpty(n, "AbsMax");
  internal::CheckPointer(x, n, "AbsMax", "x");
  return HWY_DYNAMIC_DISPATCH(AbsRangeImpl)(x, n).max;
}

}  // namespace simdquant
#endif  // HWY_ONCE
