// Kernels over layouts (tensor.h): per-channel and per-group ranges,
// quantize and dequantize, packed codes, bfloat16 / float16 tensors.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/tensor.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "lib/pack-inl.h"
#include "lib/quantize-inl.h"
#include "simdquant/tensor.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using internal::LayoutJob;

// ---------------------------------------------------------------------------
// Packing whole arrays

// True if (code + offset) mod 256 < 2^bits for every code: offset 0 checks
// unsigned codes, 2^(bits-1) signed ones.
bool CodesFit(const uint8_t* HWY_RESTRICT codes, size_t n, uint8_t offset,
              int bits) {
  const hn::ScalableTag<uint8_t> d;
  const size_t N = hn::Lanes(d);
  const uint8_t over = static_cast<uint8_t>(~((1u << bits) - 1));
  const auto voffset = hn::Set(d, offset);
  const auto vover = hn::Set(d, over);
  auto bad = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    bad = hn::Or(bad, hn::And(hn::Add(hn::LoadU(d, codes + i), voffset), vover));
  }
  bool fit = hn::AllTrue(d, hn::Eq(bad, hn::Zero(d)));
  for (; i < n; ++i) {
    fit &= (static_cast<uint8_t>(codes[i] + offset) & over) == 0;
  }
  return fit;
}

void PackImpl(const uint8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackAnyBits(bits, codes, n, packed, PackedBytes(n, bits));
}

void UnpackImpl(const uint8_t* packed, size_t n, int bits, bool is_signed,
                uint8_t* codes) {
  const size_t bytes = PackedBytes(n, bits);
  if (is_signed) {
    UnpackAnyBits<true>(bits, packed, bytes, n, codes);
  } else {
    UnpackAnyBits<false>(bits, packed, bytes, n, codes);
  }
}

// ---------------------------------------------------------------------------
// Parameter checks

// True if every one of the count sets of p has a finite scale > 0 and a
// zero point within r: CheckGroupParams' per-set test, a vector at a time
// (per group of 32 the scalar loop took a third of Dequantize's time).
bool GroupParamsValid(const GroupParams& p, size_t count, CodeRange r) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t N = hn::Lanes(df);
  const auto max_scale = hn::Set(df, std::numeric_limits<float>::max());
  const auto zp_min = hn::Set(di, r.min), zp_max = hn::Set(di, r.max);
  const auto check = [&](size_t k, auto& ok) {
    const auto scale = p.scales != nullptr ? hn::LoadU(df, p.scales + k)
                                           : LoadF32(df, p.scales_f16 + k);
    ok = hn::And(ok, hn::And(hn::Gt(scale, hn::Zero(df)),
                             hn::Le(scale, max_scale)));
    if (p.zero_points != nullptr) {
      const auto zp = hn::LoadU(di, p.zero_points + k);
      ok = hn::And(ok, hn::RebindMask(df, hn::Not(hn::Or(
                                              hn::Lt(zp, zp_min),
                                              hn::Gt(zp, zp_max)))));
    }
  };
  auto ok = hn::FirstN(df, N);
  size_t k = 0;
  for (; k + N <= count; k += N) check(k, ok);
  bool valid = hn::AllTrue(df, ok);
  for (; k < count; ++k) {  // the last few, one at a time
    const QuantParams q = internal::ParamsAt(p, k);
    valid &= q.scale > 0.0f && q.scale <= std::numeric_limits<float>::max() &&
             q.zero_point >= r.min && q.zero_point <= r.max;
  }
  return valid;
}

// ---------------------------------------------------------------------------
// Ranges

// Min and max of x[0, n), n >= 1, NaN in both if any element is NaN.
template <typename TIn>
HWY_NOINLINE MinMaxResult RangeRun(const TIn* HWY_RESTRICT x, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  HWY_ALIGN TIn padded[hn::MaxLanes(df)];
  if (n < N) {  // pad with copies of x[0], neutral for min and max
    for (size_t j = 0; j < N; ++j) padded[j] = x[j < n ? j : 0];
    x = padded;
    n = N;
  }
  auto min0 = LoadF32(df, x), max0 = min0, min1 = min0, max1 = min0;
  auto nan = hn::IsNaN(min0);
  size_t i = N;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = LoadF32(df, x + i);
    const auto v1 = LoadF32(df, x + i + N);
    min0 = hn::Min(min0, v0);
    max0 = hn::Max(max0, v0);
    min1 = hn::Min(min1, v1);
    max1 = hn::Max(max1, v1);
    nan = hn::Or(nan, hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)));
  }
  if (i != n) {  // the rest: one or two vectors ending at n (overlap is fine)
    const auto v0 = LoadF32(df, x + n - N);
    const auto v1 = LoadF32(df, x + (i + N < n ? i : n - N));
    min0 = hn::Min(min0, v0);
    max0 = hn::Max(max0, v0);
    min1 = hn::Min(min1, v1);
    max1 = hn::Max(max1, v1);
    nan = hn::Or(nan, hn::Or(hn::IsNaN(v0), hn::IsNaN(v1)));
  }
  if (!hn::AllFalse(df, nan)) {
    const float qnan = std::numeric_limits<float>::quiet_NaN();
    return {qnan, qnan};
  }
  // Horizontal part in scalar code (see lib/minmax.cc for why).
  HWY_ALIGN float lanes_min[hn::MaxLanes(df)];
  HWY_ALIGN float lanes_max[hn::MaxLanes(df)];
  hn::Store(hn::Min(min0, min1), df, lanes_min);
  hn::Store(hn::Max(max0, max1), df, lanes_max);
  MinMaxResult r = {lanes_min[0], lanes_max[0]};
  for (size_t j = 1; j < N; ++j) {
    r.min = lanes_min[j] < r.min ? lanes_min[j] : r.min;
    r.max = lanes_max[j] > r.max ? lanes_max[j] : r.max;
  }
  return r;
}

// Per column: a vertical reduction, columns across lanes, rows down the loop.
template <typename TIn>
void ColumnRanges(const TIn* HWY_RESTRICT x, size_t rows, size_t cols,
                  MinMaxResult* HWY_RESTRICT ranges) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  HWY_ALIGN float lanes_min[hn::MaxLanes(df)];
  HWY_ALIGN float lanes_max[hn::MaxLanes(df)];
  // Columns [c, c + N) of every row; `load(row)` gives them as floats.
  const auto reduce = [&](size_t c, size_t count, const auto& load) {
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
    for (size_t j = 0; j < count; ++j) {
      ranges[c + j] = {lanes_min[j], lanes_max[j]};
    }
  };
  if (cols < N) {  // narrower than a vector: each row through a buffer
    HWY_ALIGN TIn row[hn::MaxLanes(df)] = {};
    reduce(0, cols, [&](size_t r) {
      memcpy(row, x + r * cols, cols * sizeof(TIn));
      return LoadF32(df, row);
    });
    return;
  }
  for (size_t c = 0; c < cols; c += N) {
    // The last vector ends at the last column, overlapping the previous
    // one: recomputing a column's range gives the same result.
    const size_t start = c + N <= cols ? c : cols - N;
    reduce(start, N, [&](size_t r) { return LoadF32(df, x + r * cols + start); });
  }
}

template <typename TIn>
void RangesT(const TIn* x, const Layout& layout, MinMaxResult* ranges) {
  if (layout.granularity == Granularity::kPerColumn) {
    return ColumnRanges(x, layout.rows, layout.cols, ranges);
  }
  internal::ForEachRun(layout, 0, layout.NumElements(),
                       [&](size_t start, size_t count, size_t k, size_t) {
                         ranges[k] = RangeRun(x + start, count);
                       });
}

// ---------------------------------------------------------------------------
// Quantize

// A run of one row with one parameter per column, starting at column col.
template <bool kDivide, typename TIn, typename T>
HWY_NOINLINE void QuantizeColumns(const TIn* HWY_RESTRICT x, size_t n,
                                  const LayoutJob& job, size_t col,
                                  T* HWY_RESTRICT q) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  const float* factor = job.column_factor + col;
  const int32_t* zero_point = job.column_zero_point + col;
  // The parameter arrays are padded, so the tail may load a whole vector.
  const auto body = [&](size_t i, const TIn* HWY_RESTRICT in,
                        T* HWY_RESTRICT out) {
    const QuantizeVectors<DF> c(df, hn::LoadU(df, factor + i),
                                hn::LoadU(di, zero_point + i), job.range.min,
                                job.range.max);
    StoreCodes(di, QuantizeVec<kDivide>(df, c, LoadF32(df, in)), out);
  };
  size_t i = 0;
  for (; i + N <= n; i += N) body(i, x + i, q + i);
  if (i != n) {
    ForTail(df, x + i, n - i, q + i,
            [&](const TIn* in, T* out) { body(i, in, out); });
  }
}

// QuantizeDynamic per row / per group: chooses parameter set k from its
// elements when the run at `start` (column col) is its first.
template <typename TIn>
void ChooseIfFirstRun(const TIn* x, size_t start, size_t col, size_t k,
                      const LayoutJob& job) {
  const Layout& layout = job.layout;
  size_t count = layout.cols;  // kPerRow: the whole row
  if (layout.granularity == Granularity::kPerGroup) {
    if (col % layout.group_size != 0) return;
    count = HWY_MIN(layout.group_size, layout.cols - col);
  } else if (col != 0) {
    return;
  }
  const MinMaxResult r = RangeRun(x + start, count);
  internal::ChooseGroupParams(r.min, r.max, *job.spec, job.out, k);
}

// The QuantizeConstants of the parameter set used last: a set's runs may
// span several blocks (per tensor: all of them).
struct ConstantsCache {
  size_t k = ~size_t{0};
  internal::QuantizeConstants constants{};

  const internal::QuantizeConstants& For(const LayoutJob& job, size_t set) {
    if (set != k) {
      constants = internal::MakeQuantizeConstants(
          internal::ScaleAt(job.params, set),
          internal::ZeroPointAt(job.params, set), job.range, job.mode);
      k = set;
    }
    return constants;
  }
};

// ---------------------------------------------------------------------------
// Per-group batches: up to kGroupBatch consecutive whole groups at a time.
// Their parameters are loaded (or, for QuantizeDynamic, chosen) in vectors
// across groups, with exactly the float32 steps of the scalar choosers, and
// then each group runs the per-tensor kernel with its own constants. Per
// group of 32 this replaces a scalar choice with its checks and branches,
// which cost more than the group's arithmetic. A batch is 64 groups: the
// choice of parameters is a chain of dependent divisions and conversions
// (about 40 cycles), paid once per batch; at 16 groups it was a quarter of
// the time per group of 32 (QuantizeDynamic 41 GB/s at 16, 55 at 32, 63 at
// 64, 68 at 128 but slower at 4K elements, 65 at 256).

constexpr size_t kGroupBatch = 64;

struct GroupBatch {
  size_t count = 0;
  size_t k0 = 0;                   // parameter set of group 0; then k0 + g
  size_t starts[kGroupBatch] = {};  // first element of group g
};

// Calls whole(batch) for runs of up to kGroupBatch whole groups with
// consecutive parameter sets, and part(start, count, k, col) for every other
// run (the short last group of a row, or a group cut by [begin, end)), in
// the order of the elements.
template <class Whole, class Part>
void ForEachGroupBatch(const Layout& layout, size_t begin, size_t end,
                       const Whole& whole, const Part& part) {
  GroupBatch b;
  const size_t G = layout.group_size;
  if (layout.cols % G == 0 && begin % G == 0 && end % G == 0) {
    // Every group whole and the groups back to back: no run bookkeeping.
    for (size_t start = begin; start < end; start += kGroupBatch * G) {
      b.k0 = start / G;
      b.count = HWY_MIN(kGroupBatch, (end - start) / G);
      for (size_t g = 0; g < b.count; ++g) b.starts[g] = start + g * G;
      whole(b);
    }
    return;
  }
  internal::ForEachRun(
      layout, begin, end, [&](size_t start, size_t count, size_t k, size_t col) {
        if (b.count != 0 && (count != G || k != b.k0 + b.count)) {
          whole(b);
          b.count = 0;
        }
        if (count != G) return part(start, count, k, col);
        if (b.count == 0) b.k0 = k;
        b.starts[b.count++] = start;
        if (b.count == kGroupBatch) {
          whole(b);
          b.count = 0;
        }
      });
  if (b.count != 0) whole(b);
}

// Per group the batch engine pays off when a group is whole vectors.
bool BatchesGroups(const Layout& layout) {
  return layout.granularity == Granularity::kPerGroup &&
         layout.group_size % hn::Lanes(hn::ScalableTag<float>()) == 0;
}

// Parameter sets [k0, k0 + count) of p, padded to kGroupBatch with scale 1
// and zero point 0: scales as float32, zero points.
struct BatchParams {
  HWY_ALIGN float scale[kGroupBatch];
  HWY_ALIGN int32_t zero_point[kGroupBatch];
};

void LoadBatchParams(const GroupParams& p, size_t k0, size_t count,
                     BatchParams* out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t N = hn::Lanes(df);
  if (count == kGroupBatch) {  // straight from the arrays
    for (size_t i = 0; i < kGroupBatch; i += N) {
      hn::Store(p.scales != nullptr ? hn::LoadU(df, p.scales + k0 + i)
                                    : LoadF32(df, p.scales_f16 + k0 + i),
                df, out->scale + i);
      hn::Store(p.zero_points != nullptr
                    ? hn::LoadU(di, p.zero_points + k0 + i)
                    : hn::Zero(di),
                di, out->zero_point + i);
    }
    return;
  }
  // A short batch through padded copies: nothing read past the arrays.
  HWY_ALIGN hwy::float16_t f16[kGroupBatch];
  for (size_t g = 0; g < kGroupBatch; ++g) {
    out->scale[g] = 1.0f;
    out->zero_point[g] = 0;
    f16[g].bits = 0x3C00;  // 1.0
  }
  if (p.scales != nullptr) {
    memcpy(out->scale, p.scales + k0, count * sizeof(float));
  } else {
    memcpy(f16, p.scales_f16 + k0, count * sizeof(f16[0]));
    for (size_t i = 0; i < kGroupBatch; i += N) {
      hn::Store(LoadF32(df, f16 + i), df, out->scale + i);
    }
  }
  if (p.zero_points != nullptr) {
    memcpy(out->zero_point, p.zero_points + k0, count * sizeof(int32_t));
  }
}

constexpr size_t CeilLog2(size_t n) { return n <= 1 ? 0 : 1 + CeilLog2(n / 2); }

// Ranges of the 2^kLevel groups of G elements from group `first` of the
// contiguous groups at x (groups from `count` on count as [0, 0]), reduced
// across groups by transposition: level 0 is one group's vectors combined;
// each level then combines the even and the odd lanes of two halves, so that
// at level log2(N) lane g holds group first + g. N groups take N - 1
// combining steps instead of N horizontal reductions, and only one vector
// per level is live. Adds every element to sum (finiteness, see caller).
template <size_t kLevel, class DF, typename TIn>
HWY_INLINE void GroupRanges(DF df, const TIn* HWY_RESTRICT x, size_t G,
                            size_t first, size_t count, hn::Vec<DF>& lo,
                            hn::Vec<DF>& hi, hn::Vec<DF>& sum) {
  if constexpr (kLevel == 0) {
    if (first >= count) {
      lo = hi = hn::Zero(df);
      return;
    }
    const TIn* p = x + first * G;
    auto v = LoadF32(df, p);
    lo = hi = v;
    sum = hn::Add(sum, v);
    for (size_t j = hn::Lanes(df); j < G; j += hn::Lanes(df)) {
      v = LoadF32(df, p + j);
      lo = hn::Min(lo, v);
      hi = hn::Max(hi, v);
      sum = hn::Add(sum, v);
    }
  } else {
#if HWY_TARGET != HWY_SCALAR  // one lane: level 0 only
    constexpr size_t kHalf = size_t{1} << (kLevel - 1);
    hn::Vec<DF> lo0, hi0, lo1, hi1;
    GroupRanges<kLevel - 1>(df, x, G, first, count, lo0, hi0, sum);
    GroupRanges<kLevel - 1>(df, x, G, first + kHalf, count, lo1, hi1, sum);
    lo = hn::Min(hn::ConcatEven(df, lo1, lo0), hn::ConcatOdd(df, lo1, lo0));
    hi = hn::Max(hn::ConcatEven(df, hi1, hi0), hn::ConcatOdd(df, hi1, hi0));
#endif
  }
}

// The parameters QuantizeDynamic chooses for the batch's groups, written to
// job.out and to *params: ChooseGroupParams in vectors. Returns false,
// writing nothing, if a group is not finite or its scale overflows (float32
// or float16): the caller then takes the groups one at a time, and the
// scalar choice reports the first bad one.
template <typename TIn>
bool ChooseBatchParams(const TIn* x, const GroupBatch& b, const LayoutJob& job,
                       BatchParams* params) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  const size_t G = job.layout.group_size;
  const QuantSpec& spec = *job.spec;
  HWY_ALIGN float mins[kGroupBatch], maxs[kGroupBatch];
  // The sum of finite values is finite unless it overflows, and any NaN or
  // Inf makes it NaN or Inf: one add per vector finds them (x86 min/max
  // drop NaN by operand order, so the ranges cannot). An overflowing sum of
  // huge finite values only sends the batch to the scalar path.
  auto sum = hn::Zero(df);
  for (size_t g0 = 0; g0 < kGroupBatch; g0 += N) {
    hn::Vec<DF> lo, hi;
    GroupRanges<CeilLog2(hn::MaxLanes(df))>(df, x + b.starts[0], G, g0,
                                            b.count, lo, hi, sum);
    hn::Store(lo, df, mins + g0);
    hn::Store(hi, df, maxs + g0);
  }
  // x - x is +0 for finite x and NaN otherwise: OR-ing their bits tests
  // the sum and every scale below at once.
  auto not_finite = hn::Sub(sum, sum);
  const bool symmetric = spec.scheme == Scheme::kSymmetric;
  const CodeRange r = job.range;
  HWY_ALIGN hwy::float16_t f16[kGroupBatch];
  for (size_t i = 0; i < kGroupBatch; i += N) {
    const auto min = hn::Load(df, mins + i), max = hn::Load(df, maxs + i);
    const auto zero = hn::Zero(df);
    // As ChooseSymmetricParams / ChooseAsymmetricParams, in float32.
    const auto lo = hn::Min(min, zero);
    auto scale =
        symmetric
            ? hn::Div(hn::Max(hn::Abs(min), hn::Abs(max)),
                      hn::Set(df, static_cast<float>(r.max)))
            : hn::Div(hn::Sub(hn::Max(max, zero), lo),
                      hn::Set(df, static_cast<float>(r.max - r.min)));
    not_finite = hn::Or(not_finite, hn::Sub(scale, scale));
    scale = hn::Max(scale, hn::Set(df, std::numeric_limits<float>::epsilon()));
    if (job.out.scales_f16 != nullptr) {  // rounded to float16 and back
      StoreF32(df, scale, f16 + i);
      scale = LoadF32(df, f16 + i);
      not_finite = hn::Or(not_finite, hn::Sub(scale, scale));
    }
    auto zero_point = hn::Zero(di);
    if (!symmetric) {
      // |lo / scale| <= 2^17 (params.cc): the magic-number rounding of
      // QuantizeVectors is exact there, and ties go to even as nearbyint.
      const auto magic = hn::Set(df, QuantizeVectors<DF>::kMagic);
      const auto rounded = hn::Sub(
          hn::BitCast(di, hn::Add(hn::Div(lo, scale), magic)),
          hn::Set(di, QuantizeVectors<DF>::kMagicBits));
      zero_point = hn::Min(hn::Max(hn::Sub(hn::Set(di, r.min), rounded),
                                   hn::Set(di, r.min)),
                           hn::Set(di, r.max));
    }
    hn::Store(scale, df, params->scale + i);
    hn::Store(zero_point, di, params->zero_point + i);
  }
  const hn::RebindToUnsigned<DF> du;
  if (!hn::AllTrue(du, hn::Eq(hn::BitCast(du, not_finite), hn::Zero(du)))) {
    return false;
  }
  // Full batches with whole-vector stores, short ones with copies.
  const GroupParamsOut& out = job.out;
  if (b.count == kGroupBatch) {
    for (size_t i = 0; i < kGroupBatch; i += N) {
      if (out.scales != nullptr) {
        hn::StoreU(hn::Load(df, params->scale + i), df, out.scales + b.k0 + i);
      }
      if (out.zero_points != nullptr) {
        hn::StoreU(hn::Load(di, params->zero_point + i), di,
                   out.zero_points + b.k0 + i);
      }
    }
    if (out.scales_f16 != nullptr) {
      memcpy(out.scales_f16 + b.k0, f16, sizeof(f16));
    }
    return true;
  }
  if (out.scales != nullptr) {
    memcpy(out.scales + b.k0, params->scale, b.count * sizeof(float));
  } else {
    memcpy(out.scales_f16 + b.k0, f16, b.count * sizeof(f16[0]));
  }
  if (out.zero_points != nullptr) {
    memcpy(out.zero_points + b.k0, params->zero_point,
           b.count * sizeof(int32_t));
  }
  return true;
}

// The QuantizeConstants of each group of a batch (MakeQuantizeConstants in
// vectors: its scalar 1 / scale per group of 32 would cost more than the
// group's multiplies).
struct BatchConstants {
  HWY_ALIGN float factor[kGroupBatch];
  HWY_ALIGN float lo[kGroupBatch];
  HWY_ALIGN float hi[kGroupBatch];
  HWY_ALIGN float inverse[kGroupBatch];  // divide: DivideInverse(scale)

  internal::QuantizeConstants Of(const BatchParams& params, size_t g,
                                 bool divide) const {
    return {divide, factor[g], lo[g], hi[g], params.zero_point[g],
            divide ? inverse[g] : 0.0f};
  }
};

void MakeBatchConstants(const BatchParams& params, CodeRange range,
                        bool divide, BatchConstants* c) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  for (size_t i = 0; i < kGroupBatch; i += hn::Lanes(df)) {
    const auto scale = hn::Load(df, params.scale + i);
    const auto zero_point = hn::Load(di, params.zero_point + i);
    const auto inverse = hn::Div(hn::Set(df, 1.0f), scale);
    hn::Store(divide ? scale : inverse, df, c->factor + i);
    if (divide) {  // internal::DivideInverse
      const auto normal = hn::And(hn::Ge(scale, hn::Set(df, 0x1p-126f)),
                                  hn::Le(scale, hn::Set(df, 0x1p126f)));
      hn::Store(hn::IfThenElse(normal, inverse, hn::NaN(df)), df,
                c->inverse + i);
    }
    hn::Store(hn::ConvertTo(df, hn::Sub(hn::Set(di, range.min), zero_point)),
              df, c->lo + i);
    hn::Store(hn::ConvertTo(df, hn::Sub(hn::Set(di, range.max), zero_point)),
              df, c->hi + i);
  }
}

// 8-bit codes of a batch's groups (contiguous in memory) by StoreCodes8x4,
// where groups are a multiple of four vectors, or two vectors (then two
// groups per call). Returns how many groups it did, from the first.
template <bool kDivide, typename TIn, typename T>
size_t QuantizeBatch8(const TIn* x, size_t begin, const GroupBatch& b,
                      size_t G, const BatchParams& params,
                      const BatchConstants& c, T* q) {
#if SIMDQUANT_HAVE_CODES8
  if constexpr (sizeof(T) == 1) {
    using DF = hn::ScalableTag<float>;
    const DF df;
    const size_t N = hn::Lanes(df);
    using C8 = Codes8Vectors<T, DF>;
    if (G % (4 * N) == 0) {
      for (size_t g = 0; g < b.count; ++g) {
        const C8 c8(df, c.Of(params, g, kDivide));
        for (size_t j = 0; j < G; j += 4 * N) {
          const size_t i = b.starts[g] + j;
          StoreCodes8x4<kDivide>(df, c8, c8, x + i, q + (i - begin));
        }
      }
      return b.count;
    }
    if (G == 2 * N) {
      size_t g = 0;
      for (; g + 2 <= b.count; g += 2) {
        const size_t i = b.starts[g];
        StoreCodes8x4<kDivide>(df, C8(df, c.Of(params, g, kDivide)),
                               C8(df, c.Of(params, g + 1, kDivide)), x + i,
                               q + (i - begin));
      }
      return g;
    }
  }
#endif
  (void)x, (void)begin, (void)b, (void)G, (void)params, (void)c, (void)q;
  return 0;
}

// Quantizes elements [begin, end) of the tensor x into q[0, end - begin).
template <bool kDivide, typename TIn, typename T>
void QuantizeSpan(const TIn* x, size_t begin, size_t end, const LayoutJob& job,
                  ConstantsCache& cache, T* q) {
  const auto part = [&](size_t start, size_t count, size_t k, size_t col) {
    T* out = q + (start - begin);
    if (job.layout.granularity == Granularity::kPerColumn) {
      return QuantizeColumns<kDivide>(x + start, count, job, col, out);
    }
    if (job.spec != nullptr) ChooseIfFirstRun(x, start, col, k, job);
    QuantizeRun<kDivide>(x + start, count, cache.For(job, k), out);
  };
  if (!BatchesGroups(job.layout)) {
    return internal::ForEachRun(job.layout, begin, end, part);
  }
  const size_t G = job.layout.group_size;
  const auto whole = [&](const GroupBatch& b) {
    BatchParams params;
    if (job.spec == nullptr) {
      LoadBatchParams(job.params, b.k0, b.count, &params);
    } else if (!ChooseBatchParams(x, b, job, &params)) {
      for (size_t g = 0; g < b.count; ++g) part(b.starts[g], G, b.k0 + g, 0);
      return;
    }
    BatchConstants c;
    MakeBatchConstants(params, job.range, kDivide, &c);
    size_t g = QuantizeBatch8<kDivide>(x, begin, b, G, params, c, q);
    for (; g < b.count; ++g) {
      QuantizeRun<kDivide>(x + b.starts[g], G, c.Of(params, g, kDivide),
                           q + (b.starts[g] - begin));
    }
  };
  ForEachGroupBatch(job.layout, begin, end, whole, part);
}

// Codes go through a block of this many bytes on the stack (L1) on their
// way to and from the packed stream: a multiple of 8 codes, so every block
// starts on a byte boundary of the stream.
constexpr size_t kBlockCodes = 1024;

// T8: uint8_t or int8_t, the signedness of the codes.
template <bool kDivide, typename TIn, typename T8>
void QuantizePackedT(const TIn* x, const LayoutJob& job, uint8_t* packed) {
  const size_t n = job.layout.NumElements();
  const int bits = job.params.bits;
  const size_t total = PackedBytes(n, bits);
  ConstantsCache cache;
  for (size_t begin = 0; begin < n; begin += kBlockCodes) {
    const size_t end = HWY_MIN(n, begin + kBlockCodes);
    HWY_ALIGN T8 codes[kBlockCodes];
    QuantizeSpan<kDivide>(x, begin, end, job, cache, codes);
    const size_t offset = begin / 8 * static_cast<size_t>(bits);
    PackAnyBits(bits, reinterpret_cast<const uint8_t*>(codes), end - begin,
                packed + offset, total - offset);
  }
}

// ---------------------------------------------------------------------------
// Dequantize

template <typename T, typename TOut>
HWY_NOINLINE void DequantizeColumns(const T* HWY_RESTRICT q, size_t n,
                                    const LayoutJob& job, size_t col,
                                    TOut* HWY_RESTRICT y) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<T, decltype(df)> dt;
  const size_t N = hn::Lanes(df);
  const float* scale = job.column_factor + col;
  const int32_t* zero_point = job.column_zero_point + col;
  const auto body = [&](size_t i, const T* HWY_RESTRICT in,
                        TOut* HWY_RESTRICT out) {
    const auto codes = hn::PromoteTo(di, hn::LoadU(dt, in));
    StoreF32(df,
             DequantizeVec(df, codes, hn::LoadU(di, zero_point + i),
                           hn::LoadU(df, scale + i)),
             out);
  };
  size_t i = 0;
  for (; i + N <= n; i += N) body(i, q + i, y + i);
  if (i != n) {
    ForTail(df, q + i, n - i, y + i,
            [&](const T* in, TOut* out) { body(i, in, out); });
  }
}

// Dequantizes q[0, end - begin), elements [begin, end) of the tensor, into y.
template <typename T, typename TOut>
void DequantizeSpan(const T* q, size_t begin, size_t end, const LayoutJob& job,
                    TOut* y) {
  const auto part = [&](size_t start, size_t count, size_t k, size_t col) {
    const T* in = q + (start - begin);
    if (job.layout.granularity == Granularity::kPerColumn) {
      return DequantizeColumns(in, count, job, col, y + start);
    }
    DequantizeRun(in, count, internal::ZeroPointAt(job.params, k),
                  internal::ScaleAt(job.params, k), y + start);
  };
  if (!BatchesGroups(job.layout)) {
    return internal::ForEachRun(job.layout, begin, end, part);
  }
  const size_t G = job.layout.group_size;
  const auto whole = [&](const GroupBatch& b) {
    BatchParams params;
    LoadBatchParams(job.params, b.k0, b.count, &params);
    // The batch's groups are contiguous: four vectors per step, from one
    // group or (groups of two vectors) two, as ForWholeVectors unrolls.
    const hn::ScalableTag<float> df;
    const hn::RebindToSigned<decltype(df)> di;
    const hn::Rebind<T, decltype(df)> dt;
    const size_t N = hn::Lanes(df);
    const T* HWY_RESTRICT in = q + (b.starts[0] - begin);
    TOut* HWY_RESTRICT out = y + b.starts[0];
    // Each group's constants in registers first: stores may alias memory.
    const auto vector = [&](size_t i, auto zero_point, auto scale) {
      const auto codes = hn::PromoteTo(di, hn::LoadU(dt, in + i));
      StoreF32(df, DequantizeVec(df, codes, zero_point, scale), out + i);
    };
    size_t g = 0;
    if (N == 1) {
      // One lane: DequantizeRun's loop below is as good.
    } else if (G % (4 * N) == 0) {
      for (; g < b.count; ++g) {
        const auto zp = hn::Set(di, params.zero_point[g]);
        const auto scale = hn::Set(df, params.scale[g]);
        for (size_t i = g * G; i < (g + 1) * G; i += 4 * N) {
          vector(i, zp, scale), vector(i + N, zp, scale);
          vector(i + 2 * N, zp, scale), vector(i + 3 * N, zp, scale);
        }
      }
    } else if (G == 2 * N) {
      for (; g + 2 <= b.count; g += 2) {
        const auto zp0 = hn::Set(di, params.zero_point[g]);
        const auto scale0 = hn::Set(df, params.scale[g]);
        const auto zp1 = hn::Set(di, params.zero_point[g + 1]);
        const auto scale1 = hn::Set(df, params.scale[g + 1]);
        const size_t i = g * G;
        vector(i, zp0, scale0), vector(i + N, zp0, scale0);
        vector(i + 2 * N, zp1, scale1), vector(i + 3 * N, zp1, scale1);
      }
    }
    for (; g < b.count; ++g) {
      DequantizeRun(in + g * G, G, params.zero_point[g], params.scale[g],
                    out + g * G);
    }
  };
  ForEachGroupBatch(job.layout, begin, end, whole, part);
}

template <typename T8, typename TOut>
void DequantizePackedT(const uint8_t* packed, const LayoutJob& job, TOut* y) {
  const size_t n = job.layout.NumElements();
  const int bits = job.params.bits;
  const size_t total = PackedBytes(n, bits);
  for (size_t begin = 0; begin < n; begin += kBlockCodes) {
    const size_t end = HWY_MIN(n, begin + kBlockCodes);
    HWY_ALIGN T8 codes[kBlockCodes];
    const size_t offset = begin / 8 * static_cast<size_t>(bits);
    UnpackAnyBits<hwy::IsSigned<T8>()>(bits, packed + offset, total - offset,
                                       end - begin,
                                       reinterpret_cast<uint8_t*>(codes));
    DequantizeSpan(codes, begin, end, job, y);
  }
}

// ---------------------------------------------------------------------------
// Type dispatch

template <typename T>
struct Tag {
  using type = T;
};

template <class F>
void VisitFloatType(detail::FloatType type, const F& f) {
  switch (type) {
    case detail::FloatType::kF32:
      return f(Tag<float>());
    case detail::FloatType::kBF16:
      return f(Tag<hwy::bfloat16_t>());
    case detail::FloatType::kF16:
      return f(Tag<hwy::float16_t>());
  }
}

// f(Tag<container>, packed): packed codes pass through int8_t or uint8_t.
template <class F>
void VisitCodeType(detail::CodeType code, bool is_signed, const F& f) {
  switch (code) {
    case detail::CodeType::kU8:
      return f(Tag<uint8_t>(), std::false_type());
    case detail::CodeType::kI8:
      return f(Tag<int8_t>(), std::false_type());
    case detail::CodeType::kU16:
      return f(Tag<uint16_t>(), std::false_type());
    case detail::CodeType::kI16:
      return f(Tag<int16_t>(), std::false_type());
    case detail::CodeType::kPacked:
      if (is_signed) return f(Tag<int8_t>(), std::true_type());
      return f(Tag<uint8_t>(), std::true_type());
  }
}

void RangesLayoutImpl(const void* x, detail::FloatType type,
                      const Layout& layout, MinMaxResult* ranges) {
  VisitFloatType(type, [&](auto in_tag) {
    using TIn = typename decltype(in_tag)::type;
    RangesT(static_cast<const TIn*>(x), layout, ranges);
  });
}

void QuantizeLayoutImpl(const void* x, detail::FloatType type,
                        const LayoutJob& job, void* q, detail::CodeType code) {
  const bool is_signed = job.params.signedness == Signedness::kSigned;
  VisitFloatType(type, [&](auto in_tag) {
    using TIn = typename decltype(in_tag)::type;
    const TIn* in = static_cast<const TIn*>(x);
    VisitCodeType(code, is_signed, [&](auto code_tag, auto packed) {
      using T = typename decltype(code_tag)::type;
      const auto run = [&](auto divide) {
        if constexpr (decltype(packed)::value) {
          QuantizePackedT<decltype(divide)::value, TIn, T>(
              in, job, static_cast<uint8_t*>(q));
        } else {
          ConstantsCache cache;
          QuantizeSpan<decltype(divide)::value>(
              in, 0, job.layout.NumElements(), job, cache, static_cast<T*>(q));
        }
      };
      if (job.mode == QuantizeMode::kDivide) {
        run(std::true_type());
      } else {
        run(std::false_type());
      }
    });
  });
}

void DequantizeLayoutImpl(const void* q, detail::CodeType code,
                          const LayoutJob& job, void* y,
                          detail::FloatType type) {
  const bool is_signed = job.params.signedness == Signedness::kSigned;
  VisitFloatType(type, [&](auto out_tag) {
    using TOut = typename decltype(out_tag)::type;
    TOut* out = static_cast<TOut*>(y);
    VisitCodeType(code, is_signed, [&](auto code_tag, auto packed) {
      using T = typename decltype(code_tag)::type;
      if constexpr (decltype(packed)::value) {
        DequantizePackedT<T>(static_cast<const uint8_t*>(q), job, out);
      } else {
        DequantizeSpan(static_cast<const T*>(q), 0, job.layout.NumElements(),
                       job, out);
      }
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(CodesFit);
HWY_EXPORT(GroupParamsValid);
HWY_EXPORT(PackImpl);
HWY_EXPORT(UnpackImpl);
HWY_EXPORT(RangesLayoutImpl);
HWY_EXPORT(QuantizeLayoutImpl);
HWY_EXPORT(DequantizeLayoutImpl);

namespace {

void CheckPackBits(int bits, bool is_signed, const char* function) {
  const int min_bits = is_signed ? 2 : 1;
  if (bits < min_bits || bits > 8) {
    internal::Fail(function, "bits = " + std::to_string(bits) +
                                 " is outside [" + std::to_string(min_bits) +
                                 ", 8] for packed " +
                                 (is_signed ? "signed" : "unsigned") +
                                 " codes");
  }
}

template <typename T>
void PackChecked(const T* codes, size_t n, int bits, uint8_t* packed) {
  internal::InitDispatch();
  constexpr bool kSigned = std::is_signed_v<T>;
  CheckPackBits(bits, kSigned, "Pack");
  internal::CheckPointer(codes, n, "Pack", "codes");
  internal::CheckPointer(packed, n, "Pack", "packed");
  if (n == 0) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(codes);
  const uint8_t offset = kSigned ? static_cast<uint8_t>(1u << (bits - 1)) : 0;
  if (!HWY_DYNAMIC_DISPATCH(CodesFit)(bytes, n, offset, bits)) {
    const int32_t lo = kSigned ? -(1 << (bits - 1)) : 0;
    const int32_t hi = kSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    for (size_t i = 0; i < n; ++i) {
      if (codes[i] < lo || codes[i] > hi) {
        internal::Fail("Pack", "codes[" + std::to_string(i) + "] = " +
                                   std::to_string(codes[i]) +
                                   " is outside the " + std::to_string(bits) +
                                   "-bit range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
      }
    }
  }
  HWY_DYNAMIC_DISPATCH(PackImpl)(bytes, n, bits, packed);
}

template <typename T>
void UnpackChecked(const uint8_t* packed, size_t n, int bits, T* codes) {
  internal::InitDispatch();
  constexpr bool kSigned = std::is_signed_v<T>;
  CheckPackBits(bits, kSigned, "Unpack");
  internal::CheckPointer(packed, n, "Unpack", "packed");
  internal::CheckPointer(codes, n, "Unpack", "codes");
  if (n == 0) return;
  HWY_DYNAMIC_DISPATCH(UnpackImpl)(packed, n, bits, kSigned,
                                   reinterpret_cast<uint8_t*>(codes));
}

const char* CodesName(detail::CodeType code) {
  return code == detail::CodeType::kPacked ? "packed" : "q";
}

// Fills the padded per-column arrays of a kPerColumn job: factor = scale
// (dequantize, divide) or 1 / scale (reciprocal), as MakeQuantizeConstants.
void PrepareColumns(const GroupParams& p, bool reciprocal,
                    std::vector<float>* factor,
                    std::vector<int32_t>* zero_point, internal::LayoutJob* job) {
  const size_t cols = job->layout.cols;
  factor->assign(cols + internal::kColumnPadding, 1.0f);
  zero_point->assign(cols + internal::kColumnPadding, 0);
  for (size_t c = 0; c < cols; ++c) {
    const float scale = internal::ScaleAt(p, c);
    (*factor)[c] = reciprocal ? 1.0f / scale : scale;
    (*zero_point)[c] = internal::ZeroPointAt(p, c);
  }
  job->column_factor = factor->data();
  job->column_zero_point = zero_point->data();
}

internal::LayoutJob MakeJob(const Layout& layout, const GroupParams& p,
                            QuantizeMode mode) {
  internal::LayoutJob job;
  job.layout = layout;
  job.params = p;
  job.mode = mode;
  job.range = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  return job;
}

}  // namespace

void Pack(const uint8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackChecked(codes, n, bits, packed);
}
void Pack(const int8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackChecked(codes, n, bits, packed);
}
void Unpack(const uint8_t* packed, size_t n, int bits, uint8_t* codes) {
  UnpackChecked(packed, n, bits, codes);
}
void Unpack(const uint8_t* packed, size_t n, int bits, int8_t* codes) {
  UnpackChecked(packed, n, bits, codes);
}

namespace detail {

void MinMax(const void* x, FloatType type, const Layout& layout,
            MinMaxResult* ranges) {
  internal::InitDispatch();
  internal::CheckLayout(layout, "MinMax");
  if (layout.NumElements() == 0) {
    internal::Fail("MinMax", "the layout has no elements (rows = " +
                                 std::to_string(layout.rows) + ", cols = " +
                                 std::to_string(layout.cols) +
                                 "); every range needs at least one");
  }
  internal::CheckPointer(x, 1, "MinMax", "x");
  internal::CheckPointer(ranges, 1, "MinMax", "ranges");
  HWY_DYNAMIC_DISPATCH(RangesLayoutImpl)(x, type, layout, ranges);
}

void Quantize(const void* x, FloatType type, const Layout& layout,
              const GroupParams& p, void* q, CodeType code, QuantizeMode mode) {
  const char* function =
      code == CodeType::kPacked ? "QuantizePacked" : "Quantize";
  internal::InitDispatch();
  internal::CheckLayout(layout, function);
  internal::CheckMode(mode, function);
  internal::CheckGroupParams(p, layout, code, function,
                             HWY_DYNAMIC_DISPATCH(GroupParamsValid));
  const size_t n = layout.NumElements();
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPointer(q, n, function, CodesName(code));
  if (n == 0) return;
  internal::LayoutJob job = MakeJob(layout, p, mode);
  std::vector<float> factor;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerColumn) {
    PrepareColumns(p, mode == QuantizeMode::kReciprocal, &factor, &zero_point,
                   &job);
  }
  HWY_DYNAMIC_DISPATCH(QuantizeLayoutImpl)(x, type, job, q, code);
}

void QuantizeDynamic(const void* x, FloatType type, const Layout& layout,
                     const QuantSpec& spec, const GroupParamsOut& out, void* q,
                     CodeType code) {
  const char* function =
      code == CodeType::kPacked ? "QuantizeDynamicPacked" : "QuantizeDynamic";
  internal::InitDispatch();
  internal::CheckLayout(layout, function);
  internal::CheckDynamicSpec(spec, out, layout, code, function);
  const size_t n = layout.NumElements();
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPointer(q, n, function, CodesName(code));
  if (n == 0) return;
  const GroupParams p = internal::ParamsOf(spec, out);
  internal::LayoutJob job = MakeJob(layout, p, spec.mode);
  job.out = out;
  std::vector<float> factor;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerRow ||
      layout.granularity == Granularity::kPerGroup) {
    job.spec = &spec;  // chosen group by group, in the quantize pass
  } else {
    std::vector<MinMaxResult> ranges(layout.NumParams());
    HWY_DYNAMIC_DISPATCH(RangesLayoutImpl)(x, type, layout, ranges.data());
    for (size_t k = 0; k < ranges.size(); ++k) {
      internal::ChooseGroupParams(ranges[k].min, ranges[k].max, spec, out, k);
    }
    if (layout.granularity == Granularity::kPerColumn) {
      PrepareColumns(p, spec.mode == QuantizeMode::kReciprocal, &factor,
                     &zero_point, &job);
    }
  }
  HWY_DYNAMIC_DISPATCH(QuantizeLayoutImpl)(x, type, job, q, code);
}

void Dequantize(const void* q, CodeType code, const Layout& layout,
                const GroupParams& p, void* y, FloatType type) {
  const char* function =
      code == CodeType::kPacked ? "DequantizePacked" : "Dequantize";
  internal::InitDispatch();
  internal::CheckLayout(layout, function);
  internal::CheckGroupParams(p, layout, code, function,
                             HWY_DYNAMIC_DISPATCH(GroupParamsValid));
  const size_t n = layout.NumElements();
  internal::CheckPointer(q, n, function, CodesName(code));
  internal::CheckPointer(y, n, function, "y");
  if (n == 0) return;
  internal::LayoutJob job = MakeJob(layout, p, QuantizeMode::kDivide);
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerColumn) {
    PrepareColumns(p, false, &scale, &zero_point, &job);
  }
  HWY_DYNAMIC_DISPATCH(DequantizeLayoutImpl)(q, code, job, y, type);
}

}  // namespace detail
}  // namespace simdquant
#endif  // HWY_ONCE
