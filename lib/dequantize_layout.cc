// Dequantize and DequantizePacked over layouts (tensor.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/dequantize_layout.cc"
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
// Dequantize

// A run with its own parameters per element (per column: ColumnWindow); the
// arrays are padded, so the tail may load a whole vector.
template <typename T, typename TOut>
HWY_NOINLINE void DequantizeColumns(const T* HWY_RESTRICT q, size_t n,
                                    const float* HWY_RESTRICT scale,
                                    const int32_t* HWY_RESTRICT zero_point,
                                    TOut* HWY_RESTRICT y) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<T, decltype(df)> dt;
  const size_t N = hn::Lanes(df);
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
                    ColumnWindow& columns, TOut* y) {
  if (job.layout.granularity == Granularity::kPerColumn) {
    return columns.ForEachRun(begin, end, [&](size_t start, size_t count,
                                              const float* scale,
                                              const int32_t* zero_point) {
      DequantizeColumns(q + (start - begin), count, scale, zero_point,
                        y + start);
    });
  }
  const auto part = [&](size_t start, size_t count, size_t k, size_t) {
    const T* in = q + (start - begin);
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
  ColumnWindow columns(job);
  for (size_t begin = 0; begin < n; begin += kBlockCodes) {
    const size_t end = HWY_MIN(n, begin + kBlockCodes);
    HWY_ALIGN T8 codes[kBlockCodes];
    const size_t offset = begin / 8 * static_cast<size_t>(bits);
    UnpackAnyBits<hwy::IsSigned<T8>()>(bits, packed + offset, total - offset,
                                       end - begin,
                                       reinterpret_cast<uint8_t*>(codes));
    DequantizeSpan(codes, begin, end, job, columns, y);
  }
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
        ColumnWindow columns(job);
        DequantizeSpan(static_cast<const T*>(q), 0, job.layout.NumElements(),
                       job, columns, out);
      }
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(DequantizeLayoutImpl);

namespace detail {

void Dequantize(const void* q, CodeType code, const Layout& layout,
                const GroupParams& p, void* y, FloatType type) {
  const char* function =
      code == CodeType::kPacked ? "DequantizePacked" : "Dequantize";
  internal::CheckLayout(layout, function);
  internal::CheckGroupParams(p, layout, code, function,
                             internal::GroupSetsValid);
  const size_t n = layout.NumElements();
  internal::CheckPointer(q, n, function, internal::CodesName(code));
  internal::CheckPointer(y, n, function, "y");
  if (n == 0) return;
  internal::LayoutJob job = internal::MakeJob(layout, p, QuantizeMode::kDivide);
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  if (layout.granularity == Granularity::kPerColumn) {
    internal::AllocateColumnWindow(&scale, &zero_point, &job);
  }
  SIMDQUANT_DISPATCH(DequantizeLayoutImpl)(q, code, job, y, type);
}

}  // namespace detail
}  // namespace simdquant
#endif  // HWY_ONCE
