// Work cut into pieces for an Executor (parallel.h): the split, and running
// the pieces with their errors carried back to the calling thread. Shared by
// lib/parallel.cc and the calibrators.
#ifndef SIMDQUANT_LIB_PIECES_H_
#define SIMDQUANT_LIB_PIECES_H_

#include <stddef.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>

#include "simdquant/parallel.h"
#include "simdquant/targets.h"

namespace simdquant {
namespace internal {

// [0, units) cut into `count` pieces of `size` units (the last may be
// shorter), each a multiple of `align` units.
struct Split {
  size_t units = 0, size = 0, count = 1;
  size_t Begin(size_t i) const { return i * size; }
  size_t Size(size_t i) const { return std::min(size, units - i * size); }
};

// At most per_thread pieces per thread (tasks are taken in turn, so a slow
// thread takes fewer), none smaller than min_units: one piece (the calling
// thread, no executor) when there is not enough work for two.
inline Split SplitUnits(size_t units, size_t align, size_t min_units,
                        size_t concurrency, size_t per_thread = 4) {
  Split s;
  s.units = units;
  s.size = units;
  min_units = std::max<size_t>(min_units, 1);
  if (concurrency <= 1 || units < 2 * min_units) return s;
  const size_t pieces =
      std::min(units / min_units,
               per_thread * std::min(concurrency, ThreadPool::kMaxThreads));
  s.size = (units + pieces - 1) / pieces;
  s.size = (s.size + align - 1) / align * align;
  s.count = (units + s.size - 1) / s.size;
  return s;
}

// Runs body(i) for every piece i on the executor, rethrowing the first
// error on this thread once every piece has finished or been skipped.
template <class Body>
void RunPieces(Executor& executor, size_t count, const Body& body) {
  if (count <= 1) return body(0);
  (void)ActiveTarget();  // dispatch chosen before the threads start
  struct Context {
    const Body* body;
    std::atomic<size_t> ran{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr error;
  } job;
  job.body = &body;
  const Executor::Task task = [](void* context, size_t i) {
    Context& c = *static_cast<Context*>(context);
    if (!c.failed.load(std::memory_order_relaxed)) {
      try {
        (*c.body)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(c.mutex);
        if (!c.error) c.error = std::current_exception();
        c.failed.store(true, std::memory_order_relaxed);
      }
    }
    c.ran.fetch_add(1, std::memory_order_acq_rel);
  };
  executor.Run(count, task, &job);
  if (job.error) std::rethrow_exception(job.error);
  const size_t ran = job.ran.load(std::memory_order_acquire);
  if (ran != count) {
    throw std::runtime_error(
        "simdquant: the executor's Run returned before running every task (" +
        std::to_string(ran) + " of " + std::to_string(count) + ")");
  }
}

// SplitUnits for an optional executor: one piece without one.
inline Split SplitUnits(Executor* executor, size_t units, size_t align,
                        size_t min_units, size_t per_thread = 4) {
  return SplitUnits(units, align, min_units,
                    executor == nullptr ? 1 : executor->Concurrency(),
                    per_thread);
}

// RunPieces for an optional executor (count is then 1).
template <class Body>
void RunPieces(Executor* executor, size_t count, const Body& body) {
  if (executor == nullptr || count <= 1) return body(0);
  RunPieces(*executor, count, body);
}

}  // namespace internal
}  // namespace simdquant

#endif  // SIMDQUANT_LIB_PIECES_H_
