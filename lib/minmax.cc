// Range reductions: MinMax and AbsMax of float32 arrays, and MinMax over
// layouts (tensor.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/minmax.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <stdint.h>

#include <cmath>
#include <limits>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "lib/layout-inl.h"
#include "lib/range-inl.h"
#include "simdquant/tensor.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

MinMaxResult MinMaxImpl(const float* x, size_t n) {
  return RangeByFlag<false>(x, n);
}
MinMaxResult AbsRangeImpl(const float* x, size_t n) {
  return RangeByFlag<true>(x, n);
}

// ---------------------------------------------------------------------------
// Ranges over layouts (tensor.h)

// Per column: a vertical reduction, columns across lanes, rows down the loop,
// over columns [0, count) of rows that are `stride` elements apart.
template <typename TIn>
void ColumnRanges(const TIn* HWY_RESTRICT x, size_t rows, size_t stride,
                  size_t count, MinMaxResult* HWY_RESTRICT ranges) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  HWY_ALIGN float lanes_min[hn::MaxLanes(df)];
  HWY_ALIGN float lanes_max[hn::MaxLanes(df)];
  // Columns [c, c + lanes) of every row; `load(row)` gives them as floats.
  const auto reduce = [&](size_t c, size_t lanes, const auto& load) {
    auto min0 = load(0), max0 = min0, min1 = min0, max1 = min0;
    auto nan = hn::IsNaN(min0);
    size_t r = 1;
    for (; r + 2 <= rows; r += 2) {
      const auto v0 = load(r);
      const auto v1 = load(r + 1);
      min0 = hn::Min(min0, v0);
      max0 = hn::Max(max0, v0);
      min1 = hn::Min(min1, v1);
      max1 = hn::Max(max1, v1);
      nan = hn::Or(nan, hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)));
    }
    if (r < rows) {
      const auto v = load(r);
      min0 = hn::Min(min0, v);
      max0 = hn::Max(max0, v);
      nan = hn::Or(nan, hn::IsNaN(v));
    }
    const auto vnan = hn::Set(df, qnan);
    hn::Store(hn::IfThenElse(nan, vnan, hn::Min(min0, min1)), df, lanes_min);
    hn::Store(hn::IfThenElse(nan, vnan, hn::Max(max0, max1)), df, lanes_max);
    for (size_t j = 0; j < lanes; ++j) {
      ranges[c + j] = {lanes_min[j], lanes_max[j]};
    }
  };
  if (count < N && stride == count && rows >= N) {
    // Narrow and contiguous (3 columns, 1 column): the flat array as rows of
    // `period` elements, a multiple of both the columns and the lanes, so
    // that each virtual column is one real column; then folded into the real
    // ones, with the elements past the last whole virtual row.
    const size_t period = count * N;
    const size_t virtual_rows = rows / N;
    MinMaxResult folded[hn::MaxLanes(df) * hn::MaxLanes(df)];
    ColumnRanges(x, virtual_rows, period, period, folded);
    const auto fold = [&](size_t c, float lo, float hi) {
      MinMaxResult& r = ranges[c];
      if (std::isnan(r.min) || std::isnan(lo)) {
        r = {qnan, qnan};
      } else {
        r.min = lo < r.min ? lo : r.min;
        r.max = hi > r.max ? hi : r.max;
      }
    };
    for (size_t c = 0; c < count; ++c) ranges[c] = folded[c];
    for (size_t j = count; j < period; ++j) {
      fold(j % count, folded[j].min, folded[j].max);
    }
    const hn::CappedTag<float, 1> d1;
    for (size_t e = virtual_rows * period; e < rows * count; ++e) {
      const float v = hn::GetLane(LoadF32(d1, x + e));
      fold(e % count, v, v);
    }
    return;
  }
  if (count < N) {  // narrower than a vector: each row through a buffer
    HWY_ALIGN TIn row[hn::MaxLanes(df)] = {};
    reduce(0, count, [&](size_t r) {
      memcpy(row, x + r * stride, count * sizeof(TIn));
      return LoadF32(df, row);
    });
    return;
  }
  for (size_t c = 0; c < count; c += N) {
    // The last vector ends at the last column, overlapping the previous
    // one: recomputing a column's range gives the same result.
    const size_t start = c + N <= count ? c : count - N;
    reduce(start, N,
           [&](size_t r) { return LoadF32(df, x + r * stride + start); });
  }
}

// Columns [first, first + count) of a rows x cols tensor.
void ColumnRangesImpl(const void* x, detail::FloatType type, size_t rows,
                      size_t cols, size_t first, size_t count,
                      MinMaxResult* ranges) {
  VisitFloatType(type, [&](auto in_tag) {
    using TIn = typename decltype(in_tag)::type;
    ColumnRanges(static_cast<const TIn*>(x) + first, rows, cols, count,
                 ranges);
  });
}

// Ranges of the runs of a layout (per tensor, row or group).
template <bool kUnchecked, typename TIn>
HWY_NOINLINE void RunRanges(const TIn* x, const Layout& layout,
                            MinMaxResult* ranges) {
  internal::ForEachRun(layout, 0, layout.NumElements(),
                       [&](size_t start, size_t count, size_t k, size_t) {
                         ranges[k] = Range<false, kUnchecked>(x + start, count);
                       });
}

template <typename TIn>
void RangesT(const TIn* x, const Layout& layout, MinMaxResult* ranges) {
  if (layout.granularity == Granularity::kPerColumn) {
    return ColumnRanges(x, layout.rows, layout.cols, layout.cols, ranges);
  }
  if (RanWithoutNaN([&] { RunRanges<true>(x, layout, ranges); })) return;
  RunRanges<false>(x, layout, ranges);
}


void RangesLayoutImpl(const void* x, detail::FloatType type,
                      const Layout& layout, MinMaxResult* ranges) {
  VisitFloatType(type, [&](auto in_tag) {
    using TIn = typename decltype(in_tag)::type;
    RangesT(static_cast<const TIn*>(x), layout, ranges);
  });
}


}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(MinMaxImpl);
HWY_EXPORT(AbsRangeImpl);
HWY_EXPORT(RangesLayoutImpl);
HWY_EXPORT(ColumnRangesImpl);

void internal::ColumnRanges(const void* x, detail::FloatType type,
                            size_t rows, size_t cols, size_t first,
                            size_t count, MinMaxResult* ranges) {
  SIMDQUANT_DISPATCH(ColumnRangesImpl)(x, type, rows, cols, first, count,
                                       ranges);
}

MinMaxResult MinMax(const float* x, size_t n) {
  internal::CheckNonEmpty(n, "MinMax");
  internal::CheckPointer(x, n, "MinMax", "x");
  return SIMDQUANT_DISPATCH(MinMaxImpl)(x, n);
}

float AbsMax(const float* x, size_t n) {
  internal::CheckNonEmpty(n, "AbsMax");
  internal::CheckPointer(x, n, "AbsMax", "x");
  return SIMDQUANT_DISPATCH(AbsRangeImpl)(x, n).max;
}

namespace detail {

void MinMax(const void* x, FloatType type, const Layout& layout,
            MinMaxResult* ranges) {
  internal::CheckLayout(layout, "MinMax");
  if (layout.NumElements() == 0) {
    internal::Fail("MinMax", "the layout has no elements (rows = " +
                                 std::to_string(layout.rows) + ", cols = " +
                                 std::to_string(layout.cols) +
                                 "); every range needs at least one");
  }
  internal::CheckPointer(x, 1, "MinMax", "x");
  internal::CheckPointer(ranges, 1, "MinMax", "ranges");
  SIMDQUANT_DISPATCH(RangesLayoutImpl)(x, type, layout, ranges);
}

}  // namespace detail
}  // namespace simdquant
#endif  // HWY_ONCE
