// Quantization error metrics (MSE, max |error|, SQNR) without storing codes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/error.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <string.h>

#include "hwy/highway.h"
#include "lib/quantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <bool kDivide>
internal::ErrorSums ErrorSumsT(const float* HWY_RESTRICT x, size_t n,
                               const internal::QuantizeConstants& constants,
                               float scale) {
  // Errors are accumulated in double, so work on as many floats as a vector
  // holds doubles: each float vector converts to exactly one double vector.
  using DD = hn::ScalableTag<double>;
  using DF = hn::Rebind<float, DD>;
  const DD dd;
  const DF df;
  const hn::RebindToSigned<DF> di;
  const QuantizeVectors<DF> c(df, constants);
  const auto vzero_point = hn::Set(di, constants.zero_point);
  const auto vscale = hn::Set(df, scale);
  const size_t N = hn::Lanes(df);

  // Two sets of accumulators hide the latency of the double adds.
  auto sum_e2_0 = hn::Zero(dd), sum_e2_1 = hn::Zero(dd);
  auto sum_x2_0 = hn::Zero(dd), sum_x2_1 = hn::Zero(dd);
  auto max_e_0 = hn::Zero(dd), max_e_1 = hn::Zero(dd);

  using VD = hn::Vec<DD>;
  const auto accumulate = [&](const float* HWY_RESTRICT p, VD& sum_e2,
                              VD& sum_x2, VD& max_e) {
    const auto xf = hn::LoadU(df, p);
    const auto codes = QuantizeVec<kDivide>(df, c, xf);
    const auto deq = DequantizeVec(df, codes, vzero_point, vscale);
    const auto xd = hn::PromoteTo(dd, xf);
    const auto e = hn::Sub(xd, hn::PromoteTo(dd, deq));
    // Mul then Add, never MulAdd: FMA exists on some targets only.
    sum_e2 = hn::Add(sum_e2, hn::Mul(e, e));
    sum_x2 = hn::Add(sum_x2, hn::Mul(xd, xd));
    max_e = hn::Max(max_e, hn::Abs(e));
  };

  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    accumulate(x + i, sum_e2_0, sum_x2_0, max_e_0);
    accumulate(x + i + N, sum_e2_1, sum_x2_1, max_e_1);
  }
  for (; i + N <= n; i += N) accumulate(x + i, sum_e2_0, sum_x2_0, max_e_0);
  if (i != n) {
    // Zero padding adds nothing: 0 quantizes to the zero point, which
    // dequantizes to exactly 0.
    HWY_ALIGN float padded[hn::MaxLanes(df)] = {};
    memcpy(padded, x + i, (n - i) * sizeof(float));
    accumulate(padded, sum_e2_0, sum_x2_0, max_e_0);
  }

  internal::ErrorSums sums;
  sums.sum_sq_error =
      hn::GetLane(hn::SumOfLanes(dd, hn::Add(sum_e2_0, sum_e2_1)));
  sums.sum_sq_signal =
      hn::GetLane(hn::SumOfLanes(dd, hn::Add(sum_x2_0, sum_x2_1)));
  sums.max_abs_error =
      hn::GetLane(hn::MaxOfLanes(dd, hn::Max(max_e_0, max_e_1)));
  // e is NaN exactly where x is (NaN quantizes to the zero point; +-Inf gives
  // an infinite, not NaN, error), and a sum of squares is NaN exactly when
  // some x is NaN: no need to track NaN per lane.
  sums.any_nan = sums.sum_sq_signal != sums.sum_sq_signal;
  return sums;
}

internal::ErrorSums ErrorSumsImpl(const float* x, size_t n,
                                  const internal::QuantizeConstants& c,
                                  float scale) {
  return c.divide ? ErrorSumsT<true>(x, n, c, scale)
                  : ErrorSumsT<false>(x, n, c, scale);
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(ErrorSumsImpl);

ErrorStats MeasureError(const float* x, size_t n, const QuantParams& p,
                        QuantizeMode mode) {
  internal::InitDispatch();
  internal::CheckParams(p, "MeasureError");
  internal::CheckMode(mode, "MeasureError");
  internal::CheckNonEmpty(n, "MeasureError");
  internal::CheckPointer(x, n, "MeasureError", "x");
  const internal::ErrorSums sums = HWY_DYNAMIC_DISPATCH(ErrorSumsImpl)(
      x, n, internal::MakeQuantizeConstants(p, mode), p.scale);
  return internal::FinishErrorStats(sums, n);
}

}  // namespace simdquant
#endif  // HWY_ONCE
