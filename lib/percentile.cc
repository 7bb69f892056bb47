// PercentileRange: exact numpy "linear" percentiles in O(n) time and at most
// 512 KiB of extra memory, without sorting or copying x.
#include <math.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lib/internal.h"
#include "lib/pieces.h"
#include "simdquant/calibrate.h"
#include "simdquant/parallel.h"
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
inline float FloatOfKey(uint32_t key) {
  const uint32_t u = (key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key;
  float f;
  memcpy(&f, &u, sizeof(f));
  return f;
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

// Histograms have 2^kBucketBits buckets (32 KiB of counts: L1-resident), so
// each pass narrows a key range by 12 bits: three passes reach one key.
constexpr int kBucketBits = 12;
// A key range holding at most this many elements is copied and selected in
// instead of narrowed further (64 KiB per range).
constexpr size_t kGatherLimit = 16384;
// Interleaved sub-histograms: runs of equal keys would otherwise serialize
// their increments on one counter.
constexpr size_t kInterleave = 4;

// One wanted order statistic (the rank-th smallest, 0-based, of the elements
// whose key offset, key - key_min, lies in [base, base + 2^bits)), narrowed
// pass by pass.
struct Pick {
  uint64_t base = 0;
  int bits = 32;
  uint64_t count = 0;  // elements in the range
  uint64_t rank = 0;
  bool done = false;
  float value = 0.0f;
};

// The work of one pass for one distinct key range: gather its elements, or
// count them per bucket; either way note its smallest and largest offsets.
struct RangePass {
  uint64_t base;
  int bits;
  int shift;  // bucket = (offset - base) >> shift
  size_t buckets;  // per sub-histogram: 2^(bits - shift)
  bool gather;
  uint64_t lowest = ~uint64_t{0}, highest = 0;  // offsets - base seen
  std::vector<float> members;
  std::vector<uint64_t> counts;  // kInterleave sub-histograms
};

int BitWidth(uint32_t v) { return v == 0 ? 0 : 32 - __builtin_clz(v); }

// x[i] for any alignment of x (the contract allows misaligned arrays, and a
// misaligned float access is undefined behaviour); compiles to one load.
float At(const float* x, size_t i) {
  float v;
  memcpy(&v, x + i, sizeof(v));
  return v;
}

// The first pass: every element lies in the one range, so no range test and
// no extremes (MinMax found them); consecutive elements count into
// different sub-histograms.
void CountAll(const float* x, size_t n, uint32_t key_min, RangePass& r) {
  const size_t buckets = r.buckets;
  uint64_t* c = r.counts.data();
  const int shift = r.shift;
  const auto bucket = [&](size_t j) {
    return (OrderedKey(At(x, j)) - key_min) >> shift;
  };
  size_t j = 0;
  for (; j + kInterleave <= n; j += kInterleave) {
    ++c[bucket(j)];
    ++c[buckets + bucket(j + 1)];
    ++c[2 * buckets + bucket(j + 2)];
    ++c[3 * buckets + bucket(j + 3)];
  }
  for (; j < n; ++j) ++c[bucket(j)];
}

// Later passes: each element is tested against every open range.
void CountOrGather(const float* x, size_t n, uint32_t key_min,
                   std::vector<RangePass>& ranges) {
  for (size_t j = 0; j < n; ++j) {
    const float v = At(x, j);
    const uint32_t offset = OrderedKey(v) - key_min;
    for (RangePass& r : ranges) {
      const uint64_t d = uint64_t{offset} - r.base;
      if ((d >> r.bits) != 0) continue;  // outside (below: d wrapped)
      r.lowest = std::min(r.lowest, d);
      r.highest = std::max(r.highest, d);
      if (r.gather) {
        r.members.push_back(v);
      } else {
        ++r.counts[(j % kInterleave) * r.buckets + (d >> r.shift)];
      }
    }
  }
}

// One pass over x that serves every open pick: each pick either resolves
// (its range was gathered, held a single key, or narrowed to one) or narrows
// by kBucketBits. Picks with the same range share its work. `all_bits`: the
// width of the first range, which holds every element.
void Pass(const float* x, size_t n, uint32_t key_min, int all_bits,
          std::vector<Pick>& picks, Executor* executor) {
  std::vector<RangePass> ranges;
  std::vector<size_t> range_of(picks.size());
  for (size_t k = 0; k < picks.size(); ++k) {
    const Pick& p = picks[k];
    if (p.done) continue;
    size_t r = 0;
    while (r < ranges.size() &&
           (ranges[r].base != p.base || ranges[r].bits != p.bits)) {
      ++r;
    }
    if (r == ranges.size()) {
      RangePass range;
      range.base = p.base;
      range.bits = p.bits;
      range.shift = std::max(p.bits - kBucketBits, 0);
      range.buckets = size_t{1} << (p.bits - range.shift);
      range.gather = p.count <= kGatherLimit;
      if (range.gather) {
        range.members.reserve(p.count);
      } else {
        range.counts.assign(kInterleave * range.buckets, 0);
      }
      ranges.push_back(std::move(range));
    }
    range_of[k] = r;
  }
  const bool first = ranges.size() == 1 && ranges[0].base == 0 &&
                     ranges[0].bits == all_bits && !ranges[0].gather;
  const auto count = [&](const float* xs, size_t m,
                         std::vector<RangePass>& into) {
    if (first) {
      CountAll(xs, m, key_min, into[0]);
    } else {
      CountOrGather(xs, m, key_min, into);
    }
  };
  // On several threads: one piece per thread, each with histograms of its
  // own, merged in piece order (counts add exactly; members keep x's order).
  const internal::Split split = internal::SplitUnits(
      executor, n, 1, kMinPieceElements, /*per_thread=*/1);
  if (split.count == 1) {
    count(x, n, ranges);
  } else {
    std::vector<std::vector<RangePass>> parts(split.count);
    for (auto& part : parts) {
      for (const RangePass& r : ranges) {
        part.push_back(r);  // no counts or members yet
      }
    }
    internal::RunPieces(executor, split.count, [&](size_t i) {
      count(x + split.Begin(i), split.Size(i), parts[i]);
    });
    for (const auto& part : parts) {
      for (size_t r = 0; r < ranges.size(); ++r) {
        const RangePass& from = part[r];
        RangePass& to = ranges[r];
        to.lowest = std::min(to.lowest, from.lowest);
        to.highest = std::max(to.highest, from.highest);
        to.members.insert(to.members.end(), from.members.begin(),
                          from.members.end());
        for (size_t b = 0; b < from.counts.size(); ++b) {
          to.counts[b] += from.counts[b];
        }
      }
    }
  }

  for (size_t k = 0; k < picks.size(); ++k) {
    Pick& p = picks[k];
    if (p.done) continue;
    RangePass& r = ranges[range_of[k]];
    if (!first && r.lowest == r.highest) {  // one key (n - 2 copies, zeros)
      p.value = FloatOfKey(static_cast<uint32_t>(key_min + p.base + r.lowest));
      p.done = true;
      continue;
    }
    if (r.gather) {
      const auto nth = r.members.begin() + static_cast<ptrdiff_t>(p.rank);
      std::nth_element(r.members.begin(), nth, r.members.end());
      p.value = *nth;
      p.done = true;
      continue;
    }
    uint64_t before = 0, in_bucket = 0;
    size_t b = 0;
    for (;; ++b) {
      in_bucket = 0;
      for (size_t i = 0; i < kInterleave; ++i) {
        in_bucket += r.counts[i * r.buckets + b];
      }
      if (before + in_bucket > p.rank) break;
      before += in_bucket;
    }
    p.base += uint64_t{b} << r.shift;
    p.bits = r.shift;
    p.count = in_bucket;
    p.rank -= before;
    if (p.bits == 0) {
      p.value = FloatOfKey(static_cast<uint32_t>(key_min + p.base));
      p.done = true;
    }
  }
}

// Values that a sorted sample says fill a long run of equal elements around
// each pick's rank (ReLU zeros, n - 2 copies of a value) are confirmed by
// counting: one compare-and-add pass per distinct value (the compiler
// vectorizes it), instead of radix passes that pile every element into one
// bucket. Resolves nothing unless the sample predicts a run for every pick.
void ResolveRuns(const float* x, size_t n, std::vector<Pick>& picks,
                 Executor* executor) {
  constexpr size_t kSample = 1024, kMargin = 16;
  if (n < 16 * kSample) return;
  float sample[kSample];
  for (size_t i = 0; i < kSample; ++i) sample[i] = At(x, i * (n / kSample));
  std::sort(sample, sample + kSample);
  float value[4];
  for (size_t k = 0; k < picks.size(); ++k) {
    const size_t s = static_cast<size_t>(
        static_cast<double>(picks[k].rank) * kSample / static_cast<double>(n));
    const float lo = sample[s < kMargin ? 0 : s - kMargin];
    const float hi = sample[std::min(s + kMargin, kSample - 1)];
    if (lo != hi) return;
    value[k] = lo;
  }
  for (size_t k = 0; k < picks.size(); ++k) {
    const float v = value[k];
    if (std::find(value, value + k, v) != value + k) continue;  // counted
    const internal::Split split =
        internal::SplitUnits(executor, n, 1, kMinPieceElements);
    std::vector<size_t> less_of(split.count), equal_of(split.count);
    internal::RunPieces(executor, split.count, [&](size_t i) {
      size_t less = 0, equal = 0;
      for (size_t j = split.Begin(i), end = j + split.Size(i); j < end; ++j) {
        const float xj = At(x, j);
        less += xj < v;
        equal += xj == v;  // -0 == +0: either is a right answer
      }
      less_of[i] = less;
      equal_of[i] = equal;
    });
    size_t less = 0, equal = 0;
    for (size_t i = 0; i < split.count; ++i) {
      less += less_of[i];
      equal += equal_of[i];
    }
    for (size_t same = k; same < picks.size(); ++same) {
      Pick& p = picks[same];
      if (value[same] == v && p.rank >= less && p.rank < less + equal) {
        p.value = v;
        p.done = true;
      }
    }
  }
}

}  // namespace

namespace internal {

void CheckPercentiles(double lower_pct, double upper_pct,
                      const char* function) {
  for (double pct : {lower_pct, upper_pct}) {
    if (!(pct >= 0.0 && pct <= 100.0)) {
      Fail(function, "percentile " + Str(pct) + " is outside [0, 100]");
    }
  }
  if (lower_pct > upper_pct) {
    Fail(function, "lower_pct = " + Str(lower_pct) +
                       " > upper_pct = " + Str(upper_pct));
  }
}

MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct, const char* function,
                             Executor* executor) {
  CheckNonEmpty(n, function);
  CheckPointer(x, n, function, "x");
  CheckPercentiles(lower_pct, upper_pct, function);
  const MinMaxResult range =
      executor == nullptr ? MinMax(x, n) : MinMax(*executor, x, n);
  if (isnan(range.min)) Fail(function, "x contains NaN");

  const Rank ranks[2] = {RankOf(lower_pct, n), RankOf(upper_pct, n)};
  if (range.min == range.max) {  // All equal (zeros of either sign).
    // Still through Lerp: numpy interpolates even between equal values, which
    // turns an infinite one into NaN (inf - inf).
    return {Lerp(range.min, range.min, ranks[0].t),
            Lerp(range.max, range.max, ranks[1].t)};
  }

  // Radix selection on the keys' offsets from the minimum's key. MinMax may
  // return either zero for a zero extreme (-0 == +0), but -0's key is below
  // +0's: take the outer key so that every element's offset lies in
  // [0, span].
  const uint32_t key_min = OrderedKey(range.min == 0.0f ? -0.0f : range.min);
  const uint32_t key_max = OrderedKey(range.max == 0.0f ? 0.0f : range.max);
  const int bits = BitWidth(key_max - key_min);
  std::vector<Pick> picks(4);
  const size_t wanted[4] = {ranks[0].below, ranks[0].above, ranks[1].below,
                            ranks[1].above};
  for (size_t k = 0; k < 4; ++k) {
    picks[k].bits = bits;
    picks[k].count = n;
    picks[k].rank = wanted[k];
  }
  ResolveRuns(x, n, picks, executor);
  while (!std::all_of(picks.begin(), picks.end(),
                      [](const Pick& p) { return p.done; })) {
    Pass(x, n, key_min, bits, picks, executor);
  }
  return {Lerp(picks[0].value, picks[1].value, ranks[0].t),
          Lerp(picks[2].value, picks[3].value, ranks[1].t)};
}

}  // namespace internal

MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct) {
  return internal::PercentileRange(x, n, lower_pct, upper_pct,
                                   "PercentileRange");
}

float Percentile(const float* x, size_t n, double pct) {
  return internal::PercentileRange(x, n, pct, pct, "Percentile").min;
}

MinMaxResult PercentileRange(Executor& executor, const float* x, size_t n,
                             double lower_pct, double upper_pct) {
  return internal::PercentileRange(x, n, lower_pct, upper_pct,
                                   "PercentileRange", &executor);
}

}  // namespace simdquant
