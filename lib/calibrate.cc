// Calibrators: min-max, percentile and MSE-optimal clipping ranges.
#include <math.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lib/internal.h"
#include "lib/pieces.h"
#include "simdquant/calibrate.h"
#include "simdquant/parallel.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"

namespace simdquant {
namespace {

constexpr size_t kHistogramBins = 2048;
// Clipping points tried per side, as fractions of the full range: a geometric
// grid from 1 down to 1/64, finer near 1 where most optima lie.
constexpr int kFractions = 48;
// Candidates scored best on the histogram that are then measured exactly.
constexpr size_t kExactChecks = 4;

// The passes over x split across `executor`'s threads when it is not null.
MinMaxResult CheckedRange(const float* x, size_t n, const char* function,
                          Executor* executor) {
  internal::CheckNonEmpty(n, function);
  internal::CheckPointer(x, n, function, "x");
  const MinMaxResult r =
      executor == nullptr ? MinMax(x, n) : MinMax(*executor, x, n);
  if (isnan(r.min)) internal::Fail(function, "x contains NaN");
  if (!isfinite(r.min) || !isfinite(r.max)) {
    internal::Fail(function, "x contains an infinity");
  }
  return r;
}

std::vector<double> Fractions() {
  std::vector<double> f;
  for (int i = 0; i < kFractions; ++i) {
    f.push_back(pow(1.0 / 64.0, static_cast<double>(i) / (kFractions - 1)));
  }
  return f;
}

// Estimated sum of squared errors of p over the histogram: each bin's count
// at its centre.
double HistogramSquaredError(const std::vector<uint64_t>& counts,
                             const std::vector<float>& centres,
                             const QuantParams& p, QuantizeMode mode) {
  double sum = 0.0;
  for (size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] == 0) continue;
    const float c = centres[b];
    const double e = static_cast<double>(c) -
                     reference::DequantizeOne(
                         reference::QuantizeOne(c, p, mode), p);
    sum += static_cast<double>(counts[b]) * e * e;
  }
  return sum;
}

QuantParams PercentileParams(const float* x, size_t n, double pct,
                             const QuantSpec& spec, const char* function,
                             Executor* executor) {
  if (!(pct >= 50.0 && pct <= 100.0)) {
    internal::Fail(function,
                   "pct = " + internal::Str(pct) + " is outside [50, 100]");
  }
  const MinMaxResult r =
      internal::PercentileRange(x, n, 100.0 - pct, pct, function, executor);
  if (!isfinite(r.min) || !isfinite(r.max)) {
    internal::Fail(function, "the percentile range [" + internal::Str(r.min) +
                                 ", " + internal::Str(r.max) +
                                 "] is not finite: x holds an infinity that "
                                 "numpy's interpolation reaches at pct = " +
                                 internal::Str(pct));
  }
  return internal::ParamsForRange(r.min, r.max, spec, function,
                                  internal::kNoSet);
}

QuantParams MinMaxParams(const float* x, size_t n, const QuantSpec& spec,
                         Executor* executor) {
  const MinMaxResult r = CheckedRange(x, n, "CalibrateMinMax", executor);
  return internal::ParamsForRange(r.min, r.max, spec, "CalibrateMinMax",
                                  internal::kNoSet);
}

QuantParams MseParams(const float* x, size_t n, const QuantSpec& spec,
                      Executor* executor) {
  const char* function = "CalibrateMse";
  const MinMaxResult range = CheckedRange(x, n, function, executor);
  internal::CheckMode(spec.mode, function);
  const QuantParams min_max =
      internal::ParamsForRange(range.min, range.max, spec, function,
                               internal::kNoSet);
  if (range.min == range.max) return min_max;

  // Histogram of x over [min, max].
  const double lo = range.min, width = (static_cast<double>(range.max) - lo) /
                                       kHistogramBins;
  // Per piece, then added: integer counts, the same for any split.
  const internal::Split split =
      internal::SplitUnits(executor, n, 1, kMinPieceElements, 1);
  std::vector<uint64_t> piece_counts(split.count * kHistogramBins, 0);
  internal::RunPieces(executor, split.count, [&](size_t piece) {
    uint64_t* c = piece_counts.data() + piece * kHistogramBins;
    for (size_t i = split.Begin(piece), end = i + split.Size(piece); i < end;
         ++i) {
      const size_t b = static_cast<size_t>((x[i] - lo) / width);
      ++c[std::min(b, kHistogramBins - 1)];
    }
  });
  std::vector<uint64_t> counts(kHistogramBins, 0);
  for (size_t i = 0; i < piece_counts.size(); ++i) {
    counts[i % kHistogramBins] += piece_counts[i];
  }
  std::vector<float> centres(kHistogramBins);
  for (size_t b = 0; b < kHistogramBins; ++b) {
    centres[b] = static_cast<float>(lo + (static_cast<double>(b) + 0.5) * width);
  }

  // Candidate clipping ranges, each distinct parameter set once, in order.
  std::vector<QuantParams> candidates;
  std::set<std::pair<float, int32_t>> seen;
  const std::vector<double> fractions = Fractions();
  const auto consider = [&](float clip_lo, float clip_hi) {
    const QuantParams p =
        internal::ParamsForRange(clip_lo, clip_hi, spec, function,
                                 internal::kNoSet);
    if (seen.insert({p.scale, p.zero_point}).second) candidates.push_back(p);
  };
  if (spec.scheme == Scheme::kSymmetric) {
    const double abs_max = std::max(fabs(lo), fabs(double{range.max}));
    for (double f : fractions) {
      const float a = static_cast<float>(abs_max * f);
      consider(-a, a);
    }
  } else {
    // Each side clips only its own extreme; a side at or beyond 0 stays 0
    // (the range always includes 0).
    for (double f_lo : fractions) {
      for (double f_hi : fractions) {
        consider(static_cast<float>(std::min(0.0, lo * f_lo)),
                 static_cast<float>(std::max(0.0, range.max * f_hi)));
      }
    }
  }
  // Scored on the histogram (independent candidates: split across threads).
  struct Scored {
    double score;
    QuantParams params;
  };
  std::vector<Scored> scored(candidates.size());
  const internal::Split by_candidate =
      internal::SplitUnits(executor, candidates.size(), 1, 64);
  internal::RunPieces(executor, by_candidate.count, [&](size_t piece) {
    for (size_t k = by_candidate.Begin(piece),
                end = k + by_candidate.Size(piece);
         k < end; ++k) {
      scored[k] = {HistogramSquaredError(counts, centres, candidates[k],
                                         spec.mode),
                   candidates[k]};
    }
  });
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& a, const Scored& b) {
                     return a.score < b.score;
                   });

  // Measure the best few exactly, beside min-max and the usual percentiles;
  // the first of equal MSEs wins. MeasureError is bit-identical on every
  // target, so the choice is too.
  std::vector<QuantParams> finalists = {
      min_max, PercentileParams(x, n, 99.99, spec, function, executor),
      PercentileParams(x, n, 99.9, spec, function, executor)};
  for (size_t k = 0; k < std::min(kExactChecks, scored.size()); ++k) {
    finalists.push_back(scored[k].params);
  }
  QuantParams best = finalists[0];
  double best_mse = std::numeric_limits<double>::infinity();
  for (const QuantParams& p : finalists) {
    const double mse = (executor == nullptr
                            ? MeasureError(x, n, p, spec.mode)
                            : MeasureError(*executor, x, n, p, spec.mode))
                           .mse;
    if (mse < best_mse) {
      best_mse = mse;
      best = p;
    }
  }
  return best;
}

}  // namespace

QuantParams CalibrateMinMax(const float* x, size_t n, const QuantSpec& spec) {
  return MinMaxParams(x, n, spec, nullptr);
}
QuantParams CalibrateMinMax(Executor& executor, const float* x, size_t n,
                            const QuantSpec& spec) {
  return MinMaxParams(x, n, spec, &executor);
}

QuantParams CalibratePercentile(const float* x, size_t n, double pct,
                                const QuantSpec& spec) {
  return PercentileParams(x, n, pct, spec, "CalibratePercentile", nullptr);
}
QuantParams CalibratePercentile(Executor& executor, const float* x, size_t n,
                                double pct, const QuantSpec& spec) {
  return PercentileParams(x, n, pct, spec, "CalibratePercentile", &executor);
}

QuantParams CalibrateMse(const float* x, size_t n, const QuantSpec& spec) {
  return MseParams(x, n, spec, nullptr);
}
QuantParams CalibrateMse(Executor& executor, const float* x, size_t n,
                         const QuantSpec& spec) {
  return MseParams(x, n, spec, &executor);
}

}  // namespace simdquant
