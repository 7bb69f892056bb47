// Library-internal declarations shared by the dispatch wrappers, the kernels
// and the reference. Includes no Highway ops (only hwy/base.h types).
#ifndef SIMDQUANT_LIB_INTERNAL_H_
#define SIMDQUANT_LIB_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <atomic>
#include <limits>
#include <string>
#include <vector>

#include "hwy/base.h"  // HWY_MIN
#include "simdquant/calibrate.h"
#include "simdquant/gguf.h"
#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"

namespace simdquant {
class Executor;  // parallel.h

namespace internal {

// Values in messages, with enough digits to round-trip.
std::string Str(float v);
std::string Str(double v);
std::string Str(int64_t v);

// Throws std::invalid_argument("simdquant::<function>: <what>").
[[noreturn]] void Fail(const char* function, const std::string& what);

// Throws unless (ptr != nullptr || n == 0).
void CheckPointer(const void* ptr, size_t n, const char* function,
                  const char* name);
// Throws if n == 0 (for kernels whose result needs at least one element).
void CheckNonEmpty(size_t n, const char* function);
// Throws unless mode is one of the QuantizeMode enumerators.
void CheckMode(QuantizeMode mode, const char* function);
// ValidateParams with the calling function's name in the message.
void CheckParams(const QuantParams& p, const char* function);

// GGUF blocks (lib/gguf.cc): throws unless type is a BlockType, n a
// multiple of its block size and both pointers non-null (or n == 0).
void CheckGguf(gguf::BlockType type, const void* x, size_t n,
               const void* blocks, const char* function);

// gguf::EncodeRows: CheckGguf of the rows x n_per_row values, and the
// importance weights (n_per_row of them, if not null) finite, non-negative
// and not all zero.
void CheckGgufRows(gguf::BlockType type, const void* x, size_t rows,
                   size_t n_per_row, const float* importance,
                   const void* blocks, const char* function);

// The dispatched searching encoders (lib/gguf_k.cc), after the public
// functions' checks: K-quant rows, and rows of any format with importance
// weights (importance not null; Q8_0 ignores them).
void EncodeSearchedRows(gguf::BlockType type, const void* x,
                        simdquant::detail::FloatType x_type, size_t rows,
                        size_t n_per_row, const float* importance,
                        uint8_t* blocks, const char* function);
void DecodeKQuants(gguf::BlockType type, const uint8_t* blocks, size_t n,
                   void* x, simdquant::detail::FloatType x_type);

// Throws unless 0 <= lower_pct <= upper_pct <= 100 (and neither is NaN).
void CheckPercentiles(double lower_pct, double upper_pct, const char* function);
// PercentileRange with errors naming the public `function` called; its
// passes over x split across `executor`'s threads if not null.
MinMaxResult PercentileRange(const float* x, size_t n, double lower_pct,
                             double upper_pct, const char* function,
                             Executor* executor = nullptr);

// The slot, in the tables HWY_EXPORT makes, of the target every kernel
// dispatches to; 0 until the first call (dispatch.cc). Kept by simdquant, not
// in Highway's process-wide ChosenTarget, so RestrictToTarget is never undone
// by another thread's (or library's) Highway initialization.
extern std::atomic<size_t> dispatch_index;
// Sets the index from SIMDQUANT_TARGET (or the best target) unless it is set,
// and returns it. Throws for a bad SIMDQUANT_TARGET.
size_t InitDispatch();
inline size_t DispatchIndex() {
  const size_t index = dispatch_index.load(std::memory_order_acquire);
  return HWY_LIKELY(index != 0) ? index : InitDispatch();
}
// The HWY_TARGET of the code SIMDQUANT_DISPATCH runs now (tests).
int64_t DispatchedTarget();

}  // namespace internal
}  // namespace simdquant

// Calls FUNC, exported with HWY_EXPORT, on simdquant's dispatch target.
#define SIMDQUANT_DISPATCH(FUNC) \
  (*(HWY_DISPATCH_TABLE(FUNC)[::simdquant::internal::DispatchIndex()]))

namespace simdquant {
namespace internal {

// The code containers the kernels read and write.
enum class Container : uint8_t { kU8, kI8, kU16, kI16 };

template <typename T>
constexpr Container ContainerOf();
template <>
constexpr Container ContainerOf<uint8_t>() { return Container::kU8; }
template <>
constexpr Container ContainerOf<int8_t>() { return Container::kI8; }
template <>
constexpr Container ContainerOf<uint16_t>() { return Container::kU16; }
template <>
constexpr Container ContainerOf<int16_t>() { return Container::kI16; }

// Expands X(T) once per code container: the public per-container overloads
// are each one line forwarding to a template.
#define SIMDQUANT_FOR_EACH_CONTAINER(X) \
  X(uint8_t)                            \
  X(int8_t)                             \
  X(uint16_t)                           \
  X(int16_t)

// CheckParams, then throws unless T holds every code of p's code range.
template <typename T>
void CheckParamsFor(const QuantParams& p, const char* function);

// Everything a quantize kernel needs, derived once per call from QuantParams.
struct QuantizeConstants {
  bool divide;       // QuantizeMode::kDivide
  float factor;      // scale (divide) or 1.0f / scale (reciprocal)
  float lo;          // qmin - zero_point: clamp bounds of the scaled value,
  float hi;          // exact in float32 because |qmin - zero_point| < 2^17
  int32_t zero_point;
  float inverse;     // divide: DivideInverse(scale); else unused
  bool flush;        // FlushesSubnormals(factor, divide)
};

// Subnormal inputs cost x86 a microcode assist per multiply or divide (Zen 4:
// 1% subnormals made Quantize 3-4x slower), and DAZ/FTZ would change
// results. But |x| < FLT_MIN = 2^-126 always gives the zero point when the
// factor is at most 2^124 (reciprocal) or the scale at least 2^-124
// (divide): |x * factor| or |x / scale| < 2^-2 rounds to 0. The kernels then
// replace such x, and NaN (also the zero point), by 0 before the multiply.
// The rare tinier scales keep the plain path (whose NaN test on the product
// also catches 0 * Inf).
constexpr float kFlushMinScale = 0x1p-124f;    // divide
constexpr float kFlushMaxFactor = 0x1p124f;    // reciprocal
inline bool FlushesSubnormals(float factor, bool divide) {
  return divide ? factor >= kFlushMinScale : factor <= kFlushMaxFactor;
}

// 1.0f / scale where that is a normal float32 (scale in [2^-126, 2^126]),
// else NaN: the divide mode's 8-bit kernels take x * inverse in place of the
// quotient where that provably gives the same code (quantize-inl.h,
// FarFromHalfIntegers), and NaN sends every lane to the division.
inline float DivideInverse(float scale) {
  return scale >= 0x1p-126f && scale <= 0x1p126f
             ? 1.0f / scale
             : std::numeric_limits<float>::quiet_NaN();
}
QuantizeConstants MakeQuantizeConstants(const QuantParams& p,
                                        QuantizeMode mode);
// The same from parts already checked (per channel or group: no checks).
inline QuantizeConstants MakeQuantizeConstants(float scale, int32_t zero_point,
                                               CodeRange range,
                                               QuantizeMode mode) {
  QuantizeConstants c;
  c.divide = mode == QuantizeMode::kDivide;
  c.factor = c.divide ? scale : 1.0f / scale;
  c.lo = static_cast<float>(range.min - zero_point);
  c.hi = static_cast<float>(range.max - zero_point);
  c.zero_point = zero_point;
  c.inverse = c.divide ? DivideInverse(scale) : 0.0f;
  c.flush = FlushesSubnormals(c.factor, c.divide);
  return c;
}

// What the error kernels accumulate; FinishErrorStats turns it into ErrorStats
// the same way for the reference and every target.
struct ErrorSums {
  double sum_sq_error;   // sum of e^2
  double sum_sq_signal;  // sum of x^2
  double max_abs_error;  // max |e|, ignoring NaN
  bool any_nan;          // some e is NaN
};
ErrorStats FinishErrorStats(const ErrorSums& sums, size_t n);

// The error sums are accumulated as kSumLanes interleaved partial sums
// (element i into partial i % kSumLanes) on every target and in the
// reference, then added by ReduceSumLanes in a fixed order, so that all
// agree bit for bit. 16 = the doubles in two AVX-512 vectors.
constexpr size_t kSumLanes = 16;
inline double ReduceSumLanes(double (&partial)[kSumLanes]) {
  for (size_t width = kSumLanes / 2; width != 0; width /= 2) {
    for (size_t j = 0; j < width; ++j) partial[j] += partial[j + width];
  }
  return partial[0];
}

// The error sums run in stripes of kErrorStripe elements: each stripe's
// kSumLanes partials start from zero, and the stripes' partials are added to
// the totals one stripe after another, in order. Pieces of whole stripes
// computed apart (parallel.h) thus combine to the bits of one pass.
constexpr size_t kErrorStripe = size_t{1} << 16;
static_assert(kErrorStripe % kSumLanes == 0, "stripes keep i % kSumLanes");
struct StripeSums {
  double e2[kSumLanes];
  double x2[kSumLanes];
  double max_abs_error;  // ignoring NaN
};
inline size_t NumStripes(size_t n) {
  return (n + kErrorStripe - 1) / kErrorStripe;
}
inline ErrorSums SumStripes(const StripeSums* stripes, size_t count) {
  double e2[kSumLanes] = {}, x2[kSumLanes] = {};
  ErrorSums sums = {0.0, 0.0, 0.0, false};
  for (size_t j = 0; j < count; ++j) {
    for (size_t k = 0; k < kSumLanes; ++k) {
      e2[k] += stripes[j].e2[k];
      x2[k] += stripes[j].x2[k];
    }
    if (stripes[j].max_abs_error > sums.max_abs_error) {
      sums.max_abs_error = stripes[j].max_abs_error;
    }
  }
  sums.sum_sq_error = ReduceSumLanes(e2);
  sums.sum_sq_signal = ReduceSumLanes(x2);
  // A sum of squares (each >= 0, or NaN) is NaN exactly when some term is.
  sums.any_nan = sums.sum_sq_error != sums.sum_sq_error;
  return sums;
}
// The sums of one stripe (n <= kErrorStripe elements, starting on a stripe
// boundary) of x against given dequantized values y, in the order above:
// the error of the formats whose decoding is not Dequantize's (lib/
// float_codes.cc and its reference).
inline StripeSums ErrorStripeSums(const float* x, const float* y, size_t n) {
  StripeSums s = {};
  for (size_t i = 0; i < n; ++i) {
    const double e = static_cast<double>(x[i]) - static_cast<double>(y[i]);
    s.e2[i % kSumLanes] += e * e;
    s.x2[i % kSumLanes] += static_cast<double>(x[i]) * x[i];
    const double abs_e = e < 0 ? -e : e;
    if (abs_e > s.max_abs_error) s.max_abs_error = abs_e;
  }
  return s;
}
// The dispatched error kernel (lib/error.cc), after MeasureError's checks:
// the sums of each stripe of x[0, n) into out[0, NumStripes(n)).
void ErrorStripes(const float* x, size_t n, const QuantParams& p,
                  QuantizeMode mode, StripeSums* out);

// float16 <-> float32 on bit patterns, scalar: exact widening, and narrowing
// rounded to nearest even (overflow to Inf, NaN stays a quiet NaN). Used for
// float16 scales; the kernels convert tensors with vector code of their own.
inline float F32FromF16Bits(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    memcpy(&bits, &magnitude, sizeof(bits));
  } else if (exponent == 31) {  // Inf or NaN, payload kept
    bits = 0x7F800000u | (mantissa << 13);
  } else {
    bits = ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  bits |= sign;
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}
uint16_t F16BitsFromF32(float f);

// Exact float32 value of a tensor element.
inline float ToF32(float x) { return x; }
inline float ToF32(hwy::bfloat16_t x) {
  const uint32_t bits = uint32_t{x.bits} << 16;
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}
inline float ToF32(hwy::float16_t x) { return F32FromF16Bits(x.bits); }

// Throws, naming x[first + i], at the first NaN or infinite x[i], i < n.
template <typename TIn>
void CheckFiniteBlocks(const TIn* x, size_t n, size_t first,
                       const char* function) {
  for (size_t i = 0; i < n; ++i) {
    const float v = ToF32(x[i]);
    if (!(v - v == 0.0f)) {  // NaN or infinite
      Fail(function, "x[" + Str(static_cast<int64_t>(first + i)) + "] = " +
                         Str(v) +
                         " is not finite (ggml's blocks of NaN or Inf are "
                         "undefined)");
    }
  }
}


// Chooses parameter set k from the range [min, max] and writes it to out:
// ParamsForRange(min, max, spec); with float16 scales (out.scales_f16), the
// scale rounded to float16 and the zero point recomputed from the rounded
// scale as ChooseAsymmetricParams computes it. Shared by the kernels and the
// reference: it defines which parameters QuantizeDynamic chooses.
// Errors name `function` and the parameter set.
void ChooseGroupParams(float min, float max, const QuantSpec& spec,
                       const GroupParamsOut& out, size_t k,
                       const char* function);

// Throws unless the spec's enumerators are valid and agree (symmetric needs
// signed codes); bits and narrow_range are checked with the code range.
void CheckSpecFields(const QuantSpec& spec, const char* function);
// ParamsForRange with errors naming the public `function` called and, unless
// it is kNoSet, the parameter set `set` ("parameter set 3: ").
constexpr size_t kNoSet = ~size_t{0};
QuantParams ParamsForRange(float min, float max, const QuantSpec& spec,
                           const char* function, size_t set);
// What symmetric scales divide max(|min|, |max|) by: qmax, or torch's
// (qmax - qmin) / 2.
float SymmetricDivisor(const CodeRange& r, SymmetricScale rule);

// The parameters QuantizeDynamic writes to out, as GroupParams to apply.
inline GroupParams ParamsOf(const QuantSpec& spec, const GroupParamsOut& out) {
  GroupParams p;
  p.scales = out.scales;
  p.scales_f16 = out.scales_f16;
  p.zero_points = out.zero_points;
  p.bits = spec.bits;
  p.signedness = spec.signedness;
  p.narrow_range = spec.narrow_range;
  return p;
}

// ValidateLayout with the calling function's name in the message.
void CheckLayout(const Layout& layout, const char* function);
// Throws unless p has exactly one scale array, valid parameters for every
// one of layout.NumParams() sets, and a code range that fits `code`.
// sets_valid, if given, tells at vector speed whether every set is valid;
// the per-set loop then runs only to name the first invalid one.
using SetsValidFn = bool (*)(const GroupParams& p, size_t count, CodeRange r);
void CheckGroupParams(const GroupParams& p, const Layout& layout,
                      detail::CodeType code, const char* function,
                      SetsValidFn sets_valid = nullptr);
// The dispatched vector check of every set (lib/quantize_layout.cc), for the
// layout kernels' CheckGroupParams.
bool GroupSetsValid(const GroupParams& p, size_t count, CodeRange r);
// Throws unless spec is usable with `code` and `out` has somewhere to write
// scales (exactly one array) and zero points (unless symmetric).
void CheckDynamicSpec(const QuantSpec& spec, const GroupParamsOut& out,
                      const Layout& layout, detail::CodeType code,
                      const char* function);

// Scale and zero point of parameter set k of p.
inline float ScaleAt(const GroupParams& p, size_t k) {
  if (p.scales != nullptr) return p.scales[k];
  return F32FromF16Bits(p.scales_f16[k].bits);
}
inline int32_t ZeroPointAt(const GroupParams& p, size_t k) {
  return p.zero_points == nullptr ? 0 : p.zero_points[k];
}
inline QuantParams ParamsAt(const GroupParams& p, size_t k) {
  QuantParams q;
  q.scale = ScaleAt(p, k);
  q.zero_point = ZeroPointAt(p, k);
  q.bits = p.bits;
  q.signedness = p.signedness;
  q.narrow_range = p.narrow_range;
  return q;
}

// A layout kernel call, checked and prepared by the dispatch wrapper
// (lib/quantize_layout.cc, lib/dequantize_layout.cc) for the per-target
// kernels.
struct LayoutJob {
  Layout layout;
  GroupParams params;  // what to apply; for QuantizeDynamic, views of `out`
  QuantizeMode mode = QuantizeMode::kDivide;
  CodeRange range = {0, 0};  // of params
  // kPerColumn only: buffers for a window of the columns' factors (quantize:
  // scale or 1 / scale; dequantize: scale) and zero points, of
  // column_capacity entries plus kColumnPadding, filled per target
  // (ColumnWindow in lib/layout-inl.h).
  float* column_factor = nullptr;
  int32_t* column_zero_point = nullptr;
  size_t column_capacity = 0;
  // QuantizeDynamic per row or per group: each parameter set is chosen from
  // its elements when the kernel reaches its first element.
  const QuantSpec* spec = nullptr;
  GroupParamsOut out;
  const char* function = "QuantizeDynamic";  // named in choice errors
};
constexpr size_t kColumnPadding = 16;  // lanes of the widest float vector
// Most columns a window holds: 2 x 64 KiB, whatever the tensor's size.
constexpr size_t kColumnWindow = 16384;

// Bytes of one element of a tensor float type.
inline size_t FloatTypeSize(detail::FloatType type) {
  return type == detail::FloatType::kF32 ? 4 : 2;
}

// ggml's block_mxfp4 (gguf.h's kMXFP4; lib/float_codes.cc), after the
// GGUF checks: n / 32 blocks of 17 bytes. NaN or Inf throw, naming
// `function`; blocks are checked a vector's worth at a time, so the blocks
// before the bad one's batch may have been written (as gguf.h states).
void EncodeGgmlMxfp4(const void* x, detail::FloatType type, size_t n,
                     uint8_t* blocks, const char* function);
void DecodeGgmlMxfp4(const uint8_t* blocks, size_t n, void* y,
                     detail::FloatType type);

// Ranges of columns [first, first + count) of a rows x cols tensor, into
// ranges[0, count) (lib/minmax.cc, dispatched).
void ColumnRanges(const void* x, detail::FloatType type, size_t rows,
                  size_t cols, size_t first, size_t count,
                  MinMaxResult* ranges);

// The layout units' shared preparation (lib/params.cc): the name of the code
// argument in messages, the job of a checked call, and the bounded window
// buffers of a kPerColumn job.
const char* CodesName(detail::CodeType code);
LayoutJob MakeJob(const Layout& layout, const GroupParams& p,
                  QuantizeMode mode);
void AllocateColumnWindow(std::vector<float>* factor,
                          std::vector<int32_t>* zero_point, LayoutJob* job);

// Calls run(begin, count, k, col) for each maximal run of elements in
// [begin, end) (row-major indices) that lie in one row and share parameter
// set k; col is the column of `begin`. Per column, a run is a piece of a
// row and k is its first column.
template <class Run>
void ForEachRun(const Layout& layout, size_t begin, size_t end,
                const Run& run) {
  if (begin == end) return;
  if (layout.granularity == Granularity::kPerTensor) {
    run(begin, end - begin, size_t{0}, begin);
    return;
  }
  // Divisions only here: per group of 32 they would cost as much as the
  // group's arithmetic.
  const size_t cols = layout.cols;
  size_t row = begin / cols;
  size_t col = begin % cols;
  if (layout.granularity == Granularity::kPerGroup) {
    const size_t g = layout.group_size;
    size_t k = row * layout.GroupsPerRow() + col / g;
    // End of the current group, without overflow for any g.
    const size_t group_start = col - col % g;
    size_t stop = group_start + HWY_MIN(g, cols - group_start);
    while (begin != end) {
      const size_t count = HWY_MIN(stop - col, end - begin);
      run(begin, count, k, col);
      begin += count;
      col += count;
      if (col == stop) {  // next group, of this row or the next
        ++k;
        if (col == cols) col = 0;
        stop = col + HWY_MIN(g, cols - col);
      }
    }
    return;
  }
  const bool per_row = layout.granularity == Granularity::kPerRow;
  while (begin != end) {
    const size_t count = HWY_MIN(cols - col, end - begin);
    run(begin, count, per_row ? row : col, col);
    begin += count;
    col += count;
    if (col == cols) {
      col = 0;
      ++row;
    }
  }
}

}  // namespace internal
}  // namespace simdquant

#endif  // SIMDQUANT_LIB_INTERNAL_H_
