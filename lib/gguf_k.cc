// GGUF searching encoders (gguf.h): ggml's scale searches with one
// sub-block per lane, for the K-quants and, with importance weights
// (gguf::EncodeRows), for every format. Each lane runs the scalar search of
// ggml's quantize_row_<type>_ref or quantize_row_<type>_impl
// (make_qkx2/qkx3_quants, make_qx_quants, make_q3_quants) step by step, in
// its order of float32 operations, on its own sub-block: the sub-blocks of
// a batch (and their weights) are transposed so that vector i holds element
// i of every sub-block. ggml's early exits become per-lane masks. The
// super-block's scales and the code packing are the shared steps of
// lib/reference_gguf.cc; each sub-block's final codes are computed a vector
// of elements at a time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/gguf_k.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "hwy/highway.h"
#include "lib/convert-inl.h"
#include "lib/gguf_k_layout.h"
#include "lib/internal.h"
#include "lib/layout-inl.h"  // VisitFloatType
#include "lib/quantize-inl.h"  // StoreF32
#include "lib/range-inl.h"  // TransposeSquare
#include "simdquant/gguf.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using gguf::BlockType;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;
using DI = hn::RebindToSigned<DF>;
using MF = hn::Mask<DF>;

// Vectors of sub-blocks that SearchLanes takes at once: FitQ3's chains
// (latency-bound) interleave four vectors, FitAffine's (closer to their
// bound on operations) two; a third or fourth gained nothing there.
constexpr size_t kSearchVectors = 4;
constexpr size_t kAffineVectors = 2;
static_assert(kSearchVectors % kAffineVectors == 0, "whole pairs");
// Sub-blocks per batch: a whole number of kSearchVectors vectors and of
// super-blocks.
constexpr size_t kBatchSubBlocks =
    HWY_MAX(16, kSearchVectors * hn::MaxLanes(DF()));

// ggml's nearest_int (see reference::NearestInt), as a float.
HWY_INLINE hn::Vec<DI> GgmlNearestInt(VF v) {
  const DF df;
  const DI di;
  const auto biased = hn::BitCast(di, hn::Add(v, hn::Set(df, 12582912.0f)));
  return hn::Sub(hn::And(biased, hn::Set(di, 0x007FFFFF)),
                 hn::Set(di, 0x00400000));
}
HWY_INLINE VF ClampedCode(VF v, int32_t lo, int32_t hi) {
  const DF df;
  const DI di;
  const auto l = hn::Min(hn::Max(GgmlNearestInt(v), hn::Set(di, lo)), hn::Set(di, hi));
  return hn::ConvertTo(df, l);
}
// ClampedCode where |v| < 2^22 in every lane that matters: there ggml's
// nearest_int is rounding to nearest even (one instruction on SSE4 and up,
// where ClampedCode takes six).
// A clamp that no product can reach (RoundsAtLeast, RoundsAtMost) is left
// out with kClampBelow / kClampAbove false.
template <bool kClampBelow = true, bool kClampAbove = true>
HWY_INLINE VF ClampedRound(VF v, VF lo, VF hi) {
  VF code = hn::Round(v);
  if (kClampBelow) code = hn::Max(code, lo);
  if (kClampAbove) code = hn::Min(code, hi);
  return code;
}
// Whether every product v between a and b rounds to at most hi (at least
// lo) in every lane not `ignore`: then a trial's clamp to that bound is
// idle. Rounded subtraction and multiplication are monotonic, so a trial's
// products lie between those of its lanes' two extreme elements.
HWY_INLINE bool RoundsAtMost(float hi, VF a, VF b, MF ignore) {
  const DF df;
  return hn::AllTrue(df, hn::Or(ignore, hn::Lt(hn::Max(a, b), hn::Set(df, hi + 0.5f))));
}
HWY_INLINE bool RoundsAtLeast(float lo, VF a, VF b, MF ignore) {
  const DF df;
  return hn::AllTrue(df, hn::Or(ignore, hn::Gt(hn::Min(a, b), hn::Set(df, lo - 0.5f))));
}

// The transposed sub-blocks of one vector of lanes: x[i * N + g] is element
// i of sub-block g; codes[] likewise (as floats), trial[] is scratch for
// a trial's codes (FitAffine).
struct Lanes {
  const float* x;
  float* w;  // weights (LaneWeights fills them)
  float* wx;  // w * x (scratch of the symmetric searches)
  float* codes;
  float* trial;
  size_t sub;  // elements per sub-block
};

// The affine search per lane (reference::FitAffine) on K vectors of
// sub-blocks at once: each trial is a serial chain (its codes' sums, then
// the error of their fit, then the next trial's range), and K independent
// chains interleave. Writes the scales and neg_min = -min of vector k to
// scale[k] and neg_min[k].
template <size_t K>
void FitAffine(const internal::AffineSearch& s, const Lanes* t, VF* scale,
               VF* neg_min) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const size_t sub = t[0].sub;
  const VF zero = hn::Zero(df);
  const VF code_max = hn::Set(df, static_cast<float>(s.nmax));
  const VF round_limit = hn::Set(df, 4194304.0f);  // 2^22
  VF min[K], max[K], sum_w[K], sum_x[K], first_min[K], best_error[K];
  MF flat[K];  // max == min: ggml returns early, codes 0, scale 0
  for (size_t k = 0; k < K; ++k) {
    min[k] = max[k] = hn::Load(df, t[k].x);
    sum_w[k] = hn::Load(df, t[k].w);
    sum_x[k] = hn::Mul(sum_w[k], min[k]);
  }
  for (size_t i = 1; i < sub; ++i) {
    for (size_t k = 0; k < K; ++k) {
      const VF x = hn::Load(df, t[k].x + i * N), w = hn::Load(df, t[k].w + i * N);
      min[k] = hn::IfThenElse(hn::Lt(x, min[k]), x, min[k]);
      max[k] = hn::IfThenElse(hn::Gt(x, max[k]), x, max[k]);
      sum_w[k] = hn::Add(sum_w[k], w);
      sum_x[k] = hn::Add(sum_x[k], hn::Mul(w, x));
    }
  }
  // The weighted errors of scale[k] * code + origin[k], codes at codes[k].
  const auto errors_of = [&](const VF* scales, const VF* origin,
                             float* const* codes, VF* error) {
    for (size_t k = 0; k < K; ++k) error[k] = zero;
    for (size_t i = 0; i < sub; ++i) {
      for (size_t k = 0; k < K; ++k) {
        const VF x = hn::Load(df, t[k].x + i * N), w = hn::Load(df, t[k].w + i * N);
        VF diff = hn::Sub(
            hn::Add(hn::Mul(scales[k], hn::Load(df, codes[k] + i * N)), origin[k]), x);
        diff = s.use_mad ? hn::Abs(diff) : hn::Mul(diff, diff);
        error[k] = hn::Add(error[k], hn::Mul(w, diff));
      }
    }
  };
  // The kept codes are ClampedCode(code_iscale (x - code_min)): they are
  // computed once at the end, where copying every better trial's codes cost
  // 13% of Q4_K's encoding (0.72 -> 0.83 GB/s without).
  float* trials[K];
  VF code_iscale[K], code_min[K];
  // ggml's code of element i of vector k from iscale and a min (exact for
  // any product, see ClampedRound).
  const auto affine_code = [&](size_t k, size_t i, VF iscale, VF from) {
    const VF x = hn::Load(df, t[k].x + i * N);
    return ClampedCode(hn::Mul(iscale, hn::Sub(x, from)), 0, s.nmax);
  };
  for (size_t k = 0; k < K; ++k) {
    trials[k] = t[k].trial;
    min[k] = hn::IfThenElse(hn::Gt(min[k], zero), zero, min[k]);
    first_min[k] = code_min[k] = min[k];
    flat[k] = hn::Eq(max[k], min[k]);
    code_iscale[k] = hn::Div(code_max, hn::Sub(max[k], min[k]));
    scale[k] = hn::Div(hn::Set(df, 1.0f), code_iscale[k]);
    for (size_t i = 0; i < sub; ++i) {
      hn::Store(affine_code(k, i, code_iscale[k], min[k]), df, trials[k] + i * N);
    }
  }
  errors_of(scale, min, trials, best_error);
  for (int is = 0; is <= s.nstep; ++is) {
    const float factor = s.rmin + s.rdelta * static_cast<float>(is) +
                         static_cast<float>(s.nmax);
    VF iscale[K], sum_l[K], sum_l2[K], sum_xl[K];
    bool rounds = true, below_max = true;
    for (size_t k = 0; k < K; ++k) {
      // The range from the latest kept min, as ggml.
      iscale[k] = hn::Div(hn::Set(df, factor), hn::Sub(max[k], min[k]));
      sum_l[k] = sum_l2[k] = sum_xl[k] = zero;
      // x lies in [first_min, max] and rounded subtraction and
      // multiplication are monotonic, so iscale (x - min) lies between its
      // values at those two ends: one test per trial tells whether
      // ClampedRound is ClampedCode for every element, and one whether no
      // element rounds above nmax (flat lanes are discarded).
      const VF at_max = hn::Mul(iscale[k], hn::Sub(max[k], min[k]));
      const VF at_first_min = hn::Mul(iscale[k], hn::Sub(first_min[k], min[k]));
      const VF reach = hn::Max(hn::Abs(at_max), hn::Abs(at_first_min));
      rounds = rounds && hn::AllTrue(df, hn::Or(flat[k], hn::Lt(reach, round_limit)));
      below_max = below_max && RoundsAtMost(static_cast<float>(s.nmax), at_max,
                                            at_first_min, flat[k]);
    }
    const auto trial_sums = [&](auto code_of) {
      for (size_t i = 0; i < sub; ++i) {
        for (size_t k = 0; k < K; ++k) {
          const VF x = hn::Load(df, t[k].x + i * N), w = hn::Load(df, t[k].w + i * N);
          const VF l = code_of(hn::Mul(iscale[k], hn::Sub(x, min[k])));
          hn::Store(l, df, trials[k] + i * N);
          const VF wl = hn::Mul(w, l);
          sum_l[k] = hn::Add(sum_l[k], wl);
          sum_l2[k] = hn::Add(sum_l2[k], hn::Mul(wl, l));
          sum_xl[k] = hn::Add(sum_xl[k], hn::Mul(wl, x));
        }
      }
    };
    if (rounds && below_max) {  // most trials: the upper clamp is idle
      trial_sums([&](VF v) { return ClampedRound<true, false>(v, zero, code_max); });
    } else if (rounds) {
      trial_sums([&](VF v) { return ClampedRound(v, zero, code_max); });
    } else {
      trial_sums([&](VF v) { return ClampedCode(v, 0, s.nmax); });
    }
    VF this_scale[K], this_min[K];
    MF solvable[K];
    bool any_solvable = false;
    for (size_t k = 0; k < K; ++k) {
      const VF D = hn::Sub(hn::Mul(sum_w[k], sum_l2[k]), hn::Mul(sum_l[k], sum_l[k]));
      solvable[k] = hn::Gt(D, zero);
      any_solvable = any_solvable || !hn::AllFalse(df, solvable[k]);
      this_scale[k] = hn::Div(
          hn::Sub(hn::Mul(sum_w[k], sum_xl[k]), hn::Mul(sum_x[k], sum_l[k])), D);
      this_min[k] = hn::Div(
          hn::Sub(hn::Mul(sum_l2[k], sum_x[k]), hn::Mul(sum_l[k], sum_xl[k])), D);
      const MF positive_min = hn::Gt(this_min[k], zero);
      this_scale[k] = hn::IfThenElse(positive_min, hn::Div(sum_xl[k], sum_l2[k]),
                                     this_scale[k]);
      this_min[k] = hn::IfThenElse(positive_min, zero, this_min[k]);
    }
    if (!any_solvable) continue;
    VF error[K];
    errors_of(this_scale, this_min, trials, error);
    for (size_t k = 0; k < K; ++k) {
      const MF better = hn::And(solvable[k], hn::Lt(error[k], best_error[k]));
      if (hn::AllFalse(df, better)) continue;
      code_iscale[k] = hn::IfThenElse(better, iscale[k], code_iscale[k]);
      code_min[k] = hn::IfThenElse(better, min[k], code_min[k]);
      best_error[k] = hn::IfThenElse(better, error[k], best_error[k]);
      scale[k] = hn::IfThenElse(better, this_scale[k], scale[k]);
      min[k] = hn::IfThenElse(better, this_min[k], min[k]);
    }
  }
  for (size_t k = 0; k < K; ++k) {
    for (size_t i = 0; i < sub; ++i) {
      hn::Store(hn::IfThenZeroElse(flat[k], affine_code(k, i, code_iscale[k], code_min[k])),
                df, t[k].codes + i * N);
    }
    neg_min[k] = hn::Neg(hn::IfThenElse(flat[k], first_min[k], min[k]));
    scale[k] = hn::IfThenZeroElse(flat[k], scale[k]);
  }
}

// The first element of largest magnitude per lane; `small` where the
// largest magnitude is below ggml's GROUP_MAX_EPS (all-zero groups).
HWY_INLINE VF FirstLargest(const Lanes& t, MF& small) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF amax = hn::Zero(df), max = amax;
  for (size_t i = 0; i < t.sub; ++i) {
    const VF x = hn::Load(df, t.x + i * N);
    const MF larger = hn::Gt(hn::Abs(x), amax);
    amax = hn::IfThenElse(larger, hn::Abs(x), amax);
    max = hn::IfThenElse(larger, x, max);
  }
  small = hn::Lt(amax, hn::Set(df, 1e-15f));
  return max;
}

// Signed codes clamp(round(iscale x), -nmax, nmax - 1). iscale is
// factor / max with |factor| < nmax + 1 and max the element of largest
// magnitude, so |iscale x| < 2^22 and rounding to nearest even is ggml's
// nearest_int (see ClampedRound), except in `small` lanes (which are
// discarded).
template <bool kClampBelow = true, bool kClampAbove = true>
HWY_INLINE VF SignedCode(int32_t nmax, VF iscale, VF x) {
  const DF df;
  return ClampedRound<kClampBelow, kClampAbove>(
      hn::Mul(iscale, x), hn::Set(df, static_cast<float>(-nmax)),
      hn::Set(df, static_cast<float>(nmax - 1)));
}

// ggml's weighted sums (reference::SignedCodeSums) of the SignedCodes of K
// trials, whose K independent chains of additions interleave; the codes
// also into codes[k] if kStore.
template <size_t K, bool kStore, bool kClampBelow, bool kClampAbove>
HWY_INLINE void SignedCodeSums(int32_t nmax, const Lanes& t, const VF* iscale,
                               float* const* codes, VF* sumlx, VF* suml2) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const float* HWY_RESTRICT xs = t.x;
  const float* HWY_RESTRICT ws = t.w;
  const float* HWY_RESTRICT wxs = t.wx;
  for (size_t k = 0; k < K; ++k) sumlx[k] = suml2[k] = hn::Zero(df);
  for (size_t i = 0; i < t.sub; ++i) {
    const VF x = hn::Load(df, xs + i * N), w = hn::Load(df, ws + i * N);
    const VF wx = hn::Load(df, wxs + i * N);
    for (size_t k = 0; k < K; ++k) {
      const VF l = SignedCode<kClampBelow, kClampAbove>(nmax, iscale[k], x);
      if (kStore) hn::Store(l, df, codes[k] + i * N);
      sumlx[k] = hn::Add(sumlx[k], hn::Mul(wx, l));
      suml2[k] = hn::Add(suml2[k], hn::Mul(hn::Mul(w, l), l));
    }
  }
}

// The start shared by make_qx_quants and make_q3_quants per lane (see
// reference::StartSigned): `small` lanes (codes and scale 0 in the end),
// the products w x into t.wx, the sums of iscale = -nmax / max (its codes
// into t.codes if kStore); returns max, the first element of largest
// magnitude.
template <bool kStore>
HWY_INLINE VF StartSigned(int32_t nmax, const Lanes& t, MF& small, VF& sumlx,
                          VF& suml2, VF& iscale) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (size_t i = 0; i < t.sub; ++i) {
    hn::Store(hn::Mul(hn::Load(df, t.w + i * N), hn::Load(df, t.x + i * N)),
              df, t.wx + i * N);
  }
  const VF max = FirstLargest(t, small);
  iscale = hn::Div(hn::Set(df, static_cast<float>(-nmax)), max);
  // -nmax / max: the lower clamp is idle (iscale max rounds to -nmax).
  SignedCodeSums<1, kStore, false, true>(nmax, t, &iscale, &t.codes, &sumlx, &suml2);
  return max;
}

// Codes + nmax, then zero codes and scale in the `small` lanes.
HWY_INLINE VF FinishSigned(int32_t nmax, const Lanes& t, MF small, VF scale) {
  const DF df;
  const size_t N = hn::Lanes(df);
  for (size_t i = 0; i < t.sub; ++i) {
    const VF code = hn::Add(hn::Load(df, t.codes + i * N),
                            hn::Set(df, static_cast<float>(nmax)));
    hn::Store(hn::IfThenZeroElse(small, code), df, t.codes + i * N);
  }
  return hn::IfThenZeroElse(small, scale);
}

// make_qx_quants per lane (reference::FitSymmetric). A trial's codes are
// a function of its iscale: the trials keep the best iscale, and its codes
// are computed once at the end (storing every trial's codes and copying
// the better ones cost 10% of Q6_K's encoding).
VF FitSymmetric(int32_t nmax, const Lanes& t) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const auto zero = hn::Zero(df);
  MF small;
  VF sumlx, suml2, best_iscale;
  const VF max = StartSigned<false>(nmax, t, small, sumlx, suml2, best_iscale);
  // C's suml2 != 0 is true for NaN (infinite weights); Highway's Ne is
  // ordered on some targets.
  VF scale = hn::IfThenZeroElse(hn::Eq(suml2, zero), hn::Div(sumlx, suml2));
  VF best = hn::Mul(scale, sumlx);
  VF lo = max, hi = max;  // the lane's range, whose products bound the codes
  for (size_t i = 0; i < t.sub; ++i) {
    const VF x = hn::Load(df, t.x + i * N);
    lo = hn::Min(lo, x);
    hi = hn::Max(hi, x);
  }
  // ggml's trials, two at a time, kept in its order.
  constexpr int kSteps[18] = {-9, -8, -7, -6, -5, -4, -3, -2, -1,
                              1,  2,  3,  4,  5,  6,  7,  8,  9};
  for (size_t pair = 0; pair < 18; pair += 2) {
    VF iscale[2], trial_sumlx[2], trial_suml2[2];
    for (int k = 0; k < 2; ++k) {
      const float step = static_cast<float>(kSteps[pair + k]);
      const float factor = -(static_cast<float>(nmax) + 0.1f * step);
      iscale[k] = hn::Div(hn::Set(df, factor), max);
    }
    // The lower clamp is idle up to step 4, the upper one up to step -6
    // and beyond where the lane's other end is small enough.
    bool below_idle = true, above_idle = true;
    for (int k = 0; k < 2; ++k) {
      const VF a = hn::Mul(iscale[k], lo), b = hn::Mul(iscale[k], hi);
      below_idle = below_idle && RoundsAtLeast(-static_cast<float>(nmax), a, b, small);
      above_idle = above_idle && RoundsAtMost(static_cast<float>(nmax - 1), a, b, small);
    }
    const auto sums = [&](auto clamp_below, auto clamp_above) {
      SignedCodeSums<2, false, decltype(clamp_below)::value,
                     decltype(clamp_above)::value>(nmax, t, iscale, nullptr,
                                                   trial_sumlx, trial_suml2);
    };
    if (below_idle) {
      if (above_idle) sums(std::false_type(), std::false_type());
      else sums(std::false_type(), std::true_type());
    } else {
      if (above_idle) sums(std::true_type(), std::false_type());
      else sums(std::true_type(), std::true_type());
    }
    for (int k = 0; k < 2; ++k) {
      const VF slx = trial_sumlx[k], sl2 = trial_suml2[k];
      const MF better = hn::And(hn::Gt(sl2, zero),
                                hn::Gt(hn::Mul(slx, slx), hn::Mul(best, sl2)));
      if (hn::AllFalse(df, better)) continue;
      best_iscale = hn::IfThenElse(better, iscale[k], best_iscale);
      scale = hn::IfThenElse(better, hn::Div(slx, sl2), scale);
      best = hn::IfThenElse(better, hn::Mul(scale, slx), best);
    }
  }
  for (size_t i = 0; i < t.sub; ++i) {
    hn::Store(SignedCode(nmax, best_iscale, hn::Load(df, t.x + i * N)), df,
              t.codes + i * N);
  }
  return FinishSigned(nmax, t, small, scale);
}

// make_q3_quants(n, nmax, x, L, true) per lane (reference::FitQ3) on K
// vectors of sub-blocks at once, their scales to scale[k]. Each element's
// step depends on the previous one's (a division in the chain), and the K
// independent chains interleave. A lane whose pass changes nothing would
// change nothing in later passes either, so running every lane for all
// passes equals ggml's early exit.
template <size_t K>
void FitQ3(int32_t nmax, const Lanes* t, VF* scale) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const size_t sub = t[0].sub;
  const auto zero = hn::Zero(df);
  MF small[K];
  VF sumlx[K], suml2[K];
  for (size_t k = 0; k < K; ++k) {
    VF iscale;
    StartSigned<true>(nmax, t[k], small[k], sumlx[k], suml2[k], iscale);
  }
  for (int pass = 0; pass < 5; ++pass) {
    MF changed[K];
    for (size_t k = 0; k < K; ++k) changed[k] = hn::FirstN(df, 0);
    for (size_t i = 0; i < sub; ++i) {
      for (size_t k = 0; k < K; ++k) {
        const VF x = hn::Load(df, t[k].x + i * N);
        const VF l = hn::Load(df, t[k].codes + i * N);
        const VF w = hn::Load(df, t[k].w + i * N);
        const VF wx = hn::Load(df, t[k].wx + i * N);
        VF slx = hn::Sub(sumlx[k], hn::Mul(wx, l));
        VF sl2 = hn::Sub(suml2[k], hn::Mul(hn::Mul(w, l), l));
        const VF new_l = ClampedCode(hn::Div(hn::Mul(x, sl2), slx), -nmax, nmax - 1);
        const MF differs = hn::And(hn::Gt(slx, zero), hn::Ne(new_l, l));
        slx = hn::Add(slx, hn::Mul(wx, new_l));
        sl2 = hn::Add(sl2, hn::Mul(hn::Mul(w, new_l), new_l));
        const MF accept = hn::And(
            differs,
            hn::And(hn::Gt(sl2, zero),
                    hn::Gt(hn::Mul(hn::Mul(slx, slx), suml2[k]),
                           hn::Mul(hn::Mul(sumlx[k], sumlx[k]), sl2))));
        hn::Store(hn::IfThenElse(accept, new_l, l), df, t[k].codes + i * N);
        sumlx[k] = hn::IfThenElse(accept, slx, sumlx[k]);
        suml2[k] = hn::IfThenElse(accept, sl2, suml2[k]);
        changed[k] = hn::Or(changed[k], accept);
      }
    }
    bool any_changed = false;
    for (size_t k = 0; k < K; ++k) any_changed = any_changed || !hn::AllFalse(df, changed[k]);
    if (!any_changed) break;
  }
  for (size_t k = 0; k < K; ++k) {
    const VF fit = hn::IfThenElseZero(hn::Gt(suml2[k], zero), hn::Div(sumlx[k], suml2[k]));
    scale[k] = FinishSigned(nmax, t[k], small[k], fit);
  }
}

// The search weights of one vector of sub-blocks, transposed at t.x: with
// importance weights (`weighted`) t.w holds them already, and their sums go
// to sw; else they are the ones quantize_row_<type>_ref takes (reference::
// SearchWeights).
void LaneWeights(BlockType type, bool weighted, const Lanes& t, float* sw) {
  const DF df;
  const size_t N = hn::Lanes(df);
  if (weighted) {  // the imatrix path's super-block fits need their sums
    VF sum_w = hn::Zero(df);
    for (size_t i = 0; i < t.sub; ++i) sum_w = hn::Add(sum_w, hn::Load(df, t.w + i * N));
    hn::StoreU(sum_w, df, sw);
    return;
  }
  VF av_x = hn::Zero(df);  // Q4_K, Q5_K: the sub-block's rms
  if (type == BlockType::kQ4_K || type == BlockType::kQ5_K) {
    VF sum_x2 = hn::Zero(df);
    for (size_t i = 0; i < t.sub; ++i) {
      const VF x = hn::Load(df, t.x + i * N);
      sum_x2 = hn::Add(sum_x2, hn::Mul(x, x));
    }
    av_x = hn::Sqrt(hn::Div(sum_x2, hn::Set(df, 32.0f)));
  }
  for (size_t i = 0; i < t.sub; ++i) {
    const VF x = hn::Load(df, t.x + i * N);
    const VF w = type == BlockType::kQ2_K ? hn::Abs(x)
                 : type == BlockType::kQ4_K || type == BlockType::kQ5_K
                     ? hn::Add(av_x, hn::Abs(x))
                     : hn::Mul(x, x);
    hn::Store(w, df, t.w + i * N);
  }
}

// The vectors of a batch that the searches read: the `vectors` holding
// sub-blocks, and zeros up to a whole pair (FitAffine, FitQ3<2>; FitQ3<4>
// runs only with more than two).
constexpr size_t SearchedVectors(size_t vectors) {
  return hwy::RoundUpTo(vectors, kAffineVectors);
}

// Scales, mins and weight sums of up to kSearchVectors vectors of
// sub-blocks, vector k transposed at t[k].x and its results at scales, mins
// and sw + k N; the first `vectors` hold sub-blocks, the others up to
// SearchedVectors(vectors) zeros.
void SearchLanes(BlockType type, bool weighted, const Lanes* t, size_t vectors,
                 float* scales, float* mins, float* sw) {
  const DF df;
  const size_t N = hn::Lanes(df);
  VF scale[kSearchVectors], neg_min[kSearchVectors];
  for (size_t k = 0; k < SearchedVectors(vectors); ++k) {
    LaneWeights(type, weighted, t[k], sw + k * N);
    neg_min[k] = hn::Zero(df);
  }
  switch (type) {
    case BlockType::kQ3_K:
    case BlockType::kQ6_K:
    case BlockType::kQ4_0:
    case BlockType::kQ5_0: {
      const int32_t nmax = internal::SymmetricNmax(type);
      if (type == BlockType::kQ3_K && !weighted) {
        if (vectors <= 2) {  // short rows: no empty chains
          FitQ3<2>(nmax, t, scale);
        } else {
          FitQ3<kSearchVectors>(nmax, t, scale);
        }
        break;
      }
      for (size_t k = 0; k < vectors; ++k) scale[k] = FitSymmetric(nmax, t[k]);
      break;
    }
    default:  // Q2_K, Q4_K, Q5_K, Q4_1, Q5_1
      for (size_t k = 0; k < vectors; k += kAffineVectors) {
        FitAffine<kAffineVectors>(internal::AffineSearchOf(type, weighted), t + k,
                                  scale + k, neg_min + k);
      }
  }
  for (size_t k = 0; k < vectors; ++k) {
    hn::StoreU(scale[k], df, scales + k * N);
    hn::StoreU(neg_min[k], df, mins + k * N);
  }
}

// Elements [i0, i0 + N) of the `count` runs of `stride` values at x (zeros
// for runs from count on), transposed: columns[j] holds element i0 + j of
// run g in lane g. One N x N transposition (TransposeSquare), where a
// scalar loop took N^2 loads and stores.
template <typename TIn>
HWY_INLINE void LoadTransposed(const TIn* HWY_RESTRICT x, size_t count,
                               size_t stride, size_t i0, VF* columns) {
  const DF df;
  constexpr size_t N = hn::MaxLanes(DF());
  HWY_DASSERT(hn::Lanes(df) == N && count <= N);
  VF rows[N];
  for (size_t g = 0; g < N; ++g) {
    rows[g] = g < count ? LoadF32(df, x + g * stride + i0) : hn::Zero(df);
  }
  TransposeSquare(df, rows, columns);
}

// Sums of squares of `count` runs of n values (n a multiple of N) back to
// back at x, each summed in element order as ggml's sigma2 (a serial chain
// of float additions): N runs at a time, one per lane.
template <typename TIn>
void SumsOfSquares(const TIn* HWY_RESTRICT x, size_t count, size_t n,
                   float* HWY_RESTRICT sums) {
  const DF df;
  constexpr size_t N = hn::MaxLanes(DF());
  for (size_t r0 = 0; r0 < count; r0 += N) {
    const size_t runs = HWY_MIN(N, count - r0);
    VF sum = hn::Zero(df);
    for (size_t i0 = 0; i0 < n; i0 += N) {
      VF columns[N];
      LoadTransposed(x + r0 * n, runs, n, i0, columns);
      for (size_t j = 0; j < N; ++j) sum = hn::Add(sum, hn::Mul(columns[j], columns[j]));
    }
    HWY_ALIGN float lanes[N];
    hn::Store(sum, df, lanes);
    for (size_t g = 0; g < runs; ++g) sums[r0 + g] = lanes[g];
  }
}

// Where the codes of run r (elements [32 r, 32 r + 32)) of a super-block
// are (see the layouts in PackKCodes): code l = (a[l] >> a_shift) & a_mask
// | ((b[l] >> b_shift) & b_mask) << b_left, minus the format's offset.
struct KRun {
  size_t a;
  int a_shift, a_mask;
  size_t b;  // 0 and b_mask 0: no high bits
  int b_shift, b_mask, b_left;
};
template <BlockType kType>
constexpr KRun KRunOf(size_t r) {
  const int k = static_cast<int>(r % 4);
  if constexpr (kType == BlockType::kQ2_K) {
    return {16 + 32 * (r / 4), 2 * k, 3, 0, 0, 0, 0};
  } else if constexpr (kType == BlockType::kQ3_K) {
    return {32 + 32 * (r / 4), 2 * k, 3, 0, static_cast<int>(r), 1, 2};
  } else if constexpr (kType == BlockType::kQ6_K) {
    return {64 * (r / 4) + 32 * (r % 2), 4 * (k / 2), 0xF, 128 + 32 * (r / 4),
            2 * k, 3, 4};
  } else {  // Q4_K, Q5_K
    constexpr bool kFive = kType == BlockType::kQ5_K;
    return {16 + (kFive ? 32 : 0) + 32 * (r / 2), 4 * static_cast<int>(r % 2),
            0xF, 16, static_cast<int>(r), kFive ? 1 : 0, 4};
  }
}

// Codes L[256] (code + offset) into the super-block's code bytes, which
// KCodesOf reads back: each run's low bits OR-ed into a[l] at a_shift, its
// high bits into b[l] at b_shift, a vector of up to 32 bytes at a time.
template <BlockType kType>
HWY_INLINE void PackKRuns(const uint8_t* HWY_RESTRICT L, uint8_t* HWY_RESTRICT block) {
  size_t lo = KRunOf<kType>(0).a, hi = lo;  // the code bytes, contiguous
  for (size_t r = 0; r < 8; ++r) {
    const KRun run = KRunOf<kType>(r);
    lo = HWY_MIN(lo, run.a);
    hi = HWY_MAX(hi, run.a + 32);
    if (run.b_mask != 0) {
      lo = HWY_MIN(lo, run.b);
      hi = HWY_MAX(hi, run.b + 32);
    }
  }
  memset(block + lo, 0, hi - lo);
#if HWY_TARGET == HWY_SCALAR  // no byte pairs to shift
  for (size_t r = 0; r < 8; ++r) {
    const KRun run = KRunOf<kType>(r);
    for (size_t l = 0; l < 32; ++l) {
      const int q = L[32 * r + l];
      block[run.a + l] = static_cast<uint8_t>(block[run.a + l] | (q & run.a_mask) << run.a_shift);
      block[run.b + l] = static_cast<uint8_t>(
          block[run.b + l] | ((q >> run.b_left) & run.b_mask) << run.b_shift);
    }
  }
#else
  const hn::CappedTag<uint8_t, 32> d8;
  const hn::Repartition<uint16_t, decltype(d8)> d16;
  const size_t N8 = hn::Lanes(d8);
  // (bits & mask) << shift stays within its byte, so byte pairs shift as one.
  const auto put = [&](size_t at, decltype(hn::Zero(d8)) bits, int mask, int shift) {
    const auto v = hn::BitCast(d16, hn::And(bits, hn::Set(d8, static_cast<uint8_t>(mask))));
    hn::StoreU(hn::Or(hn::LoadU(d8, block + at), hn::BitCast(d8, hn::ShiftLeftSame(v, shift))),
               d8, block + at);
  };
  for (size_t r = 0; r < 8; ++r) {
    const KRun run = KRunOf<kType>(r);
    for (size_t l = 0; l < 32; l += N8) {
      const auto q = hn::LoadU(d8, L + 32 * r + l);
      put(run.a + l, q, run.a_mask, run.a_shift);
      if (run.b_mask != 0) {
        // The neighbouring byte's bits that the 16-bit shift brings in are
        // above b_mask.
        const auto high = hn::BitCast(d8, hn::ShiftRightSame(hn::BitCast(d16, q), run.b_left));
        put(run.b + l, high, run.b_mask, run.b_shift);
      }
    }
  }
#endif
}

void PackKCodes(BlockType type, const uint8_t* HWY_RESTRICT L, uint8_t* HWY_RESTRICT block) {
  switch (type) {
    case BlockType::kQ2_K: return PackKRuns<BlockType::kQ2_K>(L, block);
    case BlockType::kQ3_K: return PackKRuns<BlockType::kQ3_K>(L, block);
    case BlockType::kQ4_K: return PackKRuns<BlockType::kQ4_K>(L, block);
    case BlockType::kQ5_K: return PackKRuns<BlockType::kQ5_K>(L, block);
    default: return PackKRuns<BlockType::kQ6_K>(L, block);
  }
}

// Writes `count` legacy blocks searched with importance weights from their
// scales, mins and transposed codes (floats; vector v holds N blocks'
// codes, element i of block g at codes[(v * 32 + i) * N + g]): qh and qs
// are packed a vector of blocks at a time (internal::
// WriteSearchedLegacyBlock's layout).
void WriteSearchedLegacyBlocks(BlockType type, const float* HWY_RESTRICT codes,
                               const float* scales, const float* mins,
                               size_t count, uint8_t* HWY_RESTRICT out) {
  const DF df;
  const DI di;
  const hn::Rebind<uint8_t, DI> du8;
  const size_t N = hn::Lanes(df);
  const bool five = type == BlockType::kQ5_0 || type == BlockType::kQ5_1;
  const size_t bytes = gguf::BlockBytes(type);
  const auto nibble = hn::Set(di, 0xF);
  HWY_ALIGN uint8_t qs[16 * hn::MaxLanes(df)];
  HWY_ALIGN int32_t qh[hn::MaxLanes(df)];
  for (size_t v0 = 0; v0 < count; v0 += N, codes += 32 * N) {
    const auto code = [&](size_t i) { return hn::ConvertTo(di, hn::Load(df, codes + i * N)); };
    const auto fifth = [&](hn::Vec<DI> c, size_t i) {  // bit 4 of c at bit i
      return hn::ShiftLeftSame(hn::ShiftRight<4>(c), static_cast<int>(i));
    };
    // qs[j] = code j | code (j + 16) << 4; qh bit i = bit 4 of code i.
    auto bits = hn::Zero(di);
    for (size_t j = 0; j < 16; ++j) {
      const auto low = code(j), high = code(j + 16);
      const auto byte = hn::Or(hn::And(low, nibble), hn::ShiftLeft<4>(hn::And(high, nibble)));
      hn::Store(hn::DemoteTo(du8, byte), du8, qs + j * N);
      if (five) bits = hn::Or(bits, hn::Or(fifth(low, j), fifth(high, j + 16)));
    }
    if (five) hn::Store(bits, di, qh);
    for (size_t g = 0; g < HWY_MIN(N, count - v0); ++g) {
      uint8_t* block = out + (v0 + g) * bytes;
      uint8_t* p = internal::WriteSearchedLegacyScales(type, scales[v0 + g],
                                                       mins[v0 + g], block);
      if (five) {
        memcpy(p, &qh[g], 4);  // little-endian (x86)
        p += 4;
      }
      for (size_t j = 0; j < 16; ++j) p[j] = qs[j * N + g];
    }
  }
}

// The N sub-blocks of `sub` elements at x, of which the first `count` exist
// (zeros for the others), transposed into out: out[i * N + g] is element i
// of sub-block g (sub is a multiple of N).
template <typename TIn>
void TransposeSubBlocks(const TIn* HWY_RESTRICT x, size_t count, size_t sub,
                        float* HWY_RESTRICT out) {
  const DF df;
  constexpr size_t N = hn::MaxLanes(DF());
  for (size_t i0 = 0; i0 < sub; i0 += N) {
    VF columns[N];
    LoadTransposed(x, count, sub, i0, columns);
    for (size_t j = 0; j < N; ++j) hn::Store(columns[j], df, out + (i0 + j) * N);
  }
}

// Encodes `count` blocks (super-blocks of the K-quants; with importance
// weights qw, also legacy blocks) at x, element `first` of the input, count
// small enough that their sub-blocks fit kBatchSubBlocks. block_sigma2:
// ggml's sigma2 of each block with importance weights.
template <typename TIn>
void EncodeBatch(BlockType type, const TIn* HWY_RESTRICT x, size_t count,
                 size_t first, const float* HWY_RESTRICT qw,
                 const float* HWY_RESTRICT block_sigma2,
                 uint8_t* HWY_RESTRICT out, const char* function) {
  const DF df;
  const DI di;
  const size_t N = hn::Lanes(df);
  const internal::KFormat f = internal::KFormatOf(type);
  const size_t sub = static_cast<size_t>(f.sub);
  const size_t size = gguf::BlockSize(type);
  const size_t subs = size / sub;  // per block
  const bool weighted = qw != nullptr;
  // v - v is 0 unless v is NaN or infinite: their sum finds any, and the
  // scalar check names it.
  VF nonfinite = hn::Zero(df);
  for (size_t i = 0; i < count * size; i += N) {
    const VF v = LoadF32(df, x + i);
    nonfinite = hn::Add(nonfinite, hn::Sub(v, v));
  }
  if (!hn::AllTrue(df, hn::Eq(nonfinite, hn::Zero(df)))) {
    internal::CheckFiniteBlocks(x, count * size, first, function);
  }
  HWY_ALIGN float xt[32 * kBatchSubBlocks];
  HWY_ALIGN float weights[32 * kBatchSubBlocks];
  HWY_ALIGN float codes[32 * kBatchSubBlocks];
  HWY_ALIGN float trial[32 * kBatchSubBlocks];  // a trial's codes each
  HWY_ALIGN float wx[32 * kBatchSubBlocks];
  HWY_ALIGN float sigma2[kBatchSubBlocks] = {};  // per sub-block
  float scales[kBatchSubBlocks], mins[kBatchSubBlocks], sw[kBatchSubBlocks];
  const size_t used = count * subs;
  if (weighted) {
    for (size_t k = 0; k < count; ++k) {
      for (size_t j = 0; j < subs; ++j) sigma2[k * subs + j] = block_sigma2[k];
    }
  }
  for (size_t g0 = 0; g0 < used; g0 += kSearchVectors * N) {
    const size_t vectors = HWY_MIN(kSearchVectors, hwy::DivCeil(used - g0, N));
    Lanes t[kSearchVectors];
    for (size_t k = 0; k < SearchedVectors(vectors); ++k) {
      // Transpose N sub-blocks (zeros past the last), and their importance.
      const size_t v0 = g0 + k * N;  // the vector's first sub-block
      float* xv = xt + v0 * sub;
      float* wv = weights + v0 * sub;
      const size_t first_sub = HWY_MIN(v0, used), present = HWY_MIN(N, used - first_sub);
      TransposeSubBlocks(x + first_sub * sub, present, sub, xv);
      if (weighted) TransposeSubBlocks(qw + first_sub * sub, present, sub, wv);
      if (weighted && type != BlockType::kQ6_K) {  // Q6_K takes qw as it is
        const VF s2 = hn::Load(df, sigma2 + v0);
        for (size_t i = 0; i < sub; ++i) {
          const VF v = hn::Load(df, xv + i * N);
          const VF w = hn::Mul(hn::Load(df, wv + i * N),
                               hn::Sqrt(hn::Add(s2, hn::Mul(v, v))));
          hn::Store(w, df, wv + i * N);
        }
      }
      t[k] = Lanes{xv, wv, wx + v0 * sub, codes + v0 * sub, trial + v0 * sub, sub};
    }
    SearchLanes(type, weighted, t, vectors, scales + g0, mins + g0, sw + g0);
  }
  if (!gguf::IsKQuant(type)) {  // legacy, weighted: the search's results
    WriteSearchedLegacyBlocks(type, codes, scales, mins, count, out);
    return;
  }
  const auto searched_codes = [&](size_t g, uint8_t* L) {
    const float* lanes = codes + (g - g % N) * sub + g % N;
    for (size_t i = 0; i < sub; ++i) L[i] = static_cast<uint8_t>(lanes[i * N]);
  };
  const size_t bytes = gguf::BlockBytes(type);
  for (size_t k = 0; k < count; ++k, out += bytes) {
    HWY_ALIGN uint8_t L[256];
    if (!internal::WriteKScales(type, scales + k * subs, mins + k * subs,
                                weighted ? sw + k * subs : nullptr, out)) {
      continue;
    }
    float ds[16], ms[16];
    internal::KScalesOf(type, out, ds, ms);
    for (size_t j = 0; j < subs; ++j) {
      const size_t g = k * subs + j;  // sub-block of the batch
      if (ds[j] == 0) {  // ggml keeps the search's codes
        searched_codes(g, L + j * sub);
        continue;
      }
      const VF d = hn::Set(df, ds[j]), m = hn::Set(df, ms[j]);
      const auto offset = hn::Set(di, f.offset);
      const auto lo = hn::Set(di, f.lo), hi = hn::Set(di, f.hi);
      for (size_t i = 0; i < sub; i += N) {
        const VF v = LoadF32(df, x + g * sub + i);
        const auto l = hn::Min(hn::Max(GgmlNearestInt(hn::Div(hn::Add(v, m), d)), lo), hi);
        const hn::Rebind<uint8_t, DI> du8;
        hn::StoreU(hn::DemoteTo(du8, hn::Add(l, offset)), du8, L + j * sub + i);
      }
    }
    PackKCodes(type, L, out);
  }
}

// One row of n values, element `first` of the input (qw: its importance
// weights, or null; block_sigma2: ggml's sigma2 of each block with them).
template <typename TIn>
void EncodeRow(BlockType type, const TIn* HWY_RESTRICT x, size_t n,
               size_t first, const float* HWY_RESTRICT qw,
               const float* HWY_RESTRICT block_sigma2,
               uint8_t* HWY_RESTRICT out, const char* function) {
  const size_t size = gguf::BlockSize(type);
  const size_t subs = size / static_cast<size_t>(internal::KFormatOf(type).sub);
  const size_t batch = kBatchSubBlocks / subs;  // blocks
  const size_t blocks = n / size;
  for (size_t b = 0; b < blocks; b += batch) {
    EncodeBatch(type, x + b * size, HWY_MIN(batch, blocks - b), first + b * size,
                qw == nullptr ? nullptr : qw + b * size,
                qw == nullptr ? nullptr : block_sigma2 + b,
                out + b * gguf::BlockBytes(type), function);
  }
}

// K-quant rows, or rows of any format with importance weights (the legacy
// formats' other paths are lib/gguf.cc's). With importance weights, ggml's
// sigma2 is the row's mean square for the legacy formats (computed for up
// to kRows rows at a time), SuperBlockSigma2 for the K-quants.
void EncodeSearchedRows(BlockType type, const void* x,
                        simdquant::detail::FloatType x_type, size_t rows,
                        size_t n_per_row, const float* HWY_RESTRICT importance,
                        uint8_t* HWY_RESTRICT out, const char* function) {
  VisitFloatType(x_type, [&](auto tag) {
    using TIn = typename decltype(tag)::type;
    const TIn* in = static_cast<const TIn*>(x);
    const size_t size = gguf::BlockSize(type), blocks = n_per_row / size;
    constexpr size_t kRows = 8;
    std::vector<float> sigma2(importance == nullptr ? 0 : kRows * blocks);
    for (size_t r0 = 0; r0 < rows; r0 += kRows) {
      const size_t k = HWY_MIN(kRows, rows - r0);
      const TIn* x0 = in + r0 * n_per_row;
      if (importance != nullptr && gguf::IsKQuant(type)) {
        SumsOfSquares(x0, k * blocks, size, sigma2.data());
        for (size_t b = 0; b < k * blocks; ++b) {
          sigma2[b] = internal::SuperBlockSigma2(type, sigma2[b]);
        }
      } else if (importance != nullptr) {
        float sums[kRows];
        SumsOfSquares(x0, k, n_per_row, sums);
        for (size_t r = 0; r < k; ++r) {
          const float row_sigma2 = sums[r] / static_cast<float>(n_per_row);
          std::fill(sigma2.begin() + static_cast<ptrdiff_t>(r * blocks),
                    sigma2.begin() + static_cast<ptrdiff_t>((r + 1) * blocks),
                    row_sigma2);
        }
      }
      for (size_t r = r0; r < r0 + k; ++r) {
        EncodeRow(type, in + r * n_per_row, n_per_row, r * n_per_row, importance,
                  importance == nullptr ? nullptr : sigma2.data() + (r - r0) * blocks,
                  out + r * gguf::RowBytes(type, n_per_row), function);
      }
    }
  });
}

// The 256 codes of a super-block minus the format's offset, as int8:
// shifts and masks on bytes, a vector of up to 32 codes at a time (the
// 16-bit shifts leave the neighbouring byte's bits above each mask).
template <BlockType kType>
HWY_INLINE void KCodesOf(const uint8_t* HWY_RESTRICT block,
                         int8_t* HWY_RESTRICT codes) {
  const int offset = internal::KFormatOf(kType).offset;
#if HWY_TARGET == HWY_SCALAR  // no byte pairs to shift
  for (size_t r = 0; r < 8; ++r) {
    const KRun run = KRunOf<kType>(r);
    for (size_t l = 0; l < 32; ++l) {
      const int q = ((block[run.a + l] >> run.a_shift) & run.a_mask) |
                    ((block[run.b + l] >> run.b_shift) & run.b_mask) << run.b_left;
      codes[32 * r + l] = static_cast<int8_t>(q - offset);
    }
  }
#else
  const hn::CappedTag<uint8_t, 32> d8;
  const hn::Repartition<uint16_t, decltype(d8)> d16;
  const size_t L = hn::Lanes(d8);
  const auto bits = [&](size_t at, int shift, int mask) {
    const auto v = hn::BitCast(d16, hn::LoadU(d8, block + at));
    return hn::And(hn::BitCast(d8, hn::ShiftRightSame(v, shift)),
                   hn::Set(d8, static_cast<uint8_t>(mask)));
  };
  for (size_t r = 0; r < 8; ++r) {
    const KRun run = KRunOf<kType>(r);
    for (size_t l = 0; l < 32; l += L) {
      auto q = bits(run.a + l, run.a_shift, run.a_mask);
      if (run.b_mask != 0) {
        const auto high = hn::BitCast(d16, bits(run.b + l, run.b_shift, run.b_mask));
        q = hn::Or(q, hn::BitCast(d8, hn::ShiftLeftSame(high, run.b_left)));
      }
      hn::StoreU(hn::Sub(q, hn::Set(d8, static_cast<uint8_t>(offset))), d8,
                 reinterpret_cast<uint8_t*>(codes + 32 * r + l));
    }
  }
#endif
}

// Decoding: ggml's (d * scale) * (code - offset) - d_min * min; the codes
// of a super-block first (KCodesOf), then a vector of them at a time.
template <BlockType kType, typename TOut>
void DecodeRow(const uint8_t* HWY_RESTRICT in, size_t n, TOut* HWY_RESTRICT y) {
  const DF df;
  const DI di;
  const hn::Rebind<int8_t, DF> d8;
  const size_t N = hn::Lanes(df);
  constexpr bool kHasMin = kType == BlockType::kQ2_K ||
                           kType == BlockType::kQ4_K || kType == BlockType::kQ5_K;
  const size_t sub = static_cast<size_t>(internal::KFormatOf(kType).sub);
  constexpr size_t kBytes = gguf::BlockBytes(kType);
  float ds[16], ms[16];
  HWY_ALIGN int8_t codes[256];
  for (size_t k = 0; k < n / 256; ++k, in += kBytes, y += 256) {
    internal::KScalesOf(kType, in, ds, ms);
    KCodesOf<kType>(in, codes);
    for (size_t e = 0; e < 256; e += N) {
      const auto q = hn::PromoteTo(di, hn::Load(d8, codes + e));
      VF v = hn::Mul(hn::Set(df, ds[e / sub]), hn::ConvertTo(df, q));
      if (kHasMin) v = hn::Sub(v, hn::Set(df, ms[e / sub]));
      StoreF32(df, v, y + e);
    }
  }
}

void DecodeKBlocks(BlockType type, const uint8_t* HWY_RESTRICT in, size_t n,
                   void* y, simdquant::detail::FloatType y_type) {
  VisitFloatType(y_type, [&](auto tag) {
    using TOut = typename decltype(tag)::type;
    TOut* out = static_cast<TOut*>(y);
    switch (type) {
      case BlockType::kQ2_K: return DecodeRow<BlockType::kQ2_K>(in, n, out);
      case BlockType::kQ3_K: return DecodeRow<BlockType::kQ3_K>(in, n, out);
      case BlockType::kQ4_K: return DecodeRow<BlockType::kQ4_K>(in, n, out);
      case BlockType::kQ5_K: return DecodeRow<BlockType::kQ5_K>(in, n, out);
      default: return DecodeRow<BlockType::kQ6_K>(in, n, out);
    }
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(EncodeSearchedRows);
HWY_EXPORT(DecodeKBlocks);

namespace internal {

void EncodeSearchedRows(gguf::BlockType type, const void* x,
                        simdquant::detail::FloatType x_type, size_t rows,
                        size_t n_per_row, const float* importance,
                        uint8_t* blocks, const char* function) {
  SIMDQUANT_DISPATCH(EncodeSearchedRows)
  (type, x, x_type, rows, n_per_row, importance, blocks, function);
}

void DecodeKQuants(gguf::BlockType type, const uint8_t* blocks, size_t n,
                   void* x, simdquant::detail::FloatType x_type) {
  SIMDQUANT_DISPATCH(DecodeKBlocks)(type, blocks, n, x, x_type);
}

}  // namespace internal
}  // namespace simdquant
#endif  // HWY_ONCE
