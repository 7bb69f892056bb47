// simdquant benchmarks: every kernel on every target compiled in and supported
// by this CPU, next to the scalar reference, a plain -O3 -march=native loop,
// Eigen (MinMax), and memcpy of the same number of bytes, in one run.
//
// Names: <Kernel>/<container>/bits:<b>/<mode>/<implementation>/n:<count>,
// e.g. Quantize/u8/bits:4/divide/AVX2/n:65536. Filter with
// --benchmark_filter=<regex>; --full runs every size and bit width.
// Bytes counted: read + written by the kernel. memcpy rows copy half that
// many bytes, so that they too read + write the same total.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/peers.h"
#include "bench/plain_loops.h"
#include "bench/table_reporter.h"
#include "benchmark/benchmark.h"
#include "tests/ort_oracle.h"
#include "simdquant/calibrate.h"
#include "simdquant/float_codes.h"
#include "simdquant/gguf.h"
#include "simdquant/parallel.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"
#include "simdquant/tensor.h"

namespace simdquant {
namespace bench {
namespace {

// Buffers are 64-byte aligned, as tensors from PyTorch's or NumPy's
// allocators are (glibc's malloc would give 16 bytes, which makes every
// AVX-512 load straddle two cache lines and slows all columns unevenly).
struct FreeDeleter {
  void operator()(void* p) const { free(p); }
};
using AlignedBytes = std::unique_ptr<unsigned char[], FreeDeleter>;

AlignedBytes AllocateZeroed(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  AlignedBytes p(static_cast<unsigned char*>(aligned_alloc(64, rounded)));
  if (!p) abort();
  memset(p.get(), 0, rounded);  // Also pages it in before timing.
  return p;
}

// Weights-like input: normal, with one large outlier of either sign in every
// thousand; fixed seed, so every run measures the same data.
const float* Input(size_t n) {
  static std::map<size_t, AlignedBytes> cache;
  AlignedBytes& slot = cache[n];
  if (!slot) {
    slot = AllocateZeroed(n * sizeof(float));
    float* x = reinterpret_cast<float*>(slot.get());
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::uniform_int_distribution<int> outlier(0, 999);
    for (size_t i = 0; i < n; ++i) {
      x[i] = normal(rng);
      if (outlier(rng) == 0) x[i] *= 30.0f;
    }
  }
  return reinterpret_cast<const float*>(slot.get());
}

// A zero-filled output buffer of `bytes`, reused.
void* Output(size_t bytes, int slot_id) {
  static std::map<std::pair<size_t, int>, AlignedBytes> cache;
  AlignedBytes& slot = cache[{bytes, slot_id}];
  if (!slot) slot = AllocateZeroed(bytes);
  return slot.get();
}

enum class Kernel { kMinMax, kAbsMax, kQuantize, kDequantize, kError };

// Subnormal rows (x86 takes microcode assists on subnormal operands and
// results unless DAZ/FTZ are set, which simdquant never does): the input
// with 1% or all of its values subnormal, parameters still those of the
// normal input; Dequantize instead with a subnormal scale.
enum class Data { kNormal, kSubnormal1, kSubnormalAll };

struct Shape {
  Kernel kernel;
  const char* container;  // "u8", "i8", "u16", "i16"; "f32" for reductions
  int bits;
  QuantizeMode mode;
  Data data = Data::kNormal;
};

// Input(n) with every 100th value (kSubnormal1) or every value scaled into
// the subnormal range (below FLT_MIN = 2^-126).
const float* InputOf(Data data, size_t n) {
  if (data == Data::kNormal) return Input(n);
  static std::map<std::pair<Data, size_t>, AlignedBytes> cache;
  AlignedBytes& slot = cache[{data, n}];
  if (!slot) {
    slot = AllocateZeroed(n * sizeof(float));
    float* x = reinterpret_cast<float*>(slot.get());
    memcpy(x, Input(n), n * sizeof(float));
    const size_t step = data == Data::kSubnormal1 ? 100 : 1;
    for (size_t i = 0; i < n; i += step) x[i] *= 0x1p-128f;  // |x| < 0.6
  }
  return reinterpret_cast<const float*>(slot.get());
}

QuantParams ParamsFor(const Shape& s, size_t n) {
  if (s.bits == 0) return QuantParams();  // Range kernels take no params.
  const MinMaxResult r = reference::MinMax(Input(n), n);
  const bool is_signed = s.container[0] == 'i';
  return is_signed ? ChooseSymmetricParams(r.min, r.max, s.bits)
                   : ChooseAsymmetricParams(r.min, r.max, s.bits);
}

size_t CodeBytes(const Shape& s) { return strlen(s.container) == 2 ? 1 : 2; }

// Bytes the kernel reads plus writes.
size_t TrafficBytes(const Shape& s, size_t n) {
  switch (s.kernel) {
    case Kernel::kQuantize:
    case Kernel::kDequantize:
      return n * (sizeof(float) + CodeBytes(s));
    default:
      return n * sizeof(float);
  }
}

// Calls f(T*) with the code container type of the shape ("u8", "i8", "u16",
// "i16"), without string comparisons inside the timed loops.
template <class F>
void WithContainer(const char* c, void* p, const F& f) {
  const bool is_signed = c[0] == 'i', wide = c[1] == '1';
  if (!is_signed && !wide) f(static_cast<uint8_t*>(p));
  if (is_signed && !wide) f(static_cast<int8_t*>(p));
  if (!is_signed && wide) f(static_cast<uint16_t*>(p));
  if (is_signed && wide) f(static_cast<int16_t*>(p));
}

// What a column runs: the library through its dispatched entry points (for a
// target the caller has pinned), or a baseline.
enum class Impl {
  kLibrary,
  kReference,
  kPlain,
  kEigen,
  kXnnpack,
  kGgml,
  kGgmlRef
};

Impl ImplOf(const std::string& name) {
  if (name == "reference") return Impl::kReference;
  if (name == "plain") return Impl::kPlain;
  if (name == "eigen") return Impl::kEigen;
  if (name == "xnnpack") return Impl::kXnnpack;
  if (name == "ggml") return Impl::kGgml;
  if (name == "ggml_ref") return Impl::kGgmlRef;
  return Impl::kLibrary;
}

// One call of `impl`.
void RunOnce(const Shape& s, Impl impl, const float* x, size_t n,
             const QuantParams& p, void* codes, float* y) {
  const bool ref = impl == Impl::kReference, plain = impl == Impl::kPlain;
  switch (s.kernel) {
    case Kernel::kMinMax: {
      MinMaxResult r = ref ? reference::MinMax(x, n)
                       : plain ? plain::MinMax(x, n)
                       : impl == Impl::kEigen ? plain::EigenMinMax(x, n)
                                              : MinMax(x, n);
      benchmark::DoNotOptimize(r);
      break;
    }
    case Kernel::kAbsMax: {
      float r = ref ? reference::AbsMax(x, n)
                : plain ? plain::AbsMax(x, n) : AbsMax(x, n);
      benchmark::DoNotOptimize(r);
      break;
    }
    case Kernel::kQuantize:
      WithContainer(s.container, codes, [&](auto* q) {
        if (ref) {
          reference::Quantize(x, n, p, q, s.mode);
        } else if (impl == Impl::kXnnpack) {
          if constexpr (sizeof(*q) == 1) peers::XnnpackQuantize(x, n, p, q);
        } else if (plain) {
          plain::Quantize(x, n, p, q, s.mode);
        } else {
          Quantize(x, n, p, q, s.mode);
        }
      });
      benchmark::ClobberMemory();
      break;
    case Kernel::kDequantize:
      WithContainer(s.container, codes, [&](auto* q) {
        if (ref) {
          reference::Dequantize(q, n, p, y);
        } else if (impl == Impl::kXnnpack) {
          if constexpr (sizeof(*q) == 1) peers::XnnpackDequantize(q, n, p, y);
        } else if (plain) {
          plain::Dequantize(q, n, p, y);
        } else {
          Dequantize(q, n, p, y);
        }
      });
      benchmark::ClobberMemory();
      break;
    case Kernel::kError: {
      ErrorStats e = ref ? reference::MeasureError(x, n, p, s.mode)
                     : plain ? plain::MeasureError(x, n, p, s.mode)
                             : MeasureError(x, n, p, s.mode);
      benchmark::DoNotOptimize(e);
      break;
    }
  }
}

// The memcpy column: copies `bytes` (half a kernel's traffic, so that it
// reads + writes as much) from the input, which holds at least that many.
void MeasureMemcpy(benchmark::State& state, const float* x, size_t bytes) {
  void* dst = Output(bytes, 9);
  for (auto _ : state) {
    memcpy(dst, x, bytes);
    benchmark::ClobberMemory();
  }
}

// Registers <group>/<impl>/n:<n> for each implementation; targets are
// pinned by `measure` (is_target), the others are baselines.
using Impls = std::vector<std::pair<std::string, bool>>;
template <class Measure>
void RegisterImpls(const std::string& group, size_t n, const Impls& impls,
                   const Measure& measure) {
  for (const auto& [impl, is_target] : impls) {
    const std::string name = group + "/" + impl + "/n:" + std::to_string(n);
    benchmark::RegisterBenchmark(
        name.c_str(),
        [measure, impl = impl, n, is_target = is_target](
            benchmark::State& st) { measure(st, impl, n, is_target); })
        ->Unit(benchmark::kMicrosecond);
  }
}

Impls TargetImpls(const std::vector<Target>& targets) {
  Impls impls;
  for (const Target& t : targets) impls.push_back({t.name, true});
  return impls;
}

void Measure(benchmark::State& state, const Shape& s, const std::string& impl,
             size_t n, bool is_target) {
  const size_t traffic = TrafficBytes(s, n);
  const float* x = Input(n);
  if (impl == "memcpy") {
    MeasureMemcpy(state, x, traffic / 2);
  } else {
    QuantParams p = ParamsFor(s, n);
    void* codes = Output(n * CodeBytes(s), 1);
    float* y = static_cast<float*>(Output(n * sizeof(float), 2));
    if (s.kernel == Kernel::kDequantize) {
      WithContainer(s.container, codes,
                    [&](auto* q) { Quantize(x, n, p, q, s.mode); });
      if (s.data == Data::kSubnormalAll) p.scale *= 0x1p-130f;
    } else {
      x = InputOf(s.data, n);
    }
    if (is_target) RestrictToTarget(impl);
    const Impl which = ImplOf(impl);
    for (auto _ : state) RunOnce(s, which, x, n, p, codes, y);
    if (is_target) RestrictToTarget("");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traffic));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

std::string KernelName(const Shape& s) {
  switch (s.kernel) {
    case Kernel::kMinMax:
      return "MinMax/f32";
    case Kernel::kAbsMax:
      return "AbsMax/f32";
    case Kernel::kError:
      return std::string("MeasureError/f32/bits:") + std::to_string(s.bits) +
             (s.mode == QuantizeMode::kDivide ? "/divide" : "/reciprocal");
    case Kernel::kQuantize:
      return std::string("Quantize/") + s.container +
             "/bits:" + std::to_string(s.bits) +
             (s.mode == QuantizeMode::kDivide ? "/divide" : "/reciprocal");
    case Kernel::kDequantize:
      return std::string("Dequantize/") + s.container +
             "/bits:" + std::to_string(s.bits);
  }
  return "?";
}

std::string GroupName(const Shape& s) {
  const bool dequantize = s.kernel == Kernel::kDequantize;
  switch (s.data) {
    case Data::kNormal:
      return KernelName(s);
    case Data::kSubnormal1:
      return KernelName(s) + "/subnormal:1%";
    case Data::kSubnormalAll:
      return KernelName(s) + (dequantize ? "/subnormal:scale" : "/subnormal:all");
  }
  return "?";
}

std::vector<Shape> Shapes(bool full) {
  std::vector<Shape> shapes = {{Kernel::kMinMax, "f32", 0, QuantizeMode::kDivide},
                               {Kernel::kAbsMax, "f32", 0, QuantizeMode::kDivide}};
  struct ContainerBits {
    const char* container;
    std::vector<int> bits;
  };
  const std::vector<ContainerBits> formats =
      full ? std::vector<ContainerBits>{{"u8", {2, 4, 8}},
                                        {"i8", {2, 4, 8}},
                                        {"u16", {12, 16}},
                                        {"i16", {12, 16}}}
           : std::vector<ContainerBits>{{"u8", {2, 4, 8}},
                                        {"i8", {8}},
                                        {"u16", {12, 16}},
                                        {"i16", {16}}};
  for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
    for (const auto& f : formats) {
      for (int bits : f.bits) {
        shapes.push_back({Kernel::kQuantize, f.container, bits, mode});
      }
    }
  }
  for (const auto& f : formats) {
    for (int bits : f.bits) {
      shapes.push_back({Kernel::kDequantize, f.container, bits,
                        QuantizeMode::kDivide});
    }
  }
  for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
    shapes.push_back({Kernel::kError, "f32", 8, mode});
  }
  // Every kernel on subnormal data (8-bit codes; Dequantize: the scale).
  for (Data data : {Data::kSubnormal1, Data::kSubnormalAll}) {
    const QuantizeMode kDiv = QuantizeMode::kDivide;
    const QuantizeMode kRec = QuantizeMode::kReciprocal;
    for (const Shape& sub :
         {Shape{Kernel::kMinMax, "f32", 0, kDiv, data},
          Shape{Kernel::kAbsMax, "f32", 0, kDiv, data},
          Shape{Kernel::kQuantize, "u8", 8, kDiv, data},
          Shape{Kernel::kQuantize, "u8", 8, kRec, data},
          Shape{Kernel::kError, "f32", 8, kDiv, data},
          Shape{Kernel::kError, "f32", 8, kRec, data}}) {
      shapes.push_back(sub);
    }
  }
  shapes.push_back({Kernel::kDequantize, "u8", 8, QuantizeMode::kDivide,
                    Data::kSubnormalAll});
  return shapes;
}

// The comparison is only honest if every implementation computes the same
// thing: check each against the reference once, before measuring.
bool BaselinesAgree() {
  const size_t n = 4099;
  const float* x = Input(n);
  bool ok = true;
  const MinMaxResult r = reference::MinMax(x, n);
  for (const MinMaxResult& m : {plain::MinMax(x, n), plain::EigenMinMax(x, n)}) {
    ok &= m.min == r.min && m.max == r.max;
  }
  ok &= plain::AbsMax(x, n) == reference::AbsMax(x, n);
  for (const Shape& s : Shapes(true)) {
    if (s.kernel != Kernel::kQuantize) continue;
    const QuantParams p = ParamsFor(s, n);
    WithContainer(s.container, Output(n * CodeBytes(s), 3), [&](auto* q) {
      using T = std::remove_pointer_t<decltype(q)>;
      std::vector<T> want(n);
      reference::Quantize(x, n, p, want.data(), s.mode);
      plain::Quantize(x, n, p, q, s.mode);
      ok &= memcmp(q, want.data(), n * sizeof(T)) == 0;
      std::vector<float> y(n), y_want(n);
      reference::Dequantize(want.data(), n, p, y_want.data());
      plain::Dequantize(want.data(), n, p, y.data());
      ok &= memcmp(y.data(), y_want.data(), n * sizeof(float)) == 0;
    });
    const ErrorStats e = plain::MeasureError(x, n, p, s.mode);
    const ErrorStats e_ref = reference::MeasureError(x, n, p, s.mode);
    ok &= e.max_abs_error == e_ref.max_abs_error;
  }
  return ok;
}

// PercentileRange (the 0.01th and 99.99th percentiles) against what a user
// would otherwise write: std::nth_element on a copy (four order statistics:
// each rank and its successor), and std::sort on a copy; on the bench's
// normal data and on the distributions that defeat a one-level histogram:
//   relu     half the values +0 (ReLU outputs), the rest |normal|
//   copies   n - 2 copies of one value plus two extremes
//   lowbits  values 1 + k ulp, k < 2^12: they differ in the low mantissa
//            bits only
const float* PercentileInput(const std::string& dist, size_t n) {
  if (dist == "normal") return Input(n);
  static std::map<std::pair<std::string, size_t>, AlignedBytes> cache;
  AlignedBytes& slot = cache[{dist, n}];
  if (!slot) {
    slot = AllocateZeroed(n * sizeof(float));
    float* x = reinterpret_cast<float*>(slot.get());
    const float* normal = Input(n);
    std::mt19937 rng(77);
    for (size_t i = 0; i < n; ++i) {
      if (dist == "relu") {
        x[i] = i % 2 ? std::fabs(normal[i]) : 0.0f;
      } else if (dist == "copies") {
        x[i] = 0.25f;
      } else {  // lowbits
        x[i] = 1.0f + static_cast<float>(rng() % 4096) * 0x1p-23f;
      }
    }
    if (dist == "copies") {
      x[n / 3] = -1e30f;
      x[2 * n / 3] = 1e30f;
    }
  }
  return reinterpret_cast<const float*>(slot.get());
}

void RegisterPercentileBenchmarks() {
  for (const char* dist : {"normal", "relu", "copies", "lowbits"}) {
    for (size_t n : {size_t{1} << 16, size_t{1} << 20, size_t{1} << 24}) {
      for (const char* impl : {"simdquant", "nth_element", "sort"}) {
        const std::string name = std::string("PercentileRange/f32/p:99.99/") +
                                 dist + "/" + impl + "/n:" + std::to_string(n);
        benchmark::RegisterBenchmark(
            name.c_str(),
            [n, dist = std::string(dist),
             impl = std::string(impl)](benchmark::State& state) {
              const float* x = PercentileInput(dist, n);
              float* copy = static_cast<float*>(Output(n * sizeof(float), 4));
              const auto rank = [n](double pct) {
                return static_cast<size_t>((pct / 100.0) *
                                           static_cast<double>(n - 1));
              };
              for (auto _ : state) {
                MinMaxResult r;
                if (impl == "simdquant") {
                  r = PercentileRange(x, n, 0.01, 99.99);
                } else {
                  memcpy(copy, x, n * sizeof(float));
                  float* end = copy + n;
                  float *lo = copy + rank(0.01), *hi = copy + rank(99.99);
                  if (impl == "sort") {
                    std::sort(copy, end);
                  } else {
                    std::nth_element(copy, lo, end);
                    *(lo + 1) = *std::min_element(lo + 1, end);
                    std::nth_element(lo + 1, hi, end);
                    *(hi + 1) = *std::min_element(hi + 1, end);
                  }
                  // Not numpy's exact interpolation: the cost only.
                  r = {lo[0] + (lo[1] - lo[0]) * 0.5f, hi[0]};
                }
                benchmark::DoNotOptimize(r);
              }
              state.SetBytesProcessed(static_cast<int64_t>(
                  state.iterations() * n * sizeof(float)));
              state.SetItemsProcessed(
                  static_cast<int64_t>(state.iterations() * n));
            })
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Throughput per bit width (tensor.h): codes of 1..8 bits packed, 9..16 bits
// in uint16_t, and 8 bits unpacked in uint8_t for comparison; per tensor, per
// row (per-channel, 4096 columns) and per group of 32 and 128.
// Names: <Kernel>/<codes>/<granularity>/bits:<b>/<impl>/n:<count>, kernels:
//   Quantize         given parameters (chosen beforehand by QuantizeDynamic)
//   QuantizeDynamic  choosing each row's / group's parameters in the pass
//   Dequantize       codes -> float32
// Bytes counted: the float32 tensor plus the code bytes (packed or not).

enum class LayoutKernel { kQuantize, kQuantizeDynamic, kDequantize };

struct LayoutShape {
  LayoutKernel kernel;
  const char* granularity;  // as LayoutOf: "tensor", "row", "group32", ...
  int bits;
  bool packed;  // else uint8_t (bits 8) or uint16_t (bits > 8)
};

// Weights' layouts (4096 columns), and the narrow ones where per-set
// overhead dominates: per column with 3 columns (RGB), a single column per
// column and per row, groups of 1 and 2.
Layout LayoutOf(const char* granularity, size_t n) {
  const size_t cols = 4096;
  if (strcmp(granularity, "row") == 0) return Layout::PerRow(n / cols, cols);
  if (strcmp(granularity, "column") == 0) {
    return Layout::PerColumn(n / cols, cols);
  }
  if (strcmp(granularity, "column3") == 0) return Layout::PerColumn(n / 3, 3);
  if (strcmp(granularity, "column1") == 0) return Layout::PerColumn(n, 1);
  if (strcmp(granularity, "row1") == 0) return Layout::PerRow(n, 1);
  if (strncmp(granularity, "group", 5) == 0) {
    return Layout::PerGroup(n / cols, cols,
                            strtoul(granularity + 5, nullptr, 10));
  }
  return Layout::PerTensor(n);
}

size_t CodeBytesOf(const LayoutShape& s, size_t n) {
  if (s.packed) return PackedBytes(n, s.bits);
  return n * (s.bits > 8 ? 2 : 1);
}

// Calls f(codes) with the shape's code pointer: uint8_t* for packed and
// 8-bit codes, uint16_t* above 8 bits.
template <class F>
void WithCodes(const LayoutShape& s, void* codes, const F& f) {
  if (s.bits > 8) {
    f(static_cast<uint16_t*>(codes));
  } else {
    f(static_cast<uint8_t*>(codes));
  }
}

void MeasureLayout(benchmark::State& state, const LayoutShape& s,
                   const std::string& impl, size_t size, bool is_target) {
  const size_t n = LayoutOf(s.granularity, size).NumElements();
  const float* x = Input(n);
  const size_t traffic = n * sizeof(float) + CodeBytesOf(s, n);
  if (impl == "memcpy") {
    MeasureMemcpy(state, x, traffic / 2);
  } else {
    const bool ref = impl == "reference";
    const Layout layout = LayoutOf(s.granularity, n);
    QuantSpec spec;
    spec.bits = s.bits;
    std::vector<float> scales(layout.NumParams());
    std::vector<int32_t> zero_points(layout.NumParams());
    GroupParamsOut out;
    out.scales = scales.data();
    out.zero_points = zero_points.data();
    GroupParams p;
    p.scales = scales.data();
    p.zero_points = zero_points.data();
    p.bits = s.bits;
    void* codes = Output(CodeBytesOf(s, n), 5);
    float* y = static_cast<float*>(Output(n * sizeof(float), 6));
    // Parameters (and, for Dequantize, the codes) from the library once.
    WithCodes(s, codes, [&](auto* q) {
      if (s.packed) {
        QuantizeDynamicPacked(x, layout, spec, out,
                              reinterpret_cast<uint8_t*>(q));
      } else {
        QuantizeDynamic(x, layout, spec, out, q);
      }
    });
    if (is_target) RestrictToTarget(impl);
    for (auto _ : state) {
      WithCodes(s, codes, [&](auto* q) {
        auto* packed = reinterpret_cast<uint8_t*>(q);
        switch (s.kernel) {
          case LayoutKernel::kQuantize:
            if (s.packed) {
              ref ? reference::QuantizePacked(x, layout, p, packed)
                  : QuantizePacked(x, layout, p, packed);
            } else {
              ref ? reference::Quantize(x, layout, p, q)
                  : Quantize(x, layout, p, q);
            }
            break;
          case LayoutKernel::kQuantizeDynamic:
            if (s.packed) {
              ref ? reference::QuantizeDynamicPacked(x, layout, spec, out,
                                                     packed)
                  : QuantizeDynamicPacked(x, layout, spec, out, packed);
            } else {
              ref ? reference::QuantizeDynamic(x, layout, spec, out, q)
                  : QuantizeDynamic(x, layout, spec, out, q);
            }
            break;
          case LayoutKernel::kDequantize:
            if (s.packed) {
              ref ? reference::DequantizePacked(packed, layout, p, y)
                  : DequantizePacked(packed, layout, p, y);
            } else {
              ref ? reference::Dequantize(q, layout, p, y)
                  : Dequantize(q, layout, p, y);
            }
            break;
        }
      });
      benchmark::ClobberMemory();
    }
    if (is_target) RestrictToTarget("");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traffic));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

std::string LayoutGroupName(const LayoutShape& s) {
  const char* kernel = s.kernel == LayoutKernel::kQuantize ? "Quantize"
                       : s.kernel == LayoutKernel::kQuantizeDynamic
                           ? "QuantizeDynamic"
                           : "Dequantize";
  const char* codes = s.packed ? "packed" : s.bits > 8 ? "u16" : "u8";
  return std::string(kernel) + "/" + codes + "/" + s.granularity +
         "/bits:" + std::to_string(s.bits);
}

std::vector<LayoutShape> LayoutShapes(bool full) {
  std::vector<LayoutShape> shapes;
  for (const char* g : {"tensor", "row", "group32", "group128"}) {
    for (LayoutKernel k : {LayoutKernel::kQuantize, LayoutKernel::kDequantize,
                           LayoutKernel::kQuantizeDynamic}) {
      const bool dynamic = k == LayoutKernel::kQuantizeDynamic;
      if (dynamic && strcmp(g, "tensor") == 0) continue;
      for (int bits = 1; bits <= 16; ++bits) {
        // Dynamic: the widths weights use, unless --full.
        if (dynamic && !full && bits != 4 && bits != 8) continue;
        shapes.push_back({k, g, bits, bits <= 8});
        if (bits == 8) shapes.push_back({k, g, bits, false});
      }
    }
  }
  // Per column and the narrow layouts: 8-bit codes, and 4-bit packed with
  // --full.
  for (const char* g :
       {"column", "column3", "column1", "row1", "group1", "group2"}) {
    for (LayoutKernel k : {LayoutKernel::kQuantize, LayoutKernel::kDequantize,
                           LayoutKernel::kQuantizeDynamic}) {
      if (full) shapes.push_back({k, g, 4, true});
      shapes.push_back({k, g, 8, false});
    }
  }
  return shapes;
}

void RegisterLayoutBenchmarks(bool full,
                              const std::vector<Target>& targets) {
  std::vector<size_t> sizes = {size_t{1} << 16};
  if (full) sizes.push_back(size_t{1} << 22);
  for (const LayoutShape& s : LayoutShapes(full)) {
    for (size_t n : sizes) {
      Impls impls = TargetImpls(targets);
      impls.push_back({"reference", false});
      impls.push_back({"memcpy", false});
      RegisterImpls(LayoutGroupName(s), n, impls,
                    [s](benchmark::State& st, const std::string& impl,
                        size_t size, bool is_target) {
                      MeasureLayout(st, s, impl, size, is_target);
                    });
    }
  }
}

// ---------------------------------------------------------------------------
// Peers (bench/peers.h): XNNPACK's convert operators on the 8-bit per-tensor
// rows, and ggml's Q8_0 (blocks of 32 int8 codes, one float16 scale each =
// symmetric int8 per group of 32 with float16 scales) against
// QuantizeDynamic / Dequantize per group of 32.

bool HasXnnpackPeer(const Shape& s) {
  const bool quantize = s.kernel == Kernel::kQuantize &&
                        s.mode == QuantizeMode::kReciprocal;
  // XNNPACK refuses a subnormal scale when it creates the operator: nothing
  // would run, so no column rather than a meaningless figure.
  const bool dequantize = s.kernel == Kernel::kDequantize &&
                          s.data == Data::kNormal;
  return (quantize || dequantize) && s.bits == 8 && CodeBytes(s) == 1;
}

// Eigen's column computes min and max, but NaN is not its business: says
// what it returns for a NaN at the start, in the middle and at the end.
void ReportEigenContract() {
  const size_t n = 4099;
  std::vector<float> x(Input(n), Input(n) + n);
  std::string got;
  for (size_t at : {size_t{0}, n / 2, n - 1}) {
    std::vector<float> y = x;
    y[at] = std::numeric_limits<float>::quiet_NaN();
    const MinMaxResult r = plain::EigenMinMax(y.data(), n);
    got += " NaN at " + std::to_string(at) + " -> {" + std::to_string(r.min) +
           ", " + std::to_string(r.max) + "};";
  }
  fprintf(stderr, "eigen min/max: the contract gives {nan, nan};%s\n",
          got.c_str());
}

// Prints where a peer's codes differ from simdquant's contract on the
// special values that contracts disagree on; the peers are timed anyway,
// with the differences stated rather than hidden.
template <typename T>
void ReportXnnpackContract(const QuantParams& p, const char* name) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float s = p.scale;
  const std::vector<std::pair<const char*, float>> probes = {
      {"NaN", nan},         {"+Inf", inf},        {"-Inf", -inf},
      {"tie 0.5", 0.5f * s}, {"tie 1.5", 1.5f * s}, {"tie -2.5", -2.5f * s},
      {"-0", -0.0f},        {"1e30", 1e30f},      {"-1e30", -1e30f}};
  std::string diffs;
  for (const auto& [what, v] : probes) {
    T got = 0, want = 0;
    if (!peers::XnnpackQuantize(&v, 1, p, &got)) return;
    reference::Quantize(&v, 1, p, &want, QuantizeMode::kReciprocal);
    if (got != want) {
      diffs += std::string(" ") + what + " -> " + std::to_string(got) +
               " (contract " + std::to_string(want) + ");";
    }
  }
  // Subnormal x with a scale that keeps it from rounding to the zero point:
  // XNNPACK runs its operators with denormals treated as zero (pthreadpool's
  // PTHREADPOOL_FLAG_DISABLE_DENORMALS sets MXCSR's DAZ/FTZ for the call),
  // which is also why its speed has no subnormal cliff.
  QuantParams tiny = p;
  tiny.scale = 0x1p-126f;
  const float subnormal = 0x3p-128f;  // 0.75 * scale: code zero_point + 1
  T got_tiny = 0, want_tiny = 0;
  if (peers::XnnpackQuantize(&subnormal, 1, tiny, &got_tiny)) {
    reference::Quantize(&subnormal, 1, tiny, &want_tiny,
                        QuantizeMode::kReciprocal);
    if (got_tiny != want_tiny) {
      diffs += " subnormal 0.75 * scale -> " + std::to_string(got_tiny) +
               " (contract " + std::to_string(want_tiny) + ": DAZ);";
    }
  }
  const size_t n = 4099;
  std::vector<T> got(n), want(n);
  peers::XnnpackQuantize(Input(n), n, p, got.data());
  reference::Quantize(Input(n), n, p, want.data(), QuantizeMode::kReciprocal);
  const size_t mismatches = static_cast<size_t>(std::inner_product(
      got.begin(), got.end(), want.begin(), 0, std::plus<>(),
      std::not_equal_to<>()));
  fprintf(stderr, "xnnpack %s: %zu of %zu bench codes differ from the "
                  "contract;%s\n",
          name, mismatches, n,
          diffs.empty() ? " special values agree" : diffs.c_str());
}

struct Q8_0Buffers {
  std::vector<hwy::float16_t> scales;
  int8_t* codes;
  void* blocks;  // ggml's block_q8_0 array
};

Q8_0Buffers Q8_0Outputs(size_t n) {
  Q8_0Buffers b;
  b.scales.resize(n / 32);
  b.codes = static_cast<int8_t*>(Output(n, 7));
  b.blocks = Output(n / 32 * peers::kQ8_0BlockBytes, 8);
  return b;
}

QuantSpec Q8_0Spec() {
  QuantSpec spec;
  spec.bits = 8;
  spec.scheme = Scheme::kSymmetric;
  spec.signedness = Signedness::kSigned;
  spec.mode = QuantizeMode::kReciprocal;
  return spec;
}

// How ggml's Q8_0 differs from QuantizeDynamic's symmetric int8 with
// float16 scales: ggml multiplies by 1 / the float32 scale before rounding
// it to float16 (we apply the float16 scale that is stored, so that
// dequantizing reproduces what was quantized), and its reference rounds ties
// away from zero.
void ReportGgmlContract(const peers::Ggml& g) {
  const size_t n = 4096;
  const float* x = Input(n);
  Q8_0Buffers b = Q8_0Outputs(n);
  GroupParamsOut out;
  out.scales_f16 = b.scales.data();
  QuantizeDynamic(x, Layout::PerGroup(1, n, 32), Q8_0Spec(), out, b.codes);
  for (const auto& [name, f] :
       {std::make_pair("quantize_row_q8_0", g.quantize_row_q8_0),
        std::make_pair("quantize_row_q8_0_ref", g.quantize_row_q8_0_ref)}) {
    f(x, b.blocks, static_cast<int64_t>(n));
    size_t code_diffs = 0, scale_diffs = 0;
    const auto* blocks = static_cast<const uint8_t*>(b.blocks);
    for (size_t k = 0; k < n / 32; ++k) {
      const uint8_t* block = blocks + k * peers::kQ8_0BlockBytes;
      uint16_t d;
      memcpy(&d, block, 2);
      scale_diffs += d != b.scales[k].bits;
      for (size_t j = 0; j < 32; ++j) {
        code_diffs += static_cast<int8_t>(block[2 + j]) != b.codes[k * 32 + j];
      }
    }
    fprintf(stderr, "ggml %s (%s): %zu of %zu codes and %zu of %zu scales "
                    "differ from QuantizeDynamic symmetric int8 / f16 scales\n",
            name, g.cpu_variant.c_str(), code_diffs, n, scale_diffs, n / 32);
  }
}

// The columns of a row compared with ggml: every target, the reference,
// ggml (and, for encoders, its reference ggml_ref) if loaded, memcpy.
Impls GgmlRowImpls(const std::vector<Target>& targets, const peers::Ggml* ggml,
                   bool encoder) {
  Impls impls = TargetImpls(targets);
  impls.push_back({"reference", false});
  if (ggml != nullptr) {
    impls.push_back({"ggml", false});
    if (encoder) impls.push_back({"ggml_ref", false});
  }
  impls.push_back({"memcpy", false});
  return impls;
}

// Q8_0/<kernel>/<impl>/n:<count>: bytes = float32 tensor + int8 codes +
// one float16 scale per 32 (ggml's 34-byte blocks: the same bytes).
void RegisterQ8_0Benchmarks(const std::vector<Target>& targets) {
  const peers::Ggml* ggml = peers::LoadGgml();
  if (ggml != nullptr) ReportGgmlContract(*ggml);
  for (const char* kernel : {"QuantizeDynamic", "Dequantize"}) {
    const bool quantize = strcmp(kernel, "QuantizeDynamic") == 0;
    const Impls impls = GgmlRowImpls(targets, ggml, quantize);
    for (size_t n : {size_t{1} << 12, size_t{1} << 16}) {
      RegisterImpls(
          std::string("Q8_0/") + kernel + "/group32", n, impls,
          [quantize, ggml](benchmark::State& state, const std::string& impl,
                           size_t size, bool is_target) {
            const float* x = Input(size);
            const size_t traffic = size * 5 + size / 32 * 2;
            if (impl == "memcpy") {
              MeasureMemcpy(state, x, traffic / 2);
            } else {
              const Layout layout = Layout::PerGroup(1, size, 32);
              Q8_0Buffers b = Q8_0Outputs(size);
              GroupParamsOut out;
              out.scales_f16 = b.scales.data();
              GroupParams p;
              p.scales_f16 = b.scales.data();
              p.bits = 8;
              p.signedness = Signedness::kSigned;
              float* y = static_cast<float*>(Output(size * sizeof(float), 2));
              const QuantSpec spec = Q8_0Spec();
              QuantizeDynamic(x, layout, spec, out, b.codes);
              if (ggml != nullptr) {
                ggml->quantize_row_q8_0_ref(x, b.blocks,
                                            static_cast<int64_t>(size));
              }
              const auto k = static_cast<int64_t>(size);
              const Impl which = ImplOf(impl);
              if (is_target) RestrictToTarget(impl);
              for (auto _ : state) {
                switch (which) {
                  case Impl::kGgml:
                    quantize ? ggml->quantize_row_q8_0(x, b.blocks, k)
                             : ggml->dequantize_row_q8_0(b.blocks, y, k);
                    break;
                  case Impl::kGgmlRef:
                    ggml->quantize_row_q8_0_ref(x, b.blocks, k);
                    break;
                  case Impl::kReference:
                    quantize ? reference::QuantizeDynamic(x, layout, spec, out,
                                                          b.codes)
                             : reference::Dequantize(b.codes, layout, p, y);
                    break;
                  default:  // the library, on the pinned target
                    quantize ? QuantizeDynamic(x, layout, spec, out, b.codes)
                             : Dequantize(b.codes, layout, p, y);
                    break;
                }
                benchmark::ClobberMemory();
              }
              if (is_target) RestrictToTarget("");
            }
            state.SetBytesProcessed(
                static_cast<int64_t>(state.iterations() * traffic));
            state.SetItemsProcessed(
                static_cast<int64_t>(state.iterations() * size));
          });
    }
  }
}

// Importance weights of the GGUF EncodeImatrix rows: one per column of
// rows of kImatrixRow values (llama.cpp's imatrix: mean squared
// activations, here exponential).
constexpr size_t kImatrixRow = 4096;
const float* Importance() {
  static const std::vector<float> w = [] {
    std::vector<float> v(kImatrixRow);
    std::mt19937 rng(5);
    std::exponential_distribution<float> exponential(1.0f);
    for (float& x : v) x = exponential(rng);
    return v;
  }();
  return w.data();
}

// GGUF/<type>/<Encode|Decode|EncodeImatrix>/<impl>/n:<count>: ggml's block
// formats, byte-identical to ggml (tests/gguf_test.cc). bytes = float32
// values + blocks. Columns: every target, the reference, ggml (the CPU
// library's quantize_row_<t>, vectorized for Q8_0 only; dequantize_row_<t>;
// for EncodeImatrix ggml_quantize_chunk with the importance weights, rows
// of kImatrixRow), ggml_ref (quantize_row_<t>_ref, what llama-quantize runs
// without an imatrix), memcpy.
enum class GgufOp { kEncode, kDecode, kEncodeImatrix };

void RegisterGgufBenchmarks(const std::vector<Target>& targets) {
  const peers::Ggml* ggml = peers::LoadGgml();
  for (int t = 0; t < peers::Ggml::kGgufTypes; ++t) {
    const auto type = static_cast<gguf::BlockType>(t);
    const int ggml_type = static_cast<int>(gguf::GgmlTypeId(type));
    if (ggml != nullptr) {
      // The ggml columns must produce the bytes they are compared for.
      const size_t n = size_t{1} << 16, bytes = gguf::RowBytes(type, n);
      std::vector<uint8_t> ours(bytes), fast(bytes), ref(bytes), weighted(bytes),
          ggml_weighted(bytes);
      gguf::Encode(type, Input(n), n, ours.data());
      ggml->quantize_row[t](Input(n), fast.data(), static_cast<int64_t>(n));
      ggml->quantize_row_ref[t](Input(n), ref.data(), static_cast<int64_t>(n));
      gguf::EncodeRows(type, Input(n), n / kImatrixRow, kImatrixRow,
                       Importance(), weighted.data());
      ggml->quantize_chunk(ggml_type, Input(n), ggml_weighted.data(), 0,
                           n / kImatrixRow, kImatrixRow, Importance());
      size_t fast_diffs = 0, ref_diffs = 0, weighted_diffs = 0;
      for (size_t i = 0; i < bytes; ++i) {
        fast_diffs += fast[i] != ref[i];
        ref_diffs += ours[i] != ref[i];
        weighted_diffs += weighted[i] != ggml_weighted[i];
      }
      fprintf(stderr, "GGUF %s: gguf::Encode differs from ggml's "
              "reference encoder in %zu of %zu bytes, gguf::EncodeRows with "
              "importance from ggml_quantize_chunk in %zu; ggml's "
              "quantize_row (%s) from its reference in %zu\n",
              gguf::BlockTypeName(type), ref_diffs, bytes, weighted_diffs,
              ggml->cpu_variant.c_str(), fast_diffs);
    }
    for (const GgufOp op : {GgufOp::kEncode, GgufOp::kDecode, GgufOp::kEncodeImatrix}) {
      // Q8_0 and MXFP4 ignore importance weights.
      if (op == GgufOp::kEncodeImatrix && (type == gguf::BlockType::kQ8_0 ||
                                           type == gguf::BlockType::kMXFP4)) {
        continue;
      }
      Impls impls = GgmlRowImpls(targets, ggml, op == GgufOp::kEncode);
      const char* name = op == GgufOp::kEncode   ? "/Encode"
                         : op == GgufOp::kDecode ? "/Decode"
                                                 : "/EncodeImatrix";
      // Q8_0 decoding also out of cache, against memcpy (the 70%).
      const bool big = type == gguf::BlockType::kQ8_0 && op == GgufOp::kDecode;
      const std::vector<size_t> sizes =
          big ? std::vector<size_t>{size_t{1} << 16, size_t{1} << 24}
              : std::vector<size_t>{size_t{1} << 16};
      const auto run = [type, t, ggml_type, op, ggml](
                           benchmark::State& state, const std::string& impl,
                           size_t size, bool is_target) {
        const float* x = Input(size);
        const size_t bytes = gguf::RowBytes(type, size);
        const size_t traffic = size * sizeof(float) + bytes;
        const size_t rows = size / kImatrixRow;
        void* blocks = Output(bytes, 9);
        float* y = static_cast<float*>(Output(size * sizeof(float), 2));
        gguf::Encode(type, x, size, blocks);
        const auto k = static_cast<int64_t>(size);
        const Impl which = ImplOf(impl);
        if (impl == "memcpy") {
          MeasureMemcpy(state, x, traffic / 2);
        } else {
          if (is_target) RestrictToTarget(impl);
          for (auto _ : state) {
            switch (op) {
              case GgufOp::kEncode:
                if (which == Impl::kGgml) {
                  ggml->quantize_row[t](x, blocks, k);
                } else if (which == Impl::kGgmlRef) {
                  ggml->quantize_row_ref[t](x, blocks, k);
                } else if (which == Impl::kReference) {
                  reference::GgufEncode(type, x, size, blocks);
                } else {
                  gguf::Encode(type, x, size, blocks);
                }
                break;
              case GgufOp::kDecode:
                if (which == Impl::kGgml) {
                  ggml->dequantize_row[t](blocks, y, k);
                } else if (which == Impl::kReference) {
                  reference::GgufDecode(type, blocks, size, y);
                } else {
                  gguf::Decode(type, blocks, size, y);
                }
                break;
              case GgufOp::kEncodeImatrix:
                if (which == Impl::kGgml) {
                  ggml->quantize_chunk(ggml_type, x, blocks, 0,
                                       static_cast<int64_t>(rows),
                                       static_cast<int64_t>(kImatrixRow),
                                       Importance());
                } else if (which == Impl::kReference) {
                  reference::GgufEncodeRows(type, x, rows, kImatrixRow,
                                            Importance(), blocks);
                } else {
                  gguf::EncodeRows(type, x, rows, kImatrixRow, Importance(),
                                   blocks);
                }
                break;
            }
            benchmark::ClobberMemory();
          }
          if (is_target) RestrictToTarget("");
        }
        state.SetBytesProcessed(
            static_cast<int64_t>(state.iterations() * traffic));
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
      };
      for (const size_t n : sizes) {
        RegisterImpls(std::string("GGUF/") + gguf::BlockTypeName(type) + name,
                      n, impls, run);
      }
    }
  }
}

// Floating-point codes (float_codes.h) at 64K elements, float32 in:
//   Float/<format>/Encode, /Decode: per tensor, divide mode, FP6 / FP4
//     packed; beside ONNX Runtime's QuantizeLinear / DequantizeLinear
//     (column "ort", FP8 only) and memcpy of the same bytes;
//   MX/<format>/Encode, /Decode (floor rule) and NVFP4/Encode, /Decode.
// Bytes: the float32 tensor + the codes (+ one scale byte per block).
void RegisterFloatCodeBenchmarks(const std::vector<Target>& targets) {
  static test::OnnxRuntime* ort = [] {
    const char* dir = getenv("SIMDQUANT_ORT_DIR");
    auto* o = dir == nullptr ? nullptr : new test::OnnxRuntime(dir);
    if (o == nullptr || !o->ok()) {
      fprintf(stderr, "onnxruntime: not loaded (SIMDQUANT_ORT_DIR); no ort column\n");
      return static_cast<test::OnnxRuntime*>(nullptr);
    }
    return o;
  }();
  const size_t n = size_t{1} << 16;
  const float scale = 0.01f;
  for (int f = 0; f <= static_cast<int>(FloatFormat::kE2M1); ++f) {
    const auto format = static_cast<FloatFormat>(f);
    const int onnx_type = format == FloatFormat::kE4M3FN     ? test::kOnnxE4M3FN
                          : format == FloatFormat::kE5M2     ? test::kOnnxE5M2
                          : format == FloatFormat::kE4M3FNUZ ? test::kOnnxE4M3FNUZ
                          : format == FloatFormat::kE5M2FNUZ ? test::kOnnxE5M2FNUZ
                                                             : 0;
    for (const bool encode : {true, false}) {
      Impls impls = TargetImpls(targets);
      impls.push_back({"reference", false});
      if (ort != nullptr && onnx_type != 0) impls.push_back({"ort", false});
      impls.push_back({"memcpy", false});
      FloatCodeSpec spec;
      spec.format = format;
      spec.packed = true;
      const size_t bytes = FloatCodeBytes(n, spec);
      RegisterImpls(
          std::string("Float/") + FloatFormatName(format) +
              (encode ? "/Encode" : "/Decode"),
          n, impls,
          [=](benchmark::State& state, const std::string& impl, size_t size,
              bool is_target) {
            const float* x = Input(size);
            const size_t traffic = size * sizeof(float) + bytes;
            uint8_t* codes = static_cast<uint8_t*>(Output(bytes, 9));
            float* y = static_cast<float*>(Output(size * sizeof(float), 2));
            const Layout layout = Layout::PerTensor(size);
            EncodeFloat(x, layout, &scale, spec, codes);
            if (impl == "memcpy") {
              MeasureMemcpy(state, x, traffic / 2);
            } else if (impl == "ort") {
              const uint8_t zero = 0;
              const std::string model =
                  encode ? test::OneNodeModel(
                               "QuantizeLinear", {"x", "s", "z"},
                               {test::Scalar("s", test::kOnnxFloat, &scale, 4),
                                test::Scalar("z", onnx_type, &zero, 1)},
                               {}, onnx_type, static_cast<int64_t>(size))
                         : test::OneNodeModel(
                               "DequantizeLinear", {"x", "s"},
                               {test::Scalar("s", test::kOnnxFloat, &scale, 4)},
                               {}, test::kOnnxFloat, static_cast<int64_t>(size),
                               onnx_type);
              test::OnnxRuntime::Session session(*ort, model);
              for (auto _ : state) {
                if (encode) {
                  session.Run(x, size, size * 4, test::kOnnxFloat, codes, size);
                } else {
                  session.Run(codes, size, size, onnx_type, y, size * 4);
                }
                benchmark::ClobberMemory();
              }
            } else {
              const bool ref = impl == "reference";
              if (is_target) RestrictToTarget(impl);
              for (auto _ : state) {
                if (encode) {
                  ref ? reference::EncodeFloat(x, layout, &scale, spec, codes)
                      : EncodeFloat(x, layout, &scale, spec, codes);
                } else {
                  ref ? reference::DecodeFloat(codes, layout, &scale, spec, y)
                      : DecodeFloat(codes, layout, &scale, spec, y);
                }
                benchmark::ClobberMemory();
              }
              if (is_target) RestrictToTarget("");
            }
            state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traffic));
            state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
          });
    }
  }
  // Block formats: rows of 4096.
  const size_t cols = 4096, rows = n / cols;
  struct Block {
    std::string name;
    int format;  // MxFormat, or -1: NVFP4
  };
  std::vector<Block> blocks;
  for (int f = 0; f <= static_cast<int>(MxFormat::kMXINT8); ++f) {
    blocks.push_back({std::string("MX/") + MxFormatName(static_cast<MxFormat>(f)), f});
  }
  blocks.push_back({"NVFP4", -1});
  for (const Block& b : blocks) {
    for (const bool encode : {true, false}) {
      Impls impls = TargetImpls(targets);
      impls.push_back({"reference", false});
      impls.push_back({"memcpy", false});
      const bool nv = b.format < 0;
      const auto mx = static_cast<MxFormat>(nv ? 0 : b.format);
      const size_t element_bytes = nv ? PackedBytes(n, 4) : MxElementBytes(mx, n);
      const size_t scale_bytes = nv ? NvFp4ScaleCount(rows, cols) : MxScaleCount(rows, cols);
      RegisterImpls(
          b.name + (encode ? "/Encode" : "/Decode"), n, impls,
          [=](benchmark::State& state, const std::string& impl, size_t size,
              bool is_target) {
            const float* x = Input(size);
            const size_t traffic = size * sizeof(float) + element_bytes + scale_bytes;
            uint8_t* elements = static_cast<uint8_t*>(Output(element_bytes, 9));
            uint8_t* scales = static_cast<uint8_t*>(Output(scale_bytes, 1));
            float* y = static_cast<float*>(Output(size * sizeof(float), 2));
            const float t = NvFp4TensorScale(3.0f);
            const bool ref = impl == "reference";
            const auto run = [&] {
              if (nv) {
                if (encode) {
                  ref ? reference::EncodeNvFp4(x, rows, cols, t, scales, elements)
                      : EncodeNvFp4(x, rows, cols, t, scales, elements);
                } else {
                  ref ? reference::DecodeNvFp4(scales, elements, rows, cols, t, y)
                      : DecodeNvFp4(scales, elements, rows, cols, t, y);
                }
              } else if (encode) {
                ref ? reference::EncodeMx(x, rows, cols, mx, scales, elements)
                    : EncodeMx(x, rows, cols, mx, scales, elements);
              } else {
                ref ? reference::DecodeMx(scales, elements, rows, cols, mx, y)
                    : DecodeMx(scales, elements, rows, cols, mx, y);
              }
              benchmark::ClobberMemory();
            };
            if (impl == "memcpy") {
              MeasureMemcpy(state, x, traffic / 2);
            } else {
              if (!encode) {  // codes to decode
                nv ? EncodeNvFp4(x, rows, cols, t, scales, elements)
                   : EncodeMx(x, rows, cols, mx, scales, elements);
              }
              if (is_target) RestrictToTarget(impl);
              for (auto _ : state) run();
              if (is_target) RestrictToTarget("");
            }
            state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traffic));
            state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
          });
    }
  }
}

// --threads: each kernel on 1 to max_threads threads of a ThreadPool
// (columns "<t>thr"), beside a memcpy of the same bytes on max_threads
// threads (column "memcpy"): where the memory bus stops the scaling.
void RegisterThreadBenchmarks(size_t max_threads) {
  static std::map<size_t, std::unique_ptr<ThreadPool>> pools;
  for (size_t t = 1; t <= max_threads; ++t) {
    pools[t] = std::make_unique<ThreadPool>(t);
  }
  struct Case {
    const char* name;
    size_t n;
    size_t traffic_per_element_x32;  // bytes read + written per 32 elements
    std::function<void(Executor&, const float*, size_t)> run;
  };
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  QuantSpec q8_0;
  q8_0.scheme = Scheme::kSymmetric;
  q8_0.signedness = Signedness::kSigned;
  q8_0.mode = QuantizeMode::kReciprocal;
  const size_t big = size_t{1} << 24;
  const std::vector<Case> cases = {
      {"Quantize/u8", big, 32 * 5,
       [p](Executor& e, const float* x, size_t n) {
         Quantize(e, x, n, p, static_cast<uint8_t*>(Output(n, 1)));
       }},
      {"Dequantize/u8", big, 32 * 5,
       [p](Executor& e, const float* x, size_t n) {
         (void)x;
         Dequantize(e, static_cast<const uint8_t*>(Output(n, 1)), n, p,
                    static_cast<float*>(Output(4 * n, 2)));
       }},
      {"MinMax/f32", big, 32 * 4,
       [](Executor& e, const float* x, size_t n) {
         benchmark::DoNotOptimize(MinMax(e, x, n));
       }},
      {"QuantizeDynamic/q8_0/group32", big, 32 * 5 + 2,
       [q8_0](Executor& e, const float* x, size_t n) {
         const Layout l = Layout::PerGroup(1, n, 32);
         QuantizeDynamic(e, x, l, q8_0,
                         {nullptr, static_cast<hwy::float16_t*>(Output(n / 16, 3)),
                          nullptr},
                         static_cast<int8_t*>(Output(n, 1)));
       }},
      {"PercentileRange/99.99", big, 32 * 4,
       [](Executor& e, const float* x, size_t n) {
         benchmark::DoNotOptimize(PercentileRange(e, x, n, 0.01, 99.99));
       }},
      {"CalibrateMse/u8", big, 32 * 4,
       [](Executor& e, const float* x, size_t n) {
         benchmark::DoNotOptimize(CalibrateMse(e, x, n, QuantSpec()));
       }},
      {"GGUF/Q4_K/Encode", size_t{1} << 20, 32 * 4 + 18,
       [](Executor& e, const float* x, size_t n) {
         gguf::Encode(e, gguf::BlockType::kQ4_K, x, n, Output(n, 1));
       }},
  };
  for (const Case& c : cases) {
    const size_t traffic = c.n / 32 * c.traffic_per_element_x32;
    const auto set_counters = [traffic, n = c.n](benchmark::State& st) {
      st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * traffic));
      st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * n));
    };
    for (size_t t = 1; t <= max_threads; ++t) {
      const std::string name = std::string("Threads/") + c.name + "/" +
                               std::to_string(t) + "thr/n:" + std::to_string(c.n);
      benchmark::RegisterBenchmark(name.c_str(), [c, t, set_counters](benchmark::State& st) {
        const float* x = Input(c.n);
        for (auto _ : st) {
          c.run(*pools[t], x, c.n);
          benchmark::ClobberMemory();
        }
        set_counters(st);
      })->Unit(benchmark::kMicrosecond)->UseRealTime();
    }
    // The same bytes copied by max_threads threads, half read, half written.
    const std::string name = std::string("Threads/") + c.name + "/memcpy/n:" +
                             std::to_string(c.n);
    benchmark::RegisterBenchmark(name.c_str(), [c, traffic, max_threads, set_counters](
                                                   benchmark::State& st) {
      struct Copy {
        const char* from;
        char* to;
        size_t bytes, pieces;
      } copy{reinterpret_cast<const char*>(Input(c.n)),
             static_cast<char*>(Output(traffic / 2, 9)), traffic / 2, max_threads};
      for (auto _ : st) {
        pools[max_threads]->Run(max_threads, [](void* context, size_t i) {
          const Copy& k = *static_cast<const Copy*>(context);
          const size_t per = (k.bytes / k.pieces + 63) / 64 * 64;
          const size_t begin = std::min(k.bytes, i * per);
          memcpy(k.to + begin, k.from + begin, std::min(per, k.bytes - begin));
        }, &copy);
        benchmark::ClobberMemory();
      }
      set_counters(st);
    })->Unit(benchmark::kMicrosecond)->UseRealTime();
  }
}

}  // namespace
}  // namespace bench
}  // namespace simdquant

int main(int argc, char** argv) {
  using namespace simdquant;
  using namespace simdquant::bench;
  bool full = false, threads = false, filtered = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--full") == 0) {
      full = true;
    } else if (strcmp(argv[i], "--threads") == 0) {
      threads = true;
    } else {
      filtered |= strncmp(argv[i], "--benchmark_filter", 18) == 0;
      args.push_back(argv[i]);
    }
  }
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  if (threads) {  // the scaling table alone
    const size_t max_threads =
        std::max<size_t>(1, std::thread::hardware_concurrency());
    RegisterThreadBenchmarks(max_threads);
    std::vector<std::string> columns;
    for (size_t t = 1; t <= max_threads; ++t) {
      columns.push_back(std::to_string(t) + "thr");
    }
    columns.push_back("memcpy");
    TableReporter table(columns, columns[max_threads - 1], "1thr");
    benchmark::RunSpecifiedBenchmarks(&table);
    benchmark::Shutdown();
    return 0;
  }

  if (!BaselinesAgree()) {
    fprintf(stderr, "A baseline disagrees with the reference; not measuring.\n");
    return 1;
  }

  const std::vector<Target> targets = AvailableTargets();
  std::vector<std::string> columns;
  for (const Target& t : targets) columns.push_back(t.name);
  for (const char* c : {"reference", "plain", "eigen", "xnnpack", "ggml", "ort",
                        "ggml_ref", "memcpy", "simdquant", "nth_element",
                        "sort"}) {
    columns.push_back(c);
  }

  const std::vector<size_t> sizes = {size_t{1} << 12, size_t{1} << 16,
                                     size_t{1} << 20, size_t{1} << 24};
  for (const Shape& s : Shapes(full)) {
    for (size_t n : sizes) {
      if (s.data != Data::kNormal && n != size_t{1} << 16) continue;
      Impls impls = TargetImpls(targets);
      impls.push_back({"reference", false});
      impls.push_back({"plain", false});
      if (s.kernel == Kernel::kMinMax) impls.push_back({"eigen", false});
      if (HasXnnpackPeer(s)) impls.push_back({"xnnpack", false});
      impls.push_back({"memcpy", false});
      RegisterImpls(GroupName(s), n, impls,
                    [s](benchmark::State& st, const std::string& impl,
                        size_t size, bool is_target) {
                      Measure(st, s, impl, size, is_target);
                    });
    }
  }

  {
    QuantParams p = ChooseAsymmetricParams(-1.0f, 1.0f, 8);
    ReportXnnpackContract<uint8_t>(p, "f32->qu8");
    p = ChooseSymmetricParams(-1.0f, 1.0f, 8);
    ReportXnnpackContract<int8_t>(p, "f32->qs8");
  }
  ReportEigenContract();
  RegisterQ8_0Benchmarks(targets);
  RegisterGgufBenchmarks(targets);
  RegisterFloatCodeBenchmarks(targets);
  RegisterPercentileBenchmarks();
  RegisterLayoutBenchmarks(full, targets);

  if (full || filtered) {
    TableReporter table(columns, targets.front().name);
    benchmark::RunSpecifiedBenchmarks(&table);
  } else {
    // The default run: a row per kernel and format at 64K (8-bit and 4-bit
    // codes, the common layouts, every GGUF / FP8 / FP6 / FP4 / MX format),
    // targets and peers only. Other bit widths, layouts, data, sizes, the
    // reference and memcpy: --full.
    std::vector<std::string> target_names;
    std::string impls = "simdquant|" + PeerNames("|");
    for (const Target& t : targets) {
      target_names.push_back(t.name);
      impls += "|" + t.name;
    }
    const std::string rows =
        "MinMax/f32|AbsMax/f32|PercentileRange/f32/p:99.99/normal|"
        "MeasureError/f32/bits:8/divide|Quantize/u8/bits:(8|4)/divide|"
        "Quantize/(u8|i8)/bits:8/reciprocal|Quantize/u16/bits:16/divide|"
        "Dequantize/(u8|i8)/bits:8|Dequantize/u16/bits:16|"
        "(Quantize|Dequantize)/packed/group32/bits:4|"
        "(Quantize|Dequantize)/u8/(row|column)/bits:8|"
        "QuantizeDynamic/packed/group32/bits:4|QuantizeDynamic/u8/row/bits:8|"
        "Q8_0/(QuantizeDynamic|Dequantize)/group32|GGUF/[^/]+/(Encode|Decode)|"
        "GGUF/Q4_K/EncodeImatrix|(Float|MX)/[^/]+/(Encode|Decode)|"
        "NVFP4/(Encode|Decode)";
    TableReporter table = TableReporter::Compact(target_names);
    benchmark::RunSpecifiedBenchmarks(
        &table, "^(" + rows + ")/(" + impls + ")/n:65536$");
  }
  benchmark::Shutdown();
  return 0;
}
