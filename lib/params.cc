// Argument checks, code ranges and parameter choice: everything that is not a
// kernel. Messages name the function, the parameter and the bad value.
#include <float.h>
#include <math.h>
#include <stdio.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "lib/internal.h"
#include "simdquant/simdquant.h"

namespace simdquant {
namespace internal {
namespace {

// Enough digits to round-trip a float, so the message shows the exact value.
std::string Str(float v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}
std::string Str(int64_t v) { return std::to_string(v); }

const char* Name(Signedness s) {
  return s == Signedness::kSigned ? "signed" : "unsigned";
}

// CodeRangeOf with the caller's name in the message.
CodeRange CheckedCodeRange(int bits, Signedness signedness, bool narrow_range,
                           const char* function) {
  const int min_bits = signedness == Signedness::kSigned ? 2 : 1;
  if (signedness != Signedness::kSigned &&
      signedness != Signedness::kUnsigned) {
    Fail(function, "signedness = " + Str(static_cast<int64_t>(signedness)) +
                       " is neither kUnsigned nor kSigned");
  }
  if (bits < min_bits || bits > 16) {
    Fail(function, "bits = " + Str(int64_t{bits}) + " is out of range [" +
                       Str(int64_t{min_bits}) + ", 16] for " +
                       Name(signedness) + " codes");
  }
  if (narrow_range && signedness != Signedness::kSigned) {
    Fail(function, "narrow_range = true needs signed codes");
  }
  if (signedness == Signedness::kUnsigned) {
    return {0, (int32_t{1} << bits) - 1};
  }
  const int32_t half = int32_t{1} << (bits - 1);
  return {narrow_range ? -(half - 1) : -half, half - 1};
}

template <typename T>
constexpr const char* ContainerName() {
  switch (ContainerOf<T>()) {
    case Container::kU8:
      return "uint8_t";
    case Container::kI8:
      return "int8_t";
    case Container::kU16:
      return "uint16_t";
    case Container::kI16:
      return "int16_t";
  }
  return "?";
}

}  // namespace

void Fail(const char* function, const std::string& what) {
  throw std::invalid_argument(std::string("simdquant::") + function + ": " +
                              what);
}

void CheckPointer(const void* ptr, size_t n, const char* function,
                  const char* name) {
  if (ptr == nullptr && n != 0) {
    Fail(function, std::string(name) + " is null but n = " + std::to_string(n));
  }
}

void CheckNonEmpty(size_t n, const char* function) {
  if (n == 0) Fail(function, "n = 0: the result needs at least one element");
}

void CheckMode(QuantizeMode mode, const char* function) {
  if (mode != QuantizeMode::kDivide && mode != QuantizeMode::kReciprocal) {
    Fail(function, "mode = " + Str(static_cast<int64_t>(mode)) +
                       " is neither kDivide nor kReciprocal");
  }
}

void CheckParams(const QuantParams& p, const char* function) {
  const CodeRange r =
      CheckedCodeRange(p.bits, p.signedness, p.narrow_range, function);
  if (!(p.scale > 0.0f) || !isfinite(p.scale)) {
    Fail(function, "scale = " + Str(p.scale) + " is not finite and > 0");
  }
  if (p.zero_point < r.min || p.zero_point > r.max) {
    Fail(function, "zero_point = " + Str(int64_t{p.zero_point}) +
                       " is outside the code range [" + Str(int64_t{r.min}) +
                       ", " + Str(int64_t{r.max}) + "]");
  }
}

template <typename T>
void CheckParamsFor(const QuantParams& p, const char* function) {
  CheckParams(p, function);
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  if (r.min < std::numeric_limits<T>::min() ||
      r.max > std::numeric_limits<T>::max()) {
    Fail(function, std::string("container ") + ContainerName<T>() +
                       " cannot hold the code range [" + Str(int64_t{r.min}) +
                       ", " + Str(int64_t{r.max}) + "] of " +
                       Str(int64_t{p.bits}) + "-bit " + Name(p.signedness) +
                       " codes");
  }
}
#define SIMDQUANT_INSTANTIATE(T) \
  template void CheckParamsFor<T>(const QuantParams&, const char*);
SIMDQUANT_FOR_EACH_CONTAINER(SIMDQUANT_INSTANTIATE)
#undef SIMDQUANT_INSTANTIATE

QuantizeConstants MakeQuantizeConstants(const QuantParams& p,
                                        QuantizeMode mode) {
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  QuantizeConstants c;
  c.divide = mode == QuantizeMode::kDivide;
  c.factor = c.divide ? p.scale : 1.0f / p.scale;
  c.lo = static_cast<float>(r.min - p.zero_point);
  c.hi = static_cast<float>(r.max - p.zero_point);
  c.zero_point = p.zero_point;
  return c;
}

}  // namespace internal

CodeRange CodeRangeOf(int bits, Signedness signedness, bool narrow_range) {
  return internal::CheckedCodeRange(bits, signedness, narrow_range,
                                    "CodeRangeOf");
}

void ValidateParams(const QuantParams& p) {
  internal::CheckParams(p, "ValidateParams");
}

namespace {

void CheckRange(float min, float max, const char* function) {
  if (!isfinite(min) || !isfinite(max)) {
    internal::Fail(function, "range [" + internal::Str(min) + ", " +
                                 internal::Str(max) + "] is not finite");
  }
  if (min > max) {
    internal::Fail(function, "min = " + internal::Str(min) + " > max = " +
                                 internal::Str(max));
  }
}

// Written as torch.ao.quantization's _calculate_qparams computes it on float32
// tensors; float arithmetic here is float32 (x86-64 evaluates in SSE).
float ClampScale(float scale, const char* function) {
  if (!isfinite(scale)) {
    internal::Fail(function, "the range is too wide: scale = " +
                                 internal::Str(scale) + " overflows float32");
  }
  return std::max(scale, FLT_EPSILON);
}

}  // namespace

QuantParams ChooseAsymmetricParams(float min, float max, int bits,
                                   Signedness signedness, bool narrow_range) {
  const char* function = "ChooseAsymmetricParams";
  const CodeRange r =
      internal::CheckedCodeRange(bits, signedness, narrow_range, function);
  CheckRange(min, max, function);
  const float lo = std::min(min, 0.0f);
  const float hi = std::max(max, 0.0f);
  const float scale =
      ClampScale((hi - lo) / static_cast<float>(r.max - r.min), function);
  // |lo / scale| <= qmax - qmin <= 65535, so the conversion is exact.
  const int32_t rounded = static_cast<int32_t>(nearbyintf(lo / scale));
  QuantParams p;
  p.scale = scale;
  p.zero_point = std::clamp(r.min - rounded, r.min, r.max);
  p.bits = bits;
  p.signedness = signedness;
  p.narrow_range = narrow_range;
  return p;
}

QuantParams ChooseSymmetricParams(float min, float max, int bits,
                                  bool narrow_range) {
  const char* function = "ChooseSymmetricParams";
  const CodeRange r = internal::CheckedCodeRange(bits, Signedness::kSigned,
                                                 narrow_range, function);
  CheckRange(min, max, function);
  const float abs_max = std::max(fabsf(min), fabsf(max));
  QuantParams p;
  p.scale = ClampScale(abs_max / static_cast<float>(r.max), function);
  p.zero_point = 0;
  p.bits = bits;
  p.signedness = Signedness::kSigned;
  p.narrow_range = narrow_range;
  return p;
}

}  // namespace simdquant
