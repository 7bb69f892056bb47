// Dequantize kernels: codes in u8/i8/u16/i16 -> float32.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/dequantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/quantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls body(i) for every i = 0, N, 2N, ... with i + N <= n, four vectors
// per iteration (the compiler does not unroll these loops by itself, and the
// loop overhead costs as much as the work at L1/L2 sizes). Returns the first
// index not covered.
template <class Body>
HWY_INLINE size_t ForWholeVectors(size_t n, size_t N, const Body& body) {
  size_t i = 0;
  if (n >= 4 * N) {
    for (; i <= n - 4 * N; i += 4 * N) {
      body(i);
      body(i + N);
      body(i + 2 * N);
      body(i + 3 * N);
    }
  }
  for (; i + N <= n; i += N) body(i);
  return i;
}

template <typename T>
void DequantizeT(const T* HWY_RESTRICT q, size_t n, int32_t zero_point,
                 float scale, float* HWY_RESTRICT x) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<T, decltype(df)> dt;
  const auto vzero_point = hn::Set(di, zero_point);
  const auto vscale = hn::Set(df, scale);
  const size_t N = hn::Lanes(df);
  const auto vector_body = [&](const T* HWY_RESTRICT in,
                               float* HWY_RESTRICT out) {
    const auto codes = hn::PromoteTo(di, hn::LoadU(dt, in));
    hn::StoreU(DequantizeVec(df, codes, vzero_point, vscale), df, out);
  };
  const size_t i = ForWholeVectors(
      n, N, [&](size_t j) { vector_body(q + j, x + j); });
  if (i != n) ForTail(df, q + i, n - i, x + i, vector_body);
}

void DequantizeAny(const void* q, size_t n, int32_t zero_point, float scale,
                   float* x, internal::Container container) {
  switch (container) {
    case internal::Container::kU8:
      return DequantizeT(static_cast<const uint8_t*>(q), n, zero_point, scale,
                         x);
    case internal::Container::kI8:
      return DequantizeT(static_cast<const int8_t*>(q), n, zero_point, scale,
                         x);
    case internal::Container::kU16:
      return DequantizeT(static_cast<const uint16_t*>(q), n, zero_point,
                         scale, x);
    case internal::Container::kI16:
      return DequantizeT(static_cast<const int16_t*>(q), n, zero_point, scale,
                         x);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(DequantizeAny);

namespace {
template <typename T>
void DequantizeChecked(const T* q, size_t n, const QuantParams& p, float* x) {
  internal::InitDispatch();
  internal::CheckParamsFor<T>(p, "Dequantize");
  internal::CheckPointer(q, n, "Dequantize", "q");
  internal::CheckPointer(x, n, "Dequantize", "x");
  if (n == 0) return;
  HWY_DYNAMIC_DISPATCH(DequantizeAny)
  (q, n, p.zero_point, p.scale, x, internal::ContainerOf<T>());
}
}  // namespace

#define SIMDQUANT_DEQUANTIZE(T)                                          \
  void Dequantize(const T* q, size_t n, const QuantParams& p, float* x) { \
    DequantizeChecked(q, n, p, x);                                       \
  }
SIMDQUANT_FOR_EACH_CONTAINER(SIMDQUANT_DEQUANTIZE)
#undef SIMDQUANT_DEQUANTIZE

}  // namespace simdquant
#endif  // HWY_ONCE
