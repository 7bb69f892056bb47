// float32 <-> bfloat16 / float16 arrays (tensor.h's ConvertToF32 and
// ConvertFromF32): the loads and stores every kernel uses (convert-inl.h,
// quantize-inl.h), on their own.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <type_traits>

#include "hwy/highway.h"
#include "lib/quantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename TIn, typename TOut>
HWY_INLINE void ConvertRun(const TIn* HWY_RESTRICT x, size_t n,
                           TOut* HWY_RESTRICT y) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  if (n < N) {  // a lane at a time: no buffer round trip for a few values
    const hn::CappedTag<float, 1> d1;
    for (size_t i = 0; i < n; ++i) {
      StoreF32(d1, QuietNaNOfSign(d1, LoadF32(d1, x + i)), y + i);
    }
    return;
  }
  const auto vector_body = [&](const TIn* HWY_RESTRICT in,
                               TOut* HWY_RESTRICT out) {
    // The kernels' loads keep NaN payloads (they only ask "is it NaN");
    // the conversion's contract is the reference's quiet NaN of its sign.
    StoreF32(df, QuietNaNOfSign(df, LoadF32(df, in)), out);
  };
  const size_t i =
      ForWholeVectors(n, N, [&](size_t j) { vector_body(x + j, y + j); });
  if (i != n) ForTail(df, x + i, n - i, y + i, vector_body);
}

// to_f32: 16-bit x widened into float y; else float x narrowed into y.
void ConvertAny(const void* x, size_t n, void* y, detail::FloatType type,
                bool to_f32) {
  const auto run = [&](auto* tag) {
    using T16 = std::remove_pointer_t<decltype(tag)>;
    if (to_f32) {
      ConvertRun(static_cast<const T16*>(x), n, static_cast<float*>(y));
    } else {
      ConvertRun(static_cast<const float*>(x), n, static_cast<T16*>(y));
    }
  };
  if (type == detail::FloatType::kBF16) {
    run(static_cast<hwy::bfloat16_t*>(nullptr));
  } else {
    run(static_cast<hwy::float16_t*>(nullptr));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(ConvertAny);

namespace {
void ConvertChecked(const void* x, size_t n, void* y, detail::FloatType type,
                    bool to_f32, const char* function) {
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPointer(y, n, function, "y");
  if (n == 0) return;
  SIMDQUANT_DISPATCH(ConvertAny)(x, n, y, type, to_f32);
}
}  // namespace

void ConvertToF32(const hwy::bfloat16_t* x, size_t n, float* y) {
  ConvertChecked(x, n, y, detail::FloatType::kBF16, true, "ConvertToF32");
}
void ConvertToF32(const hwy::float16_t* x, size_t n, float* y) {
  ConvertChecked(x, n, y, detail::FloatType::kF16, true, "ConvertToF32");
}
void ConvertFromF32(const float* x, size_t n, hwy::bfloat16_t* y) {
  ConvertChecked(x, n, y, detail::FloatType::kBF16, false, "ConvertFromF32");
}
void ConvertFromF32(const float* x, size_t n, hwy::float16_t* y) {
  ConvertChecked(x, n, y, detail::FloatType::kF16, false, "ConvertFromF32");
}

}  // namespace simdquant
#endif  // HWY_ONCE
