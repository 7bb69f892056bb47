// PercentileRange: exact numpy "linear" percentiles in O(n) without sorting.
#include <math.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lib/internal.h"
#include "simdquant/calibrate.h"
#include "simdquant/simdquant.h"

namespace simdquant {
namespace {

// Maps floats to integers in the same order (-0 just below +0): flip the sign
// bit of positives, all bits of negatives.
inline uint32_t OrderedKey(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof(u));
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Where numpy's linear method looks for percentile p of n sorted values.
struct Rank {
  size_t below;  // i = floor(h)
  size_t above;  // min(i + 1, n - 1)
  double t;      // h - i
};

Rank RankOf(double pct, size_t n) {
  // numpy: quantile = pct / 100, virtual index = quantile * (n - 1).
  const double h = (pct / 100.0) * static_cast<double>(n - 1);
  Rank r;
  r.below = std::min(static_cast<size_t>(floor(h)), n - 1);
  r.above = std::min(r.below + 1, n - 1);
  r.t = h - static_cast<double>(r.below);
  return r;
}

// numpy's _lerp: a + (b - a) t, or b - (b - a)(1 - t) for t >= 0.5, which
// keeps the result within [a, b] and exact at t = 1.
float Lerp(float a, float b, double t) {
  const double da = a, db = b, diff = db - da;
  return static_cast<float>(t < 0.5 ? da + diff * t : db - diff * (1.0 - t));
}

constexpr int kBucketBits = 12;  // 4096 buckets: the counts stay in L1.

}  // namespace

namespace internal {

void CheckPercentiles(double lower_pct, double upper_pct,
                      const char* function) {
  for (double pct : {lower_pct, upper_pct}) {
    if (!(pct >= 0.0 && pct <= 100.0)) {
      Fail(function, "percentile " + std::to_string(pct) +
                         " is outside [0, 100]");
    }
  }
  if (lower_pct > upper_pct) {
    Fail(function, "lower_pct = " + std::to_string(lower_pct) +
                       " > upper_pct = " + std::to_string(upper_pct));
  }
}

}  // namespace internal

namespace {

// x[i] for any alignment of x (the contract allows misaligned arrays, and a
// misaligned float access is undefined behaviour); compiles to one load.
float At(const float* x, size_t i) {
  float v;
  memcpy(&v, x + i, sizeof(v));
  return v;
}

}  // namespace

MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct) {
  const char* function = "PercentileRange";
  internal::CheckNonEmpty(n, function);
  internal::CheckPointer(x, n, function, "x");
  internal::CheckPercentiles(lower_pct, upper_pct, function);
  const MinMaxResult range = MinMax(x, n);
  if (isnan(range.min)) internal::Fail(function, "x contains NaN");

  const Rank ranks[2] = {RankOf(lower_pct, n), RankOf(upper_pct, n)};
  if (range.min == range.max) {  // All equal (zeros of either sign).
    // Still through Lerp: numpy interpolates even between equal values, which
    // turns an infinite one into NaN (inf - inf).
    return {Lerp(range.min, range.min, ranks[0].t),
            Lerp(range.max, range.max, ranks[1].t)};
  }

  // Histogram of keys relative to the minimum's, coarsened so that at most
  // 2^kBucketBits buckets cover [min, max]. Buckets are contiguous in key
  // order, so the k-th smallest value lies in the bucket where the running
  // count passes k.
  // MinMax may return either zero for a zero extreme (-0 == +0), but -0's
  // key is below +0's: take the outer key so that every element's key lies
  // within [key_min, key_min + span].
  const uint32_t key_min = OrderedKey(range.min == 0.0f ? -0.0f : range.min);
  const uint32_t key_max = OrderedKey(range.max == 0.0f ? 0.0f : range.max);
  const uint32_t span = key_max - key_min;
  int shift = 0;
  while ((span >> shift) >= (uint32_t{1} << kBucketBits)) ++shift;
  const size_t num_buckets = (span >> shift) + 1;
  const auto bucket_of = [&](float v) {
    return static_cast<size_t>((OrderedKey(v) - key_min) >> shift);
  };
  // Four interleaved sub-histograms: consecutive elements often fall into the
  // same bucket, and one histogram would serialise those increments.
  std::vector<uint64_t> counts(4 * num_buckets, 0);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++counts[bucket_of(At(x, i))];
    ++counts[num_buckets + bucket_of(At(x, i + 1))];
    ++counts[2 * num_buckets + bucket_of(At(x, i + 2))];
    ++counts[3 * num_buckets + bucket_of(At(x, i + 3))];
  }
  for (; i < n; ++i) ++counts[bucket_of(At(x, i))];
  for (size_t b = 0; b < num_buckets; ++b) {
    counts[b] += counts[num_buckets + b] + counts[2 * num_buckets + b] +
                 counts[3 * num_buckets + b];
  }
  counts.resize(num_buckets);

  // The bucket of each wanted rank, and how many elements precede it.
  const size_t wanted[4] = {ranks[0].below, ranks[0].above, ranks[1].below,
                            ranks[1].above};
  size_t bucket[4], before[4];
  for (int k = 0; k < 4; ++k) {
    size_t cumulative = 0, b = 0;
    while (cumulative + counts[b] <= wanted[k]) cumulative += counts[b++];
    bucket[k] = b;
    before[k] = cumulative;
  }

  // Gather the elements of those (at most four distinct) buckets.
  std::vector<size_t> distinct(bucket, bucket + 4);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()),
                 distinct.end());
  std::vector<std::vector<float>> members(distinct.size());
  for (size_t d = 0; d < distinct.size(); ++d) {
    members[d].reserve(counts[distinct[d]]);
  }
  for (size_t j = 0; j < n; ++j) {
    const float v = At(x, j);
    const size_t b = bucket_of(v);
    for (size_t d = 0; d < distinct.size(); ++d) {
      if (b == distinct[d]) members[d].push_back(v);
    }
  }

  // Select each rank within its bucket.
  float value[4];
  for (int k = 0; k < 4; ++k) {
    const size_t d = static_cast<size_t>(
        std::find(distinct.begin(), distinct.end(), bucket[k]) -
        distinct.begin());
    std::vector<float>& m = members[d];
    const auto nth = m.begin() + static_cast<ptrdiff_t>(wanted[k] - before[k]);
    std::nth_element(m.begin(), nth, m.end());
    value[k] = *nth;
  }
  return {Lerp(value[0], value[1], ranks[0].t),
          Lerp(value[2], value[3], ranks[1].t)};
}

}  // namespace simdquant
