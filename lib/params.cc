// Argument checks, code ranges and parameter choice: everything that is not a
// kernel. Messages name the function, the parameter and the bad value.
#include <float.h>
#include <math.h>
#include <stdio.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <string.h>

#include "lib/internal.h"
#include "simdquant/calibrate.h"
#include "simdquant/simdquant.h"
#include "simdquant/tensor.h"

namespace simdquant {
namespace internal {

// Enough digits to round-trip the value, so the message shows it exactly
// (std::to_string's six decimals print 100 + 1e-12 as 100.000000).
std::string Str(float v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}
std::string Str(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
std::string Str(int64_t v) { return std::to_string(v); }

namespace {

void CheckSignedness(Signedness signedness, const char* function) {
  if (signedness != Signedness::kSigned &&
      signedness != Signedness::kUnsigned) {
    Fail(function, "signedness = " + Str(static_cast<int64_t>(signedness)) +
                       " is neither kUnsigned nor kSigned");
  }
}

const char* Name(Signedness s) {
  return s == Signedness::kSigned ? "signed" : "unsigned";
}

// CodeRangeOf with the caller's name in the message.
CodeRange CheckedCodeRange(int bits, Signedness signedness, bool narrow_range,
                           const char* function) {
  const int min_bits = signedness == Signedness::kSigned ? 2 : 1;
  CheckSignedness(signedness, function);
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
  return MakeQuantizeConstants(
      p.scale, p.zero_point,
      CodeRangeOf(p.bits, p.signedness, p.narrow_range), mode);
}

}  // namespace internal

CodeRange CodeRangeOf(int bits, Signedness signedness, bool narrow_range) {
  return internal::CheckedCodeRange(bits, signedness, narrow_range,
                                    "CodeRangeOf");
}

void ValidateParams(const QuantParams& p) {
  internal::CheckParams(p, "ValidateParams");
}

namespace internal {
namespace {

// "parameter set 3: " (QuantizeDynamic's sets), or "" for kNoSet. Built only
// on the error path: ChooseGroupParams runs once per row or group.
std::string SetPrefix(size_t set) {
  return set == kNoSet ? "" : "parameter set " + std::to_string(set) + ": ";
}

void CheckRange(float min, float max, const char* function, size_t set) {
  if (!isfinite(min) || !isfinite(max)) {
    Fail(function, SetPrefix(set) + "range [" + Str(min) + ", " + Str(max) +
                       "] is not finite");
  }
  if (min > max) {
    Fail(function,
         SetPrefix(set) + "min = " + Str(min) + " > max = " + Str(max));
  }
}

// Written as torch.ao.quantization's _calculate_qparams computes it on float32
// tensors; float arithmetic here is float32 (x86-64 evaluates in SSE).
float ClampScale(float scale, float min, float max, const char* function,
                 size_t set) {
  if (!isfinite(scale)) {
    Fail(function, SetPrefix(set) + "the range [" + Str(min) + ", " + Str(max) +
                       "] is too wide: its scale overflows float32");
  }
  return std::max(scale, FLT_EPSILON);
}

QuantParams ChooseAsymmetric(float min, float max, int bits,
                             Signedness signedness, bool narrow_range,
                             const char* function, size_t set) {
  const CodeRange r = CheckedCodeRange(bits, signedness, narrow_range, function);
  CheckRange(min, max, function, set);
  const float lo = std::min(min, 0.0f);
  const float hi = std::max(max, 0.0f);
  const float scale = ClampScale(
      (hi - lo) / static_cast<float>(r.max - r.min), min, max, function, set);
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

QuantParams ChooseSymmetric(float min, float max, int bits, bool narrow_range,
                            SymmetricScale rule, const char* function,
                            size_t set) {
  const CodeRange r = CheckedCodeRange(bits, Signedness::kSigned,
                                       narrow_range, function);
  CheckRange(min, max, function, set);
  const float abs_max = std::max(fabsf(min), fabsf(max));
  QuantParams p;
  p.scale = ClampScale(abs_max / SymmetricDivisor(r, rule), min, max,
                       function, set);
  p.zero_point = 0;
  p.bits = bits;
  p.signedness = Signedness::kSigned;
  p.narrow_range = narrow_range;
  return p;
}

}  // namespace

float SymmetricDivisor(const CodeRange& r, SymmetricScale rule) {
  // (qmax - qmin) / 2 is a multiple of 0.5 below 2^16: exact in float32.
  return rule == SymmetricScale::kHalfCodeRange
             ? static_cast<float>(r.max - r.min) / 2.0f
             : static_cast<float>(r.max);
}

void CheckSpecFields(const QuantSpec& spec, const char* function) {
  CheckSignedness(spec.signedness, function);
  if (spec.scheme != Scheme::kSymmetric && spec.scheme != Scheme::kAsymmetric) {
    Fail(function, "spec.scheme = " + Str(static_cast<int64_t>(spec.scheme)) +
                       " is neither kAsymmetric nor kSymmetric");
  }
  if (spec.scheme == Scheme::kSymmetric &&
      spec.signedness != Signedness::kSigned) {
    Fail(function, "symmetric quantization needs signed codes");
  }
  if (spec.symmetric_scale != SymmetricScale::kQmax &&
      spec.symmetric_scale != SymmetricScale::kHalfCodeRange) {
    Fail(function, "spec.symmetric_scale = " +
                       Str(static_cast<int64_t>(spec.symmetric_scale)) +
                       " is neither kQmax nor kHalfCodeRange");
  }
}

QuantParams ParamsForRange(float min, float max, const QuantSpec& spec,
                           const char* function, size_t set) {
  CheckSpecFields(spec, function);
  if (spec.scheme == Scheme::kSymmetric) {
    return ChooseSymmetric(min, max, spec.bits, spec.narrow_range,
                           spec.symmetric_scale, function, set);
  }
  return ChooseAsymmetric(min, max, spec.bits, spec.signedness,
                          spec.narrow_range, function, set);
}

}  // namespace internal

QuantParams ChooseAsymmetricParams(float min, float max, int bits,
                                   Signedness signedness, bool narrow_range) {
  return internal::ChooseAsymmetric(min, max, bits, signedness, narrow_range,
                                    "ChooseAsymmetricParams", internal::kNoSet);
}

QuantParams ChooseSymmetricParams(float min, float max, int bits,
                                  bool narrow_range) {
  return internal::ChooseSymmetric(min, max, bits, narrow_range,
                                   SymmetricScale::kQmax,
                                   "ChooseSymmetricParams", internal::kNoSet);
}

QuantParams ParamsForRange(float min, float max, const QuantSpec& spec) {
  return internal::ParamsForRange(min, max, spec, "ParamsForRange",
                                  internal::kNoSet);
}

namespace internal {

uint16_t F16BitsFromF32(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) return sign | 0x7E00;  // NaN
  if (abs >= 0x47800000u) return sign | 0x7C00;  // >= 65536: Inf
  if (abs < 0x38800000u) {  // below 2^-14: float16 subnormal or zero
    // Adding 0.5 leaves a float whose last mantissa bits are |f| / 2^-24
    // rounded to nearest even: the float16 subnormal code (up to 0x400).
    float magnitude;
    memcpy(&magnitude, &abs, sizeof(magnitude));
    const float shifted = magnitude + 0.5f;
    uint32_t shifted_bits;
    memcpy(&shifted_bits, &shifted, sizeof(shifted_bits));
    return sign | static_cast<uint16_t>(shifted_bits - 0x3F000000u);
  }
  // Re-bias the exponent, round the 13 dropped bits to nearest even; a carry
  // out of the mantissa correctly bumps the exponent (up to Inf).
  const uint32_t rebiased = abs - 0x38000000u;
  return sign | static_cast<uint16_t>(
                    (rebiased + 0xFFFu + ((rebiased >> 13) & 1)) >> 13);
}

void ChooseGroupParams(float min, float max, const QuantSpec& spec,
                       const GroupParamsOut& out, size_t k,
                       const char* function) {
  QuantParams p = ParamsForRange(min, max, spec, function, k);
  if (out.scales != nullptr) {
    out.scales[k] = p.scale;
    if (out.zero_points != nullptr) out.zero_points[k] = p.zero_point;
    return;
  }
  const uint16_t scale_f16 = F16BitsFromF32(p.scale);
  const float rounded = F32FromF16Bits(scale_f16);
  // The scale is at least FLT_EPSILON = 2^-23, a float16 subnormal, so it
  // never rounds to zero; it may overflow.
  if (!isfinite(rounded)) {
    Fail(function, SetPrefix(k) + "the range [" + Str(min) + ", " + Str(max) +
                       "] has scale " + Str(p.scale) +
                       ", which overflows float16 (max 65504)");
  }
  if (spec.scheme == Scheme::kAsymmetric) {
    const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
    const float lo = std::min(min, 0.0f);
    // As ChooseAsymmetricParams. Rounding the scale to float16 shrinks it
    // by at most a third (subnormal float16), so |lo / scale| < 2^17.
    const int64_t q = static_cast<int64_t>(nearbyintf(lo / rounded));
    p.zero_point = static_cast<int32_t>(
        std::clamp<int64_t>(r.min - q, r.min, r.max));
  }
  out.scales_f16[k].bits = scale_f16;
  if (out.zero_points != nullptr) out.zero_points[k] = p.zero_point;
}

void CheckLayout(const Layout& layout, const char* function) {
  const Granularity g = layout.granularity;
  if (g != Granularity::kPerTensor && g != Granularity::kPerRow &&
      g != Granularity::kPerColumn && g != Granularity::kPerGroup) {
    Fail(function, "layout.granularity = " +
                       Str(static_cast<int64_t>(g)) + " is not a Granularity");
  }
  if (layout.cols != 0 && layout.rows > SIZE_MAX / layout.cols) {
    Fail(function, "layout.rows * layout.cols overflows size_t (rows = " +
                       std::to_string(layout.rows) +
                       ", cols = " + std::to_string(layout.cols) + ")");
  }
  if (g == Granularity::kPerTensor && layout.rows != 1) {
    Fail(function, "layout.rows = " + std::to_string(layout.rows) +
                       ": a per-tensor layout has one row (Layout::PerTensor)");
  }
  if ((g == Granularity::kPerGroup) != (layout.group_size != 0)) {
    Fail(function, "layout.group_size = " +
                       std::to_string(layout.group_size) +
                       (g == Granularity::kPerGroup
                            ? " must be >= 1 for kPerGroup"
                            : " must be 0 unless kPerGroup"));
  }
}

namespace {

// Largest code a container (or packed storage: 8 bits) holds.
CodeRange ContainerRange(detail::CodeType code) {
  switch (code) {
    case detail::CodeType::kU8:
      return {0, 255};
    case detail::CodeType::kI8:
      return {-128, 127};
    case detail::CodeType::kU16:
      return {0, 65535};
    case detail::CodeType::kI16:
      return {-32768, 32767};
    case detail::CodeType::kPacked:
      break;
  }
  return {-128, 255};
}

void CheckCodeStorage(int bits, Signedness signedness, bool narrow_range,
                      detail::CodeType code, const char* function) {
  const CodeRange r =
      CheckedCodeRange(bits, signedness, narrow_range, function);
  if (code == detail::CodeType::kPacked) {
    if (bits > 8) {
      Fail(function, "bits = " + Str(int64_t{bits}) +
                         " is outside [1, 8] for packed codes");
    }
    return;
  }
  const CodeRange c = ContainerRange(code);
  if (r.min < c.min || r.max > c.max) {
    Fail(function, "the code container [" + Str(int64_t{c.min}) + ", " +
                       Str(int64_t{c.max}) + "] cannot hold the code range [" +
                       Str(int64_t{r.min}) + ", " + Str(int64_t{r.max}) +
                       "] of " + Str(int64_t{bits}) + "-bit " +
                       Name(signedness) + " codes");
  }
}

}  // namespace

void CheckGroupParams(const GroupParams& p, const Layout& layout,
                      detail::CodeType code, const char* function,
                      SetsValidFn sets_valid) {
  CheckCodeStorage(p.bits, p.signedness, p.narrow_range, code, function);
  if ((p.scales == nullptr) == (p.scales_f16 == nullptr)) {
    Fail(function, "exactly one of p.scales and p.scales_f16 must be set");
  }
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  const size_t count = layout.NumParams();
  if (sets_valid != nullptr && sets_valid(p, count, r)) return;
  for (size_t k = 0; k < count; ++k) {
    const QuantParams q = ParamsAt(p, k);
    if (!(q.scale > 0.0f) || !isfinite(q.scale) || q.zero_point < r.min ||
        q.zero_point > r.max) {  // CheckParams builds the message
      CheckParams(q, (std::string(function) + ", parameter set " +
                      std::to_string(k)).c_str());
    }
  }
}

void CheckDynamicSpec(const QuantSpec& spec, const GroupParamsOut& out,
                      const Layout& layout, detail::CodeType code,
                      const char* function) {
  CheckMode(spec.mode, function);
  CheckSpecFields(spec, function);
  CheckCodeStorage(spec.bits, spec.signedness, spec.narrow_range, code,
                   function);
  if ((out.scales == nullptr) == (out.scales_f16 == nullptr)) {
    Fail(function, "exactly one of out.scales and out.scales_f16 must be set");
  }
  if (out.zero_points == nullptr && spec.scheme == Scheme::kAsymmetric &&
      layout.NumParams() != 0) {
    Fail(function, "out.zero_points is null but the scheme is asymmetric");
  }
}

const char* CodesName(detail::CodeType code) {
  return code == detail::CodeType::kPacked ? "packed" : "q";
}

// A window of up to kColumnWindow columns; n + cols entries are enough for
// any tensor (ColumnWindow repeats the columns when they fit twice).
void AllocateColumnWindow(std::vector<float>* factor,
                          std::vector<int32_t>* zero_point, LayoutJob* job) {
  const Layout& layout = job->layout;
  const size_t capacity =
      std::min(kColumnWindow, layout.NumElements() + layout.cols);
  factor->resize(capacity + kColumnPadding);
  zero_point->resize(capacity + kColumnPadding);
  job->column_factor = factor->data();
  job->column_zero_point = zero_point->data();
  job->column_capacity = capacity;
}

LayoutJob MakeJob(const Layout& layout, const GroupParams& p,
                            QuantizeMode mode) {
  LayoutJob job;
  job.layout = layout;
  job.params = p;
  job.mode = mode;
  job.range = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  return job;
}

}  // namespace internal

void ValidateLayout(const Layout& layout) {
  internal::CheckLayout(layout, "ValidateLayout");
}

}  // namespace simdquant
