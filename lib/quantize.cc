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

template <bool kDivide, typename T>
void QuantizeT(const float* HWY_RESTRICT x, size_t n,
               const internal::QuantizeConstants& constants,
               T* HWY_RESTRICT q) {
  using DF = hn::ScalableTag<float>;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const QuantizeVectors<DF> c(df, constants);
  const size_t N = hn::Lanes(df);
  const auto vector_body = [&](const float* HWY_RESTRICT in,
                               T* HWY_RESTRICT out) {
    StoreCodes(di, QuantizeVec<kDivide>(df, c, hn::LoadU(df, in)), out);
  };
  size_t i = 0;
  if (n >= 4 * N) {
    for (; i <= n - 4 * N; i += 4 * N) {
      const auto load = [&](size_t k) {
        return QuantizeVec<kDivide>(df, c, hn::LoadU(df, x + i + k * N));
      };
      StoreCodes4(di, load(0), load(1), load(2), load(3), q + i);
    }
  }
  for (; i + N <= n; i += N) vector_body(x + i, q + i);
  if (i != n) ForTail(df, x + i, n - i, q + i, vector_body);
}

template <typename T>
void QuantizeTo(const float* x, size_t n,
                  const internal::QuantizeConstants& c, T* q) {
  if (c.divide) {
    QuantizeT<true>(x, n, c, q);
  } else {
    QuantizeT<false>(x, n, c, q);
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
  internal::InitDispatch();
  internal::CheckParamsFor<T>(p, "Quantize");
  internal::CheckPointer(x, n, "Quantize", "x");
  internal::CheckPointer(q, n, "Quantize", "q");
  internal::CheckMode(mode, "Quantize");
  if (n == 0) return;
  HWY_DYNAMIC_DISPATCH(QuantizeAny)
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
