// The kernels on several threads (parallel.h): ThreadPool, and each kernel
// split into pieces that the single-thread kernels compute. Piece boundaries
// fall on whole rows, groups, packed bytes and GGUF blocks, so no two pieces
// write the same byte and every result is independent of the split.
#include "simdquant/parallel.h"

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/internal.h"
#include "lib/pieces.h"
#include "simdquant/targets.h"

namespace simdquant {

// ---------------------------------------------------------------------------
// ThreadPool

namespace {
// The pool whose task this thread is running, if any: a kernel called from
// inside a task runs on that thread alone instead of waiting for the pool.
thread_local const void* t_running_pool = nullptr;
}  // namespace

struct ThreadPool::Impl {
  std::mutex run_mutex;  // one Run at a time
  std::mutex mutex;      // guards everything below but `next`
  std::condition_variable wake, finished;
  std::vector<std::thread> workers;
  size_t threads = 1;  // what Concurrency() says, also after Shutdown
  uint64_t generation = 0;  // one per Run: workers wait for it to change
  // generation, readable without the mutex: a worker polls it for a while
  // after each Run before sleeping, because waking a sleeping thread took
  // 33 us here, as long as quantizing 700K elements.
  std::atomic<uint64_t> published{0};
  Task task = nullptr;
  void* context = nullptr;
  size_t count = 0;
  std::atomic<size_t> next{0};
  size_t busy = 0;  // workers that have not finished the current Run
  std::exception_ptr error;
  bool stop = false;

  // Runs tasks until none is left. A throwing task (simdquant's never do)
  // ends the Run; its exception goes to Run's caller.
  void Drain() {
    const void* outer = t_running_pool;
    t_running_pool = this;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < count;) {
      try {
        task(context, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next.store(count, std::memory_order_relaxed);
      }
    }
    t_running_pool = outer;
  }

  void Work() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      lock.unlock();
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      for (unsigned i = 1; published.load(std::memory_order_acquire) == seen; ++i) {
        if (i % 64 == 0 && std::chrono::steady_clock::now() > until) break;
        std::this_thread::yield();
      }
      lock.lock();
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      lock.unlock();
      Drain();
      lock.lock();
      if (--busy == 0) finished.notify_one();
    }
  }
};

ThreadPool::ThreadPool(size_t threads) : impl_(new Impl) {
  if (threads == 0 || threads > kMaxThreads) {
    internal::Fail("ThreadPool", "threads must be in [1, " +
                                     std::to_string(kMaxThreads) + "], got " +
                                     std::to_string(threads));
  }
  impl_->threads = threads;
  impl_->workers.reserve(threads - 1);
  for (size_t i = 1; i < threads; ++i) {
    impl_->workers.emplace_back([impl = impl_.get()] { impl->Work(); });
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

size_t ThreadPool::Concurrency() const { return impl_->threads; }

void ThreadPool::Run(size_t count, Task task, void* context) {
  Impl& p = *impl_;
  if (t_running_pool == &p) {  // from inside one of this pool's tasks
    for (size_t i = 0; i < count; ++i) task(context, i);
    return;
  }
  std::lock_guard<std::mutex> run(p.run_mutex);
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.stop) throw std::logic_error("simdquant::ThreadPool::Run: the pool is shut down");
    p.task = task;
    p.context = context;
    p.count = count;
    p.next.store(0, std::memory_order_relaxed);
    p.busy = p.workers.size();
    p.error = nullptr;
    p.published.store(++p.generation, std::memory_order_release);
  }
  p.wake.notify_all();
  p.Drain();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(p.mutex);
    p.finished.wait(lock, [&] { return p.busy == 0; });
    error = p.error;
    p.error = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::Shutdown() {
  Impl& p = *impl_;
  if (t_running_pool == &p) {
    throw std::logic_error(
        "simdquant::ThreadPool::Shutdown: called from inside one of its tasks");
  }
  std::lock_guard<std::mutex> run(p.run_mutex);  // after the running kernel
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    if (p.stop) return;
    p.stop = true;
  }
  p.wake.notify_all();
  for (std::thread& t : p.workers) t.join();
  p.workers.clear();
}

// ---------------------------------------------------------------------------
// Pieces

namespace {
using internal::RunPieces;
using internal::Split;
using internal::SplitUnits;

// Pieces of whole elements: 512 at a time, so that every piece starts on a
// byte of packed codes of any width and on a cache line of 1-byte codes.
constexpr size_t kElementAlign = 512;

// Pieces of [0, n) elements, or one piece when `splittable` is false (null
// pointers and other bad arguments: the single-thread kernel reports them).
Split ElementPieces(Executor& executor, size_t n, bool splittable) {
  return splittable ? SplitUnits(n, kElementAlign, kMinPieceElements,
                                 executor.Concurrency())
                    : SplitUnits(n, 1, 1, 1);
}

// Runs body(begin, count) over the pieces of [0, n).
template <class Body>
void ForEachElementPiece(Executor& executor, size_t n, bool splittable,
                         const Body& body) {
  const Split s = ElementPieces(executor, n, splittable);
  RunPieces(executor, s.count, [&](size_t i) { body(s.Begin(i), s.Size(i)); });
}

// reduce(x + begin, count) per piece of x[0, n), merged in piece order.
template <typename R, class Reduce, class Merge>
R ReduceElementPieces(Executor& executor, const float* x, size_t n,
                      const Reduce& reduce, const Merge& merge) {
  const Split s = ElementPieces(executor, n, x != nullptr);
  std::vector<R> parts(s.count);
  RunPieces(executor, s.count, [&](size_t i) {
    parts[i] = reduce(x + s.Begin(i), s.Size(i));
  });
  R r = parts[0];
  for (size_t i = 1; i < s.count; ++i) r = merge(r, parts[i]);
  return r;
}

MinMaxResult MergeRanges(MinMaxResult a, MinMaxResult b) {
  if (std::isnan(a.min) || std::isnan(b.min)) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    return {nan, nan};
  }
  return {std::min(a.min, b.min), std::max(a.max, b.max)};
}

template <typename T>
const T* Advance(const T* p, size_t bytes) {
  return reinterpret_cast<const T*>(reinterpret_cast<const char*>(p) + bytes);
}
template <typename T>
T* Advance(T* p, size_t bytes) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(p) + bytes);
}

size_t FloatBytes(detail::FloatType type) {
  return type == detail::FloatType::kF32 ? 4 : 2;
}
// Bytes of `elements` codes (for packed codes a multiple of 8 elements).
size_t CodeBytes(detail::CodeType code, size_t elements, int bits) {
  switch (code) {
    case detail::CodeType::kU8:
    case detail::CodeType::kI8:
      return elements;
    case detail::CodeType::kPacked:
      return elements / 8 * static_cast<size_t>(bits);
    default:
      return 2 * elements;
  }
}

// Parameter arrays from set k on.
GroupParams ShiftParams(GroupParams p, size_t k) {
  if (p.scales != nullptr) p.scales += k;
  if (p.scales_f16 != nullptr) p.scales_f16 += k;
  if (p.zero_points != nullptr) p.zero_points += k;
  return p;
}
GroupParamsOut ShiftParams(GroupParamsOut out, size_t k) {
  if (out.scales != nullptr) out.scales += k;
  if (out.scales_f16 != nullptr) out.scales_f16 += k;
  if (out.zero_points != nullptr) out.zero_points += k;
  return out;
}

size_t Gcd8(size_t v) { return std::gcd(v % 8 == 0 ? size_t{8} : v % 8, size_t{8}); }

// A layout cut into pieces of whole units: elements (per tensor), groups
// (per group, when the groups tile the rows) or rows (otherwise). Unit u
// holds elements [u * unit_elements, ...) and parameter sets
// [u * unit_params, ...) (unit_params 0: the sets are shared, per tensor and
// per column).
struct LayoutSplit {
  Layout layout;
  Split split;
  size_t unit_elements = 1, unit_params = 0;
  bool by_groups = false;

  // The layout of `units` units.
  Layout Of(size_t units) const {
    Layout l = layout;
    if (layout.granularity == Granularity::kPerTensor) {
      l.cols = units;
    } else if (by_groups) {
      l.rows = 1;
      l.cols = units * layout.group_size;
    } else {
      l.rows = units;
    }
    return l;
  }
};

LayoutSplit SplitLayout(const Layout& layout, size_t concurrency) {
  LayoutSplit s;
  s.layout = layout;
  size_t units = layout.NumElements(), align = kElementAlign;
  if (layout.granularity == Granularity::kPerGroup &&
      layout.group_size <= layout.cols && layout.cols % layout.group_size == 0) {
    s.by_groups = true;
    s.unit_elements = layout.group_size;
    s.unit_params = 1;
    units = layout.rows * layout.GroupsPerRow();
    align = 8 / Gcd8(layout.group_size);  // pieces start on packed bytes
  } else if (layout.granularity != Granularity::kPerTensor) {
    s.unit_elements = layout.cols;
    s.unit_params = layout.granularity == Granularity::kPerRow ? 1
                    : layout.granularity == Granularity::kPerGroup
                        ? layout.GroupsPerRow()
                        : 0;
    units = layout.rows;
    align = 8 / Gcd8(layout.cols);
  }
  const size_t min_units =
      (kMinPieceElements + s.unit_elements - 1) / std::max<size_t>(s.unit_elements, 1);
  s.split = SplitUnits(units, align, min_units,
                       layout.NumElements() == 0 ? 1 : concurrency);
  return s;
}

// Runs body(layout, first element, first parameter set) for each piece of
// the layout; returns false, running nothing, when there would be only one
// piece (or `splittable` is false): the caller then runs the single-thread
// kernel, whose errors name its own bad arguments.
template <class Body>
bool ForEachLayoutPiece(Executor& executor, const Layout& layout,
                        bool splittable, const Body& body) {
  if (!splittable) return false;
  const LayoutSplit s = SplitLayout(layout, executor.Concurrency());
  if (s.split.count == 1) return false;
  RunPieces(executor, s.split.count, [&](size_t i) {
    const size_t unit = s.split.Begin(i);
    body(s.Of(s.split.Size(i)), unit * s.unit_elements,
         unit * s.unit_params);
  });
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// simdquant.h

MinMaxResult MinMax(Executor& executor, const float* x, size_t n) {
  return ReduceElementPieces<MinMaxResult>(
      executor, x, n, [](const float* p, size_t m) { return MinMax(p, m); },
      MergeRanges);
}

float AbsMax(Executor& executor, const float* x, size_t n) {
  return ReduceElementPieces<float>(
      executor, x, n, [](const float* p, size_t m) { return AbsMax(p, m); },
      [](float a, float b) {
        return std::isnan(a) || std::isnan(b)
                   ? std::numeric_limits<float>::quiet_NaN()
                   : std::max(a, b);
      });
}

ErrorStats MeasureError(Executor& executor, const float* x, size_t n,
                        const QuantParams& p, QuantizeMode mode) {
  internal::CheckParams(p, "MeasureError");
  internal::CheckMode(mode, "MeasureError");
  internal::CheckNonEmpty(n, "MeasureError");
  internal::CheckPointer(x, n, "MeasureError", "x");
  constexpr size_t kStripe = internal::kErrorStripe;
  std::vector<internal::StripeSums> stripes(internal::NumStripes(n));
  const Split s = SplitUnits(stripes.size(), 1,
                             (kMinPieceElements + kStripe - 1) / kStripe,
                             executor.Concurrency());
  RunPieces(executor, s.count, [&](size_t i) {
    const size_t first = s.Begin(i) * kStripe;
    internal::ErrorStripes(x + first,
                           std::min(n - first, s.Size(i) * kStripe), p, mode,
                           stripes.data() + s.Begin(i));
  });
  return internal::FinishErrorStats(
      internal::SumStripes(stripes.data(), stripes.size()), n);
}

template <typename TCode>
void Quantize(Executor& executor, const float* x, size_t n,
              const QuantParams& p, TCode* q, QuantizeMode mode) {
  ForEachElementPiece(executor, n, x != nullptr && q != nullptr,
                      [&](size_t begin, size_t count) {
                        Quantize(x + begin, count, p, q + begin, mode);
                      });
}

template <typename TCode>
void Dequantize(Executor& executor, const TCode* q, size_t n,
                const QuantParams& p, float* x) {
  ForEachElementPiece(executor, n, x != nullptr && q != nullptr,
                      [&](size_t begin, size_t count) {
                        Dequantize(q + begin, count, p, x + begin);
                      });
}

template <typename TCode>
void Pack(Executor& executor, const TCode* codes, size_t n, int bits,
          uint8_t* packed) {
  const bool ok = codes != nullptr && packed != nullptr && bits >= 1 && bits <= 8;
  ForEachElementPiece(executor, n, ok, [&](size_t begin, size_t count) {
    Pack(codes + begin, count, bits, packed + begin / 8 * bits);
  });
}

template <typename TCode>
void Unpack(Executor& executor, const uint8_t* packed, size_t n, int bits,
            TCode* codes) {
  const bool ok = codes != nullptr && packed != nullptr && bits >= 1 && bits <= 8;
  ForEachElementPiece(executor, n, ok, [&](size_t begin, size_t count) {
    Unpack(packed + begin / 8 * bits, count, bits, codes + begin);
  });
}

#define SIMDQUANT_INSTANTIATE(T)                                              \
  template void Quantize<T>(Executor&, const float*, size_t,                  \
                            const QuantParams&, T*, QuantizeMode);            \
  template void Dequantize<T>(Executor&, const T*, size_t, const QuantParams&, \
                              float*);
SIMDQUANT_INSTANTIATE(uint8_t)
SIMDQUANT_INSTANTIATE(int8_t)
SIMDQUANT_INSTANTIATE(uint16_t)
SIMDQUANT_INSTANTIATE(int16_t)
#undef SIMDQUANT_INSTANTIATE
template void Pack<uint8_t>(Executor&, const uint8_t*, size_t, int, uint8_t*);
template void Pack<int8_t>(Executor&, const int8_t*, size_t, int, uint8_t*);
template void Unpack<uint8_t>(Executor&, const uint8_t*, size_t, int, uint8_t*);
template void Unpack<int8_t>(Executor&, const uint8_t*, size_t, int, int8_t*);

// ---------------------------------------------------------------------------
// tensor.h

namespace detail {

void MinMax(Executor& executor, const void* x, FloatType type,
            const Layout& layout, MinMaxResult* ranges) {
  internal::CheckLayout(layout, "MinMax");
  if (x == nullptr || ranges == nullptr) {
    return MinMax(x, type, layout, ranges);
  }
  const LayoutSplit s = SplitLayout(layout, executor.Concurrency());
  const Split& sp = s.split;
  const bool merged = layout.granularity == Granularity::kPerTensor ||
                      layout.granularity == Granularity::kPerColumn;
  const size_t sets = merged ? layout.NumParams() : 0;
  // Per tensor and per column, each piece's ranges, merged in piece order.
  std::vector<MinMaxResult> parts(sp.count > 1 ? sp.count * sets : 0);
  RunPieces(executor, sp.count, [&](size_t i) {
    const size_t unit = sp.Begin(i);
    MinMaxResult* out = sp.count == 1 ? ranges
                        : merged      ? parts.data() + i * sets
                                      : ranges + unit * s.unit_params;
    MinMax(Advance(x, unit * s.unit_elements * FloatBytes(type)), type,
           s.Of(sp.Size(i)), out);
  });
  if (sp.count == 1 || !merged) return;
  for (size_t k = 0; k < sets; ++k) {
    MinMaxResult r = parts[k];
    for (size_t i = 1; i < sp.count; ++i) r = MergeRanges(r, parts[i * sets + k]);
    ranges[k] = r;
  }
}

void Quantize(Executor& executor, const void* x, FloatType type,
              const Layout& layout, const GroupParams& p, void* q,
              CodeType code, QuantizeMode mode) {
  const char* function = code == CodeType::kPacked ? "QuantizePacked" : "Quantize";
  internal::CheckLayout(layout, function);
  internal::CheckMode(mode, function);
  internal::CheckGroupParams(p, layout, code, function, internal::GroupSetsValid);
  const bool split = ForEachLayoutPiece(
      executor, layout, x != nullptr && q != nullptr,
      [&](const Layout& piece, size_t first, size_t set) {
        Quantize(Advance(x, first * FloatBytes(type)), type, piece,
                 ShiftParams(p, set), Advance(q, CodeBytes(code, first, p.bits)),
                 code, mode);
      });
  if (!split) Quantize(x, type, layout, p, q, code, mode);
}

void Dequantize(Executor& executor, const void* q, CodeType code,
                const Layout& layout, const GroupParams& p, void* y,
                FloatType type) {
  const char* function =
      code == CodeType::kPacked ? "DequantizePacked" : "Dequantize";
  internal::CheckLayout(layout, function);
  internal::CheckGroupParams(p, layout, code, function, internal::GroupSetsValid);
  const bool split = ForEachLayoutPiece(
      executor, layout, y != nullptr && q != nullptr,
      [&](const Layout& piece, size_t first, size_t set) {
        Dequantize(Advance(q, CodeBytes(code, first, p.bits)), code, piece,
                   ShiftParams(p, set), Advance(y, first * FloatBytes(type)),
                   type);
      });
  if (!split) Dequantize(q, code, layout, p, y, type);
}

void QuantizeDynamic(Executor& executor, const void* x, FloatType type,
                     const Layout& layout, const QuantSpec& spec,
                     const GroupParamsOut& out, void* q, CodeType code) {
  const char* function =
      code == CodeType::kPacked ? "QuantizeDynamicPacked" : "QuantizeDynamic";
  internal::CheckLayout(layout, function);
  internal::CheckDynamicSpec(spec, out, layout, code, function);
  const bool splittable = x != nullptr && q != nullptr;
  const Granularity g = layout.granularity;
  if (g == Granularity::kPerRow || g == Granularity::kPerGroup) {
    // Each group's parameters come from its own elements: one fused pass.
    const bool split = ForEachLayoutPiece(
        executor, layout, splittable,
        [&](const Layout& piece, size_t first, size_t set) {
          QuantizeDynamic(Advance(x, first * FloatBytes(type)), type, piece,
                          spec, ShiftParams(out, set),
                          Advance(q, CodeBytes(code, first, spec.bits)), code);
        });
    if (!split) QuantizeDynamic(x, type, layout, spec, out, q, code);
    return;
  }
  if (!splittable || SplitLayout(layout, executor.Concurrency()).split.count == 1) {
    return QuantizeDynamic(x, type, layout, spec, out, q, code);
  }
  // Per tensor and per column: the ranges in parallel, then the parameters
  // chosen by the single-thread kernel on the 2 x sets tensor of the ranges'
  // (min, max) (its ranges are those, so its parameters are the tensor's,
  // its errors too), then the codes in parallel.
  const size_t sets = layout.NumParams();
  std::vector<MinMaxResult> ranges(sets);
  MinMax(executor, x, type, layout, ranges.data());
  std::vector<float> bounds(2 * sets);
  for (size_t k = 0; k < sets; ++k) {
    bounds[k] = ranges[k].min;
    bounds[sets + k] = ranges[k].max;
  }
  const Layout bounds_layout = g == Granularity::kPerTensor
                                   ? Layout::PerTensor(2)
                                   : Layout::PerColumn(2, sets);
  std::vector<uint16_t> scratch(2 * sets);  // codes of the bounds, unused
  QuantizeDynamic(bounds.data(), FloatType::kF32, bounds_layout, spec, out,
                  scratch.data(), code);
  Quantize(executor, x, type, layout, internal::ParamsOf(spec, out), q, code,
           spec.mode);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// gguf.h

namespace gguf {
namespace detail {
namespace {
using simdquant::detail::FloatType;

// The smallest piece of an encoder, in elements: the K-quant searches run
// at 0.1 to 1 GB/s, the legacy encoders 20 times faster.
size_t MinEncodeElements(BlockType type) {
  return IsKQuant(type) ? 8192 : kMinPieceElements / 4;
}
}  // namespace

void Encode(Executor& executor, BlockType type, const void* x,
            FloatType x_type, size_t n, void* blocks) {
  internal::CheckGguf(type, x, n, blocks, "gguf::Encode");
  const size_t block = BlockSize(type);
  const Split s = SplitUnits(n / block, 1,
                             MinEncodeElements(type) / block,
                             executor.Concurrency());
  RunPieces(executor, s.count, [&](size_t i) {
    const size_t first = s.Begin(i);
    Encode(type, Advance(x, first * block * FloatBytes(x_type)), x_type,
           s.Size(i) * block, Advance(blocks, first * BlockBytes(type)));
  });
}

void EncodeRows(Executor& executor, BlockType type, const void* x,
                FloatType x_type, size_t rows, size_t n_per_row,
                const float* importance, void* blocks) {
  internal::CheckGgufRows(type, x, rows, n_per_row, importance, blocks,
                          "gguf::EncodeRows");
  if (importance == nullptr) {  // Encode's bytes, row after row
    return Encode(executor, type, x, x_type, rows * n_per_row, blocks);
  }
  // Split by rows: the weights' checks (not all zero) hold for whole rows.
  const size_t min_rows =
      (MinEncodeElements(type) + n_per_row - 1) / std::max<size_t>(n_per_row, 1);
  const Split s = SplitUnits(rows, 1, min_rows, executor.Concurrency());
  const size_t row_bytes = RowBytes(type, n_per_row);
  RunPieces(executor, s.count, [&](size_t i) {
    const size_t first = s.Begin(i);
    EncodeRows(type, Advance(x, first * n_per_row * FloatBytes(x_type)),
               x_type, s.Size(i), n_per_row, importance,
               Advance(blocks, first * row_bytes));
  });
}

void Decode(Executor& executor, BlockType type, const void* blocks, size_t n,
            void* x, FloatType x_type) {
  internal::CheckGguf(type, x, n, blocks, "gguf::Decode");
  const size_t block = BlockSize(type);
  const Split s = SplitUnits(n / block, 1, kMinPieceElements / block,
                             executor.Concurrency());
  RunPieces(executor, s.count, [&](size_t i) {
    const size_t first = s.Begin(i);
    Decode(type, Advance(blocks, first * BlockBytes(type)), s.Size(i) * block,
           Advance(x, first * block * FloatBytes(x_type)), x_type);
  });
}

}  // namespace detail
}  // namespace gguf
}  // namespace simdquant
