// Library-internal declarations shared by the dispatch wrappers, the kernels
// and the reference. Includes nothing from Highway.
#ifndef SIMDQUANT_LIB_INTERNAL_H_
#define SIMDQUANT_LIB_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include <limits>
#include <string>

#include "simdquant/simdquant.h"

namespace simdquant {
namespace internal {

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

// Throws unless 0 <= lower_pct <= upper_pct <= 100 (and neither is NaN).
void CheckPercentiles(double lower_pct, double upper_pct, const char* function);

// Applies SIMDQUANT_TARGET from the environment on the first call; every
// public kernel calls it before dispatching (dispatch.cc).
void InitDispatch();

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
};
QuantizeConstants MakeQuantizeConstants(const QuantParams& p,
                                        QuantizeMode mode);

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

}  // namespace internal
}  // namespace simdquant

#endif  // SIMDQUANT_LIB_INTERNAL_H_
