// Quantize, QuantizePacked and QuantizeDynamic over layouts (tensor.h): per
// row, per column, per group (batched), bfloat16 / float16 tensors.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/quantize_layout.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "lib/layout-inl.h"
#include "lib/pack-inl.h"
#include "lib/quantize-inl.h"
#include "simdquant/tensor.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using internal::LayoutJob;

// ---------------------------------------------------------------------------
// Quantize

// A run with its own parameters per element (per column: ColumnWindow).
template <bool kDivide, bool kFlush, typename TIn, typename T>
HWY_NOINLINE void QuantizeColumns(const TIn* HWY_RESTRICT x, size_t n,
                                  const float* HWY_RESTRICT factor,
                                  const int32_t* HWY_RESTRICT zero_point,
                                  const LayoutJob& job, T* HWY_RESTRICT q) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const size_t N = hn::Lanes(df);
  // The parameter arrays are padded, so the tail may load a whole vector.
  const auto body = [&](size_t i, const TIn* HWY_RESTRICT in,
                        T* HWY_RESTRICT out) {
    const QuantizeVectors<DF> c(df, hn::LoadU(df, factor + i),
                                hn::LoadU(di, zero_point + i), job.range.min,
                                job.range.max);
    StoreCodes(di, QuantizeVec<kDivide, kFlush>(df, c, LoadF32(df, in)), out);
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
  const MinMaxResult r = Range<false>(x + start, count);
  internal::ChooseGroupParams(r.min, r.max, *job.spec, job.out, k,
                              job.function);
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
// Parameter checks

// True if every one of the count sets of p has a finite scale > 0 and a
// zero point within r: CheckGroupParams' per-set test, a vector at a time
// (per group of 32 the scalar loop took a third of Dequantize's time), for
// every layout kernel through internal::GroupSetsValid.
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

// The parameters QuantizeDynamic chooses for the batch's groups, written to
// job.out and to *params: ChooseGroupParams in vectors. Returns false,
// writing nothing, if a group is not finite or its scale overflows (float32
// or float16): the caller then takes the groups one at a time, and the
// scalar choice reports the first bad one.
// The ranges of a batch's groups into mins and maxs; if kSum, returns the
// sum of its elements: finite unless some x is NaN or Inf (x86 min/max drop
// NaN by operand order, so the ranges cannot tell) or the sum of huge
// finite values overflows (then the batch only takes the scalar path).
// Out of line for RanWithoutNaN.
template <bool kSum, typename TIn>
HWY_NOINLINE hn::Vec<hn::ScalableTag<float>> BatchRanges(
    const TIn* x, const GroupBatch& b, size_t G, float* HWY_RESTRICT mins,
    float* HWY_RESTRICT maxs) {
  const hn::ScalableTag<float> df;
  auto sum = hn::Zero(df);
  for (size_t g0 = 0; g0 < kGroupBatch; g0 += hn::Lanes(df)) {
    hn::Vec<decltype(df)> lo, hi, group_sum;
    GroupRanges<CeilLog2(hn::MaxLanes(df))>(df, x + b.starts[0], G, g0,
                                            b.count, lo, hi, group_sum);
    if (kSum) sum = hn::Add(sum, group_sum);  // else dropped as unused
    hn::Store(lo, df, mins + g0);
    hn::Store(hi, df, maxs + g0);
  }
  return sum;
}

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
  // Without the sums where the invalid flag reports NaN (RanWithoutNaN):
  // an infinite x then shows in the ranges, and so in the scales below.
  auto sum = hn::Zero(df);
  if (!RanWithoutNaN([&] { BatchRanges<false>(x, b, G, mins, maxs); })) {
    sum = BatchRanges<true>(x, b, G, mins, maxs);
  }
  // x - x is +0 for finite x and NaN otherwise: OR-ing their bits tests
  // the sum and every scale below at once.
  auto not_finite = hn::Sub(sum, sum);
  const bool symmetric = spec.scheme == Scheme::kSymmetric;
  const CodeRange r = job.range;
  const auto divisor = hn::Set(
      df, symmetric ? internal::SymmetricDivisor(r, spec.symmetric_scale)
                    : static_cast<float>(r.max - r.min));
  HWY_ALIGN hwy::float16_t f16[kGroupBatch];
  for (size_t i = 0; i < kGroupBatch; i += N) {
    const auto min = hn::Load(df, mins + i), max = hn::Load(df, maxs + i);
    const auto zero = hn::Zero(df);
    // As ChooseSymmetricParams / ChooseAsymmetricParams, in float32.
    const auto lo = hn::Min(min, zero);
    auto scale = hn::Div(symmetric ? hn::Max(hn::Abs(min), hn::Abs(max))
                                   : hn::Sub(hn::Max(max, zero), lo),
                         divisor);
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
    return {divide,
            factor[g],
            lo[g],
            hi[g],
            params.zero_point[g],
            divide ? inverse[g] : 0.0f,
            internal::FlushesSubnormals(factor[g], divide)};
  }
};

void MakeBatchConstants(const BatchParams& params, CodeRange range,
                        bool divide, BatchConstants* c) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  for (size_t i = 0; i < kGroupBatch; i += hn::Lanes(df)) {
    const auto scale = hn::Load(df, params.scale + i);
    const auto zero_point = hn::Load(di, params.zero_point + i);
    if (!divide) {
      hn::Store(hn::Div(hn::Set(df, 1.0f), scale), df, c->factor + i);
    } else {
      hn::Store(scale, df, c->factor + i);
#if SIMDQUANT_DIVIDE_BY_RECIPROCAL  // internal::DivideInverse
      const auto normal = hn::And(hn::Ge(scale, hn::Set(df, 0x1p-126f)),
                                  hn::Le(scale, hn::Set(df, 0x1p126f)));
      hn::Store(hn::IfThenElse(normal, hn::Div(hn::Set(df, 1.0f), scale),
                               hn::NaN(df)),
                df, c->inverse + i);
#else  // this target always divides: no reciprocal to compute
      hn::Store(hn::NaN(df), df, c->inverse + i);
#endif
    }
    hn::Store(hn::ConvertTo(df, hn::Sub(hn::Set(di, range.min), zero_point)),
              df, c->lo + i);
    hn::Store(hn::ConvertTo(df, hn::Sub(hn::Set(di, range.max), zero_point)),
              df, c->hi + i);
  }
}

// internal::FlushesSubnormals for the first `count` groups of a batch, a
// vector at a time: the scalar test per group took 18% of Quantize's time
// per group of 32 (and 13% of QuantizeDynamic's).
HWY_INLINE bool AllFlush(const BatchConstants& c, size_t count, bool divide) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  bool all = true;
  for (size_t i = 0; i < kGroupBatch; i += N) {
    const auto factor = hn::Load(df, c.factor + i);
    const auto counted = hn::FirstN(df, i < count ? count - i : 0);
    all &= hn::AllFalse(
        df, hn::AndNot(FlushesSubnormals(df, factor, divide), counted));
  }
  return all;
}

#if SIMDQUANT_HAVE_CODES8
// 8-bit codes of a batch's groups (contiguous in memory) by StoreCodes8x4,
// where groups are a multiple of four vectors, or two vectors (then two
// groups per call). Returns how many groups it did, from the first. Out of
// line for the MXCSR accesses around it (QuantizeBatch8).
template <bool kDivide, bool kMasked, typename TIn, typename T>
HWY_NOINLINE size_t QuantizeBatch8Run(const TIn* x, size_t begin,
                                      const GroupBatch& b, size_t G,
                                      const BatchParams& params,
                                      const BatchConstants& c, T* q) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const size_t N = hn::Lanes(df);
  using C8 = Codes8Vectors<T, DF>;
  // qmin and clamp_low depend on the code range only (lo + zero_point is
  // qmin for every group): computed once, and per group only the constants
  // that differ are broadcast from the batch's arrays.
  const C8 base(df, c.Of(params, 0, kDivide));
  const auto group = [&](size_t g) {
    return C8(base, hn::Set(df, c.factor[g]), hn::Set(df, c.hi[g]),
              hn::Set(typename C8::D16(),
                      static_cast<int16_t>(params.zero_point[g])),
              kDivide ? c.inverse[g] : std::numeric_limits<float>::quiet_NaN());
  };
  if (G % (4 * N) == 0) {
    for (size_t g = 0; g < b.count; ++g) {
      const C8 c8 = group(g);
      for (size_t j = 0; j < G; j += 4 * N) {
        const size_t i = b.starts[g] + j;
        StoreCodes8x4<kDivide, kMasked>(df, c8, c8, x + i, q + (i - begin));
      }
    }
    return b.count;
  }
  if (G == 2 * N) {
    size_t g = 0;
    for (; g + 2 <= b.count; g += 2) {
      const size_t i = b.starts[g];
      StoreCodes8x4<kDivide, kMasked>(df, group(g), group(g + 1), x + i,
                                      q + (i - begin));
    }
    return g;
  }
  return 0;
}
#endif

// QuantizeBatch8Run, first without the NaN and subnormal masks, as Codes8
// (quantize-inl.h) does per tensor: QuantizeDynamic's groups are finite
// (checked before), and a batch of given parameters that raised the invalid
// flag (a NaN) is redone with the masks.
template <bool kDivide, typename TIn, typename T>
size_t QuantizeBatch8(const TIn* x, size_t begin, const GroupBatch& b,
                      size_t G, const BatchParams& params,
                      const BatchConstants& c, T* q) {
#if SIMDQUANT_HAVE_CODES8
  if constexpr (sizeof(T) == 1) {
    if (!AllFlush(c, b.count, kDivide)) return 0;  // not the tiniest scales
    size_t done = 0;
    if (internal::RanWithoutInvalid(/*flush_subnormals=*/true, [&] {
          done = QuantizeBatch8Run<kDivide, false>(x, begin, b, G, params, c,
                                                   q);
        })) {
      return done;
    }
    return QuantizeBatch8Run<kDivide, true>(x, begin, b, G, params, c, q);
  }
#endif
  (void)x, (void)begin, (void)b, (void)G, (void)params, (void)c, (void)q;
  return 0;
}

// Quantizes elements [begin, end) of the tensor x into q[0, end - begin).
template <bool kDivide, typename TIn, typename T>
void QuantizeSpan(const TIn* x, size_t begin, size_t end, const LayoutJob& job,
                  ConstantsCache& cache, ColumnWindow& columns, T* q) {
  if (job.layout.granularity == Granularity::kPerColumn) {
    return columns.ForEachRun(begin, end, [&](size_t start, size_t count,
                                              const float* factor,
                                              const int32_t* zero_point) {
      // Subnormals flushed unless some column's scale is tiny.
      if (HWY_LIKELY(columns.Flushes())) {
        QuantizeColumns<kDivide, true>(x + start, count, factor, zero_point,
                                       job, q + (start - begin));
      } else {
        QuantizeColumns<kDivide, false>(x + start, count, factor, zero_point,
                                        job, q + (start - begin));
      }
    });
  }
  const auto part = [&](size_t start, size_t count, size_t k, size_t col) {
    T* out = q + (start - begin);
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


template <bool kDivide, typename TIn, typename T8>
void QuantizePackedT(const TIn* x, const LayoutJob& job, uint8_t* packed) {
  const size_t n = job.layout.NumElements();
  const int bits = job.params.bits;
  const size_t total = PackedBytes(n, bits);
  ConstantsCache cache;
  ColumnWindow columns(job);
  for (size_t begin = 0; begin < n; begin += kBlockCodes) {
    const size_t end = HWY_MIN(n, begin + kBlockCodes);
    HWY_ALIGN T8 codes[kBlockCodes];
    QuantizeSpan<kDivide>(x, begin, end, job, cache, columns, codes);
    const size_t offset = begin / 8 * static_cast<size_t>(bits);
    PackAnyBits(bits, reinterpret_cast<const uint8_t*>(codes), end - begin,
                packed + offset, total - offset);
  }
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
          ColumnWindow columns(job);
          QuantizeSpan<decltype(divide)::value>(in, 0, job.layout.NumElements(),
                                                job, cache, columns,
                                                static_cast<T*>(q));
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

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(GroupParamsValid);
HWY_EXPORT(QuantizeLayoutImpl);

bool internal::GroupSetsValid(const GroupParams& p, size_t count,
                              CodeRange r) {
  return SIMDQUANT_DISPATCH(GroupParamsValid)(p, count, r);
}

namespace detail {

void Quantize(const void* x, FloatType type, const Layout& layout,
              const GroupParams& p, void* q, CodeType code, QuantizeMode mode) {
  const char* function =
      code == CodeType::kPacked ? "QuantizePacked" : "Quantize";
  internal::CheckLayout(layout, function);
  internal::CheckMode(mode, function);
  internal::CheckGroupParams(p, layout, code, function,
                             internal::GroupSetsValid);
  const size_t n = layout.NumElements();
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPointer(q, n, function, internal::CodesName(code));
  if (n == 0) return;
  internal::LayoutJob job = internal::MakeJob(layout, p, mode);
  std::vector<float> factor;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerColumn) {
    internal::AllocateColumnWindow(&factor, &zero_point, &job);
  }
  SIMDQUANT_DISPATCH(QuantizeLayoutImpl)(x, type, job, q, code);
}

void QuantizeDynamic(const void* x, FloatType type, const Layout& layout,
                     const QuantSpec& spec, const GroupParamsOut& out, void* q,
                     CodeType code) {
  const char* function =
      code == CodeType::kPacked ? "QuantizeDynamicPacked" : "QuantizeDynamic";
  internal::CheckLayout(layout, function);
  internal::CheckDynamicSpec(spec, out, layout, code, function);
  const size_t n = layout.NumElements();
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPointer(q, n, function, internal::CodesName(code));
  if (n == 0) return;
  const GroupParams p = internal::ParamsOf(spec, out);
  internal::LayoutJob job = internal::MakeJob(layout, p, spec.mode);
  job.out = out;
  job.function = function;
  std::vector<float> factor;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerRow ||
      layout.granularity == Granularity::kPerGroup) {
    job.spec = &spec;  // chosen group by group, in the quantize pass
  } else if (layout.granularity == Granularity::kPerTensor) {
    MinMaxResult r;
    MinMax(x, type, layout, &r);
    internal::ChooseGroupParams(r.min, r.max, spec, out, 0, function);
  } else {
    // Column ranges a tile at a time: extra memory independent of the size.
    // A last tile narrower than a vector joins the one before it.
    constexpr size_t kTile = 1024;
    MinMaxResult ranges[kTile + internal::kColumnPadding];
    for (size_t first = 0, count; first < layout.cols; first += count) {
      count = layout.cols - first;
      if (count > kTile + internal::kColumnPadding) count = kTile;
      internal::ColumnRanges(x, type, layout.rows, layout.cols, first, count,
                             ranges);
      for (size_t k = 0; k < count; ++k) {
        internal::ChooseGroupParams(ranges[k].min, ranges[k].max, spec, out,
                                    first + k, function);
      }
    }
    internal::AllocateColumnWindow(&factor, &zero_point, &job);
  }
  SIMDQUANT_DISPATCH(QuantizeLayoutImpl)(x, type, job, q, code);
}


}  // namespace detail
}  // namespace simdquant
#endif  // HWY_ONCE
