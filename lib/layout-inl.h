// Per-target building blocks of the kernels over layouts (tensor.h):
// per-group batches, the packed block size and the type switches. Included
// once per target by each layout unit (after foreach_target.h), hence the
// toggle guard.
#if defined(SIMDQUANT_LIB_LAYOUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_LAYOUT_INL_H_
#undef SIMDQUANT_LIB_LAYOUT_INL_H_
#else
#define SIMDQUANT_LIB_LAYOUT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <limits>
#include <type_traits>

#include "hwy/highway.h"
#include "lib/convert-inl.h"
#include "lib/internal.h"
#include "lib/range-inl.h"
#include "simdquant/tensor.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// internal::FlushesSubnormals per lane of factor (the scale when divide).
template <class DF>
HWY_INLINE hn::Mask<DF> FlushesSubnormals(DF df, hn::Vec<DF> factor,
                                          bool divide) {
  return divide ? hn::Ge(factor, hn::Set(df, internal::kFlushMinScale))
                : hn::Le(factor, hn::Set(df, internal::kFlushMaxFactor));
}

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
inline bool BatchesGroups(const Layout& layout) {
  return layout.granularity == Granularity::kPerGroup &&
         layout.group_size % hn::Lanes(hn::ScalableTag<float>()) == 0;
}

// Parameter sets [k0, k0 + count) of p, padded to kGroupBatch with scale 1
// and zero point 0: scales as float32, zero points.
struct BatchParams {
  HWY_ALIGN float scale[kGroupBatch];
  HWY_ALIGN int32_t zero_point[kGroupBatch];
};

inline void LoadBatchParams(const GroupParams& p, size_t k0, size_t count,
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


// ---------------------------------------------------------------------------
// Per column: the factors (scale, or 1 / scale in reciprocal mode) and zero
// points of a window of columns, in the job's bounded buffers, so that extra
// memory does not grow with the tensor. When the buffers hold two rows or
// more, entry j is column j % cols, filled once: one window serves every row
// and a run crosses rows, which narrow tensors (3 columns, 1 column) need to
// fill whole vectors. Wider rows refill the window as runs move along them
// (one division per column per row in reciprocal mode, past 16384 columns).
class ColumnWindow {
 public:
  explicit ColumnWindow(const internal::LayoutJob& job) : job_(job) {
    const size_t cols = job.layout.cols;
    if (job.layout.granularity != Granularity::kPerColumn) return;
    repeats_ = job.column_capacity >= 2 * cols;
    if (!repeats_) return;  // filled by the first run
    Fill(0, cols);
    // Doubling copies of the first row up to the capacity.
    for (size_t filled = cols; filled < job.column_capacity;) {
      const size_t count = HWY_MIN(filled, job.column_capacity - filled);
      memcpy(job.column_factor + filled, job.column_factor,
             count * sizeof(float));
      memcpy(job.column_zero_point + filled, job.column_zero_point,
             count * sizeof(int32_t));
      filled += count;
    }
    Pad(job.column_capacity);
    first_ = 0;
    length_ = job.column_capacity;
  }

  // Calls run(start, count, factor, zero_point) for consecutive runs that
  // cover elements [begin, end) of the tensor; factor[j] and zero_point[j]
  // are those of element start + j, and kColumnPadding entries (1 and 0)
  // follow the run's last, so that whole vectors may be loaded past it.
  template <class Run>
  void ForEachRun(size_t begin, size_t end, const Run& run) {
    const size_t cols = job_.layout.cols;
    size_t col = begin % cols;
    while (begin != end) {
      if (!repeats_ && (col < first_ || col >= first_ + length_)) {
        Fill(col, HWY_MIN(job_.column_capacity, cols - col));
      }
      const size_t count = HWY_MIN(end - begin, first_ + length_ - col);
      run(begin, count, job_.column_factor + (col - first_),
          job_.column_zero_point + (col - first_));
      begin += count;
      col = (col + count) % cols;
    }
  }

  // Every column of the window flushes subnormals (quantize: see
  // internal::FlushesSubnormals).
  bool Flushes() const { return flushes_; }

 private:
  // Entries [0, length) = columns [first, first + length), then the padding.
  void Fill(size_t first, size_t length) {
    const hn::ScalableTag<float> df;
    const hn::RebindToSigned<decltype(df)> di;
    const size_t N = hn::Lanes(df);
    const GroupParams& p = job_.params;
    const bool reciprocal = job_.mode == QuantizeMode::kReciprocal;
    float* HWY_RESTRICT factor = job_.column_factor;
    int32_t* HWY_RESTRICT zero_point = job_.column_zero_point;
    // FlushesSubnormals of every column, in the same pass.
    auto flushes = hn::FirstN(df, N);
    flushes_ = true;
    size_t j = 0;
    for (; j + N <= length; j += N) {
      const size_t c = first + j;
      const auto scale = p.scales != nullptr ? hn::LoadU(df, p.scales + c)
                                             : LoadF32(df, p.scales_f16 + c);
      const auto f = reciprocal ? hn::Div(hn::Set(df, 1.0f), scale) : scale;
      flushes = hn::And(flushes, FlushesSubnormals(df, f, !reciprocal));
      hn::StoreU(f, df, factor + j);
      hn::StoreU(p.zero_points != nullptr ? hn::LoadU(di, p.zero_points + c)
                                          : hn::Zero(di),
                 di, zero_point + j);
    }
    for (; j < length; ++j) {
      const float scale = internal::ScaleAt(p, first + j);
      factor[j] = reciprocal ? 1.0f / scale : scale;
      zero_point[j] = internal::ZeroPointAt(p, first + j);
      flushes_ &= internal::FlushesSubnormals(factor[j], !reciprocal);
    }
    flushes_ &= hn::AllTrue(df, flushes);
    Pad(length);
    first_ = first;
    length_ = length;
  }

  void Pad(size_t length) {
    for (size_t j = length; j < length + internal::kColumnPadding; ++j) {
      job_.column_factor[j] = 1.0f;
      job_.column_zero_point[j] = 0;
    }
  }

  const internal::LayoutJob& job_;
  bool repeats_ = false;
  bool flushes_ = false;
  size_t first_ = 0, length_ = 0;  // the window: columns [first_, + length_)
};


// Codes go through a block of this many bytes on the stack (L1) on their
// way to and from the packed stream: a multiple of 8 codes, so every block
// starts on a byte boundary of the stream.
constexpr size_t kBlockCodes = 1024;

// T8: uint8_t or int8_t, the signedness of the codes.

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

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
