// simdquant on several threads: each kernel's work split into independent
// pieces (whole elements, rows, groups, packed bytes or GGUF blocks) that an
// Executor runs at once. Results are byte-identical for any thread count and
// any split: every piece is computed by the single-thread kernel on its own
// part, and pieces never share an output byte. The one exception is the sign
// of a zero minimum or maximum when both -0 and +0 occur, which may differ as
// it does between targets (simdquant.h).
//
// Nothing here runs on several threads unless you pass an Executor: the
// kernels of simdquant.h, tensor.h and gguf.h stay single-threaded, so that a
// library called from inside a framework's thread pool never oversubscribes
// the machine. Bring your own pool by implementing Executor (a few lines over
// pthreadpool, ONNX Runtime's or TBB's pools), or create a ThreadPool once
// and reuse it.
//
// Small inputs run on the calling thread without touching the executor: a
// piece is at least kMinPieceElements elements (GGUF encoders: a few blocks),
// because waking a thread costs about as much as quantizing that many
// elements on one core (README, "Multi-core").
#ifndef SIMDQUANT_PARALLEL_H_
#define SIMDQUANT_PARALLEL_H_

#include <stddef.h>
#include <stdint.h>

#include <memory>

#include "simdquant/float_codes.h"
#include "simdquant/gguf.h"
#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"

namespace simdquant {

// Runs a kernel's pieces. Implement it to run them on your own threads.
class Executor {
 public:
  using Task = void (*)(void* context, size_t index);
  virtual ~Executor() = default;
  // How many pieces may run at once (the calling thread included): kernels
  // split their work into at most 4 * Concurrency() pieces.
  virtual size_t Concurrency() const = 0;
  // Calls task(context, i) exactly once for every i in [0, count), on any
  // threads and in any order, and returns after the last call has returned.
  // Tasks never throw (simdquant catches its own errors and rethrows the
  // first on the calling thread once Run has returned). Run may throw
  // instead of running the tasks; it must not return or throw while a task
  // is still running. A Run that returns without running every task makes
  // the kernel throw std::runtime_error.
  virtual void Run(size_t count, Task task, void* context) = 0;
};

// simdquant's own pool: threads - 1 workers created once, plus the calling
// thread, which runs pieces too. Run may be called from several threads at
// once (one kernel runs at a time; the others wait) and from inside a task
// (the nested kernel then runs on that thread alone, so it cannot deadlock).
class ThreadPool final : public Executor {
 public:
  static constexpr size_t kMaxThreads = 1024;
  // threads: 1 to kMaxThreads (std::invalid_argument otherwise; 1 makes no
  // worker). std::thread::hardware_concurrency() is the usual choice.
  explicit ThreadPool(size_t threads);
  ~ThreadPool() override;  // Shutdown()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t Concurrency() const override;
  // std::logic_error after Shutdown.
  void Run(size_t count, Task task, void* context) override;
  // Waits for the running kernel, if any, then joins the workers.
  // Idempotent.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The smallest piece of an element-wise kernel, in elements: 2 pieces of
// 2^17 ran 1.5x faster than one thread on 2 cores (README, "Multi-core").
constexpr size_t kMinPieceElements = size_t{1} << 17;

// ---------------------------------------------------------------------------
// simdquant.h's kernels. TCode: uint8_t, int8_t, uint16_t or int16_t.

MinMaxResult MinMax(Executor& executor, const float* x, size_t n);
float AbsMax(Executor& executor, const float* x, size_t n);

// MeasureError's sums run in stripes of 2^16 elements added in order
// (simdquant.h): pieces of whole stripes give the single-thread bits.
ErrorStats MeasureError(Executor& executor, const float* x, size_t n,
                        const QuantParams& p,
                        QuantizeMode mode = QuantizeMode::kDivide);

template <typename TCode>
void Quantize(Executor& executor, const float* x, size_t n,
              const QuantParams& p, TCode* q,
              QuantizeMode mode = QuantizeMode::kDivide);
template <typename TCode>
void Dequantize(Executor& executor, const TCode* q, size_t n,
                const QuantParams& p, float* x);

// tensor.h's Pack and Unpack. TCode: uint8_t or int8_t.
template <typename TCode>
void Pack(Executor& executor, const TCode* codes, size_t n, int bits,
          uint8_t* packed);
template <typename TCode>
void Unpack(Executor& executor, const uint8_t* packed, size_t n, int bits,
            TCode* codes);

// ---------------------------------------------------------------------------
// calibrate.h: the passes over x (range, histograms, radix-select counts,
// exact error) split; histogram counts add exactly and gathered elements
// keep x's order, so the results are the single-thread ones. PercentileRange
// makes one piece per thread, each with its own histograms (up to 512 KiB).

MinMaxResult PercentileRange(Executor& executor, const float* x, size_t n,
                             double lower_pct, double upper_pct);
QuantParams CalibrateMinMax(Executor& executor, const float* x, size_t n,
                            const QuantSpec& spec);
QuantParams CalibratePercentile(Executor& executor, const float* x, size_t n,
                                double pct, const QuantSpec& spec);
QuantParams CalibrateMse(Executor& executor, const float* x, size_t n,
                         const QuantSpec& spec);

// ---------------------------------------------------------------------------
// tensor.h's kernels over layouts, split by rows, by whole groups (when the
// groups tile the rows) or by elements (per tensor). QuantizeDynamic per
// tensor and per column runs a parallel range pass, chooses the parameters
// on the calling thread, then quantizes in parallel.

namespace detail {
void MinMax(Executor& executor, const void* x, FloatType type,
            const Layout& layout, MinMaxResult* ranges);
void Quantize(Executor& executor, const void* x, FloatType type,
              const Layout& layout, const GroupParams& p, void* q,
              CodeType code, QuantizeMode mode);
void QuantizeDynamic(Executor& executor, const void* x, FloatType type,
                     const Layout& layout, const QuantSpec& spec,
                     const GroupParamsOut& out, void* q, CodeType code);
void Dequantize(Executor& executor, const void* q, CodeType code,
                const Layout& layout, const GroupParams& p, void* y,
                FloatType type);
}  // namespace detail

template <typename TIn>
void MinMax(Executor& executor, const TIn* x, const Layout& layout,
            MinMaxResult* ranges) {
  detail::MinMax(executor, x, detail::FloatTypeOf<TIn>(), layout, ranges);
}
template <typename TIn, typename TCode>
void Quantize(Executor& executor, const TIn* x, const Layout& layout,
              const GroupParams& p, TCode* q,
              QuantizeMode mode = QuantizeMode::kDivide) {
  detail::Quantize(executor, x, detail::FloatTypeOf<TIn>(), layout, p, q,
                   detail::CodeTypeOf<TCode>(), mode);
}
template <typename TIn>
void QuantizePacked(Executor& executor, const TIn* x, const Layout& layout,
                    const GroupParams& p, uint8_t* packed,
                    QuantizeMode mode = QuantizeMode::kDivide) {
  detail::Quantize(executor, x, detail::FloatTypeOf<TIn>(), layout, p, packed,
                   detail::CodeType::kPacked, mode);
}
template <typename TIn, typename TCode>
void QuantizeDynamic(Executor& executor, const TIn* x, const Layout& layout,
                     const QuantSpec& spec, const GroupParamsOut& out,
                     TCode* q) {
  detail::QuantizeDynamic(executor, x, detail::FloatTypeOf<TIn>(), layout,
                          spec, out, q, detail::CodeTypeOf<TCode>());
}
template <typename TIn>
void QuantizeDynamicPacked(Executor& executor, const TIn* x,
                           const Layout& layout, const QuantSpec& spec,
                           const GroupParamsOut& out, uint8_t* packed) {
  detail::QuantizeDynamic(executor, x, detail::FloatTypeOf<TIn>(), layout,
                          spec, out, packed, detail::CodeType::kPacked);
}
template <typename TCode, typename TOut>
void Dequantize(Executor& executor, const TCode* q, const Layout& layout,
                const GroupParams& p, TOut* y) {
  detail::Dequantize(executor, q, detail::CodeTypeOf<TCode>(), layout, p, y,
                     detail::FloatTypeOf<TOut>());
}
template <typename TOut>
void DequantizePacked(Executor& executor, const uint8_t* packed,
                      const Layout& layout, const GroupParams& p, TOut* y) {
  detail::Dequantize(executor, packed, detail::CodeType::kPacked, layout, p, y,
                     detail::FloatTypeOf<TOut>());
}

// ---------------------------------------------------------------------------
// float_codes.h's kernels, split by elements in multiples of 2048 (whole
// bytes of packed codes, whole MX and NVFP4 blocks where the rows are
// whole blocks; a block cut by a piece is read whole by both, its scale
// written by the piece holding its first element). The Measure functions
// split by whole stripes of 2^16 elements, as MeasureError.

namespace detail {
void EncodeFloat(Executor& executor, const void* x, FloatType type,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, uint8_t* codes);
void DecodeFloat(Executor& executor, const uint8_t* codes,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, void* y, FloatType type);
void EncodeMx(Executor& executor, const void* x, FloatType type, size_t rows,
              size_t cols, MxFormat format, MxScaleRule rule, uint8_t* scales,
              uint8_t* elements);
void DecodeMx(Executor& executor, const uint8_t* scales,
              const uint8_t* elements, size_t rows, size_t cols,
              MxFormat format, void* y, FloatType type);
void EncodeNvFp4(Executor& executor, const void* x, FloatType type,
                 size_t rows, size_t cols, float tensor_scale,
                 uint8_t* block_scales, uint8_t* elements);
void DecodeNvFp4(Executor& executor, const uint8_t* block_scales,
                 const uint8_t* elements, size_t rows, size_t cols,
                 float tensor_scale, void* y, FloatType type);
}  // namespace detail

template <typename TIn>
void EncodeFloat(Executor& executor, const TIn* x, const Layout& layout,
                 const float* scales, const FloatCodeSpec& spec,
                 uint8_t* codes) {
  detail::EncodeFloat(executor, x, detail::FloatTypeOf<TIn>(), layout, scales,
                      spec, codes);
}
template <typename TOut>
void DecodeFloat(Executor& executor, const uint8_t* codes,
                 const Layout& layout, const float* scales,
                 const FloatCodeSpec& spec, TOut* y) {
  detail::DecodeFloat(executor, codes, layout, scales, spec, y,
                      detail::FloatTypeOf<TOut>());
}
ErrorStats MeasureFloatError(Executor& executor, const float* x,
                             const Layout& layout, const float* scales,
                             const FloatCodeSpec& spec);
template <typename TIn>
void EncodeMx(Executor& executor, const TIn* x, size_t rows, size_t cols,
              MxFormat format, uint8_t* scales, uint8_t* elements,
              MxScaleRule rule = MxScaleRule::kFloor) {
  detail::EncodeMx(executor, x, detail::FloatTypeOf<TIn>(), rows, cols, format,
                   rule, scales, elements);
}
template <typename TOut>
void DecodeMx(Executor& executor, const uint8_t* scales,
              const uint8_t* elements, size_t rows, size_t cols,
              MxFormat format, TOut* y) {
  detail::DecodeMx(executor, scales, elements, rows, cols, format, y,
                   detail::FloatTypeOf<TOut>());
}
ErrorStats MeasureMxError(Executor& executor, const float* x, size_t rows,
                          size_t cols, MxFormat format,
                          MxScaleRule rule = MxScaleRule::kFloor);
template <typename TIn>
void EncodeNvFp4(Executor& executor, const TIn* x, size_t rows, size_t cols,
                 float tensor_scale, uint8_t* block_scales,
                 uint8_t* elements) {
  detail::EncodeNvFp4(executor, x, detail::FloatTypeOf<TIn>(), rows, cols,
                      tensor_scale, block_scales, elements);
}
template <typename TOut>
void DecodeNvFp4(Executor& executor, const uint8_t* block_scales,
                 const uint8_t* elements, size_t rows, size_t cols,
                 float tensor_scale, TOut* y) {
  detail::DecodeNvFp4(executor, block_scales, elements, rows, cols,
                      tensor_scale, y, detail::FloatTypeOf<TOut>());
}
ErrorStats MeasureNvFp4Error(Executor& executor, const float* x, size_t rows,
                             size_t cols, float tensor_scale);

// ---------------------------------------------------------------------------
// gguf.h's encoders and decoder, split by blocks (one row: by blocks within
// it; several rows: by rows).

namespace gguf {
namespace detail {
void Encode(Executor& executor, BlockType type, const void* x,
            simdquant::detail::FloatType x_type, size_t n, void* blocks);
void EncodeRows(Executor& executor, BlockType type, const void* x,
                simdquant::detail::FloatType x_type, size_t rows,
                size_t n_per_row, const float* importance, void* blocks);
void Decode(Executor& executor, BlockType type, const void* blocks, size_t n,
            void* x, simdquant::detail::FloatType x_type);
}  // namespace detail

template <typename TIn>
void Encode(Executor& executor, BlockType type, const TIn* x, size_t n,
            void* blocks) {
  detail::Encode(executor, type, x, simdquant::detail::FloatTypeOf<TIn>(), n,
                 blocks);
}
template <typename TIn>
void EncodeRows(Executor& executor, BlockType type, const TIn* x, size_t rows,
                size_t n_per_row, const float* importance, void* blocks) {
  detail::EncodeRows(executor, type, x, simdquant::detail::FloatTypeOf<TIn>(),
                     rows, n_per_row, importance, blocks);
}
template <typename TOut>
void Decode(Executor& executor, BlockType type, const void* blocks, size_t n,
            TOut* x) {
  detail::Decode(executor, type, blocks, n, x,
                 simdquant::detail::FloatTypeOf<TOut>());
}
}  // namespace gguf

}  // namespace simdquant

#endif  // SIMDQUANT_PARALLEL_H_
