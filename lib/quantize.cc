// Quantize kernels: float32 -> codes in u8/i8/u16/i16, both rounding modes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/quantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "lib/quantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T>
void QuantizeTo(const float* x, size_t n,
                  const internal::QuantizeConstants& c, T* q) {
  if (c.divide) {
    QuantizeRun<true>(x, n, c, q);
  } else {
    QuantizeRun<false>(x, n, c, q);
  }
}

void QuantizeAny(const float* x, size_t n, const internal::QuantizeConstants& c,
                 void* q, internal::Container container) {
  switch (container) {
    case internal::Container::kU8:
      return QuantizeTo(x, n, c, static_cast<uint8_t*>(q));
    case internal::Container::kI8:
      return QuantizeTo(x, n, c, static_cast<int8_t*>(q));
    case internal::Container::kU16:
      return QuantizeTo(x, n, c, static_cast<uint16_t*>(q));
    case internal::Container::kI16:
      return QuantizeTo(x, n, c, static_cast<int16_t*>(q));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(QuantizeAny);

namespace {
template <typename T>
void QuantizeChecked(const float* x, size_t n, const QuantParams& p, T* q,
                     QuantizeMode mode) {
  internal::CheckParamsFor<T>(p, "Quantize");
  internal::CheckPointer(x, n, "Quantize", "x");
  internal::CheckPointer(q, n, "Quantize", "q");
  internal::CheckMode(mode, "Quantize");
  if (n == 0) return;
  SIMDQUANT_DISPATCH(QuantizeAny)
  (x, n, internal::MakeQuantizeConstants(p, mode), q,
   internal::ContainerOf<T>());
}
}  // namespace

#define SIMDQUANT_QUANTIZE(T)                                             \
  void Quantize(const float* x, size_t n, const QuantParams& p, T* q,     \
                QuantizeMode mode) {                                      \
    QuantizeChecked(x, n, p, q, mode);                                    \
  }
SIMDQUANT_FOR_EACH_CONTAINER(SIMDQUANT_QUANTIZE)
#undef SIMDQUANT_QUANTIZE

}  // namespace simdquant
#endif  // HWY_ONCE
