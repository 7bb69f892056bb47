// Quantization error metrics (MSE, max |error|, SQNR) without storing codes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/error.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <string.h>

#include <vector>

#include "hwy/highway.h"
#include "lib/quantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The sums of one stripe x[0, n), n <= internal::kErrorStripe.
template <bool kDivide, bool kFlush>
void StripeSumsT(const float* HWY_RESTRICT x, size_t n,
                 const internal::QuantizeConstants& constants, float scale,
                 internal::StripeSums* out) {
  // Errors are accumulated in double, so work on as many floats as a vector
  // holds doubles: each float vector converts to exactly one double vector.
  using DD = hn::ScalableTag<double>;
  using DF = hn::Rebind<float, DD>;
  using VD = hn::Vec<DD>;
  const DD dd;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const QuantizeVectors<DF> c(df, constants);
  const auto vzero_point = hn::Set(di, constants.zero_point);
  const auto vscale = hn::Set(df, scale);

  // The sums' order is the same on every target: element i goes to partial
  // sum i % kSumLanes, held by lane i % L of accumulator (i / L) % kVectors,
  // and ReduceSumLanes adds the partial sums in a fixed order.
  constexpr size_t L = hn::MaxLanes(DD());
  constexpr size_t kVectors = internal::kSumLanes / L;
  static_assert(kVectors * L == internal::kSumLanes, "L divides 16");
  VD sum_e2[kVectors], sum_x2[kVectors];
  for (size_t k = 0; k < kVectors; ++k) {
    sum_e2[k] = hn::Zero(dd);
    sum_x2[k] = hn::Zero(dd);
  }
  auto max_e = hn::Zero(dd);

  // One block of kSumLanes elements.
  const auto accumulate_block = [&](const float* HWY_RESTRICT p) {
    for (size_t k = 0; k < kVectors; ++k) {
      const auto xf = hn::LoadU(df, p + k * L);
      const auto codes = QuantizeVec<kDivide, kFlush>(df, c, xf);
      const auto deq = DequantizeVec(df, codes, vzero_point, vscale);
      const auto xd = hn::PromoteTo(dd, xf);
      const auto e = hn::Sub(xd, hn::PromoteTo(dd, deq));
      // Mul then Add, never MulAdd: FMA exists on some targets only.
      sum_e2[k] = hn::Add(sum_e2[k], hn::Mul(e, e));
      sum_x2[k] = hn::Add(sum_x2[k], hn::Mul(xd, xd));
      max_e = hn::Max(max_e, hn::Abs(e));
    }
  };

  size_t i = 0;
  for (; i + internal::kSumLanes <= n; i += internal::kSumLanes) {
    accumulate_block(x + i);
  }
  if (i != n) {
    // Zero padding adds exactly nothing: 0 quantizes to the zero point, which
    // dequantizes to 0, and s + 0 == s.
    float padded[internal::kSumLanes] = {};
    memcpy(padded, x + i, (n - i) * sizeof(float));
    accumulate_block(padded);
  }

  for (size_t k = 0; k < kVectors; ++k) {
    hn::StoreU(sum_e2[k], dd, out->e2 + k * L);
    hn::StoreU(sum_x2[k], dd, out->x2 + k * L);
  }
  out->max_abs_error = hn::GetLane(hn::MaxOfLanes(dd, max_e));
}

void ErrorStripesImpl(const float* x, size_t n,
                      const internal::QuantizeConstants& c, float scale,
                      internal::StripeSums* out) {
  // Subnormal x without a subnormal multiply (internal::FlushesSubnormals).
  const auto stripe = c.flush ? (c.divide ? StripeSumsT<true, true>
                                          : StripeSumsT<false, true>)
                              : (c.divide ? StripeSumsT<true, false>
                                          : StripeSumsT<false, false>);
  for (size_t i = 0; i < n; i += internal::kErrorStripe, ++out) {
    stripe(x + i, HWY_MIN(internal::kErrorStripe, n - i), c, scale, out);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(ErrorStripesImpl);

void internal::ErrorStripes(const float* x, size_t n, const QuantParams& p,
                            QuantizeMode mode, StripeSums* out) {
  SIMDQUANT_DISPATCH(ErrorStripesImpl)(
      x, n, internal::MakeQuantizeConstants(p, mode), p.scale, out);
}

ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode) {
  internal::CheckParams(p, "MeasureError");
  internal::CheckMode(mode, "MeasureError");
  internal::CheckNonEmpty(n, "MeasureError");
  internal::CheckPointer(x, n, "MeasureError", "x");
  // Up to one stripe (the calibrators' and most callers' sizes) without a
  // heap allocation.
  const size_t count = internal::NumStripes(n);
  internal::StripeSums one;
  std::vector<internal::StripeSums> many(count > 1 ? count : 0);
  internal::StripeSums* stripes = count > 1 ? many.data() : &one;
  internal::ErrorStripes(x, n, p, mode, stripes);
  return internal::FinishErrorStats(internal::SumStripes(stripes, count), n);
}

}  // namespace simdquant
#endif  // HWY_ONCE
