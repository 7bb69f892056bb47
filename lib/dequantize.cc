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

void DequantizeAny(const void* q, size_t n, int32_t zero_point, float scale,
                   float* x, internal::Container container) {
  switch (container) {
    case internal::Container::kU8:
      return DequantizeRun(static_cast<const uint8_t*>(q), n, zero_point, scale,
                         x);
    case internal::Container::kI8:
      return DequantizeRun(static_cast<const int8_t*>(q), n, zero_point, scale,
                         x);
    case internal::Container::kU16:
      return DequantizeRun(static_cast<const uint16_t*>(q), n, zero_point,
                         scale, x);
    case internal::Container::kI16:
      return DequantizeRun(static_cast<const int16_t*>(q), n, zero_point, scale,
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
  internal::CheckParamsFor<T>(p, "Dequantize");
  internal::CheckPointer(q, n, "Dequantize", "q");
  internal::CheckPointer(x, n, "Dequantize", "x");
  if (n == 0) return;
  SIMDQUANT_DISPATCH(DequantizeAny)
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
