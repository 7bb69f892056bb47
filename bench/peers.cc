#include "bench/peers.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include <map>
#include <tuple>

namespace simdquant {
namespace peers {
namespace {

bool XnnpackReady() {
  static const bool ready = xnn_initialize(nullptr) == xnn_status_success;
  return ready;
}

enum class Op { kF32ToQs8, kF32ToQu8, kQs8ToF32, kQu8ToF32 };

// One operator per (kind, length, parameters, buffers), created and set up
// the first time and then only run: what a framework does per tensor.
xnn_operator_t CachedOperator(Op op, size_t n, const QuantParams& p,
                              const void* in, void* out) {
  using Key = std::tuple<Op, size_t, float, int32_t, int, const void*, void*>;
  static std::map<Key, xnn_operator_t> cache;
  const Key key{op, n, p.scale, p.zero_point, p.bits, in, out};
  const auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (!XnnpackReady()) return nullptr;
  const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
  xnn_operator_t o = nullptr;
  xnn_status s = xnn_status_invalid_parameter;
  switch (op) {
    case Op::kF32ToQs8:
      s = xnn_create_convert_nc_f32_qs8(
          n, n, n, p.scale, static_cast<int8_t>(p.zero_point),
          static_cast<int8_t>(r.min), static_cast<int8_t>(r.max), 0, &o);
      if (s == xnn_status_success) {
        s = xnn_setup_convert_nc_f32_qs8(o, 1, static_cast<const float*>(in),
                                         static_cast<int8_t*>(out), nullptr);
      }
      break;
    case Op::kF32ToQu8:
      s = xnn_create_convert_nc_f32_qu8(
          n, n, n, p.scale, static_cast<uint8_t>(p.zero_point),
          static_cast<uint8_t>(r.min), static_cast<uint8_t>(r.max), 0, &o);
      if (s == xnn_status_success) {
        s = xnn_setup_convert_nc_f32_qu8(o, 1, static_cast<const float*>(in),
                                         static_cast<uint8_t*>(out), nullptr);
      }
      break;
    case Op::kQs8ToF32:
      s = xnn_create_convert_nc_qs8_f32(
          n, n, n, p.scale, static_cast<int8_t>(p.zero_point), 0, &o);
      if (s == xnn_status_success) {
        s = xnn_setup_convert_nc_qs8_f32(o, 1, static_cast<const int8_t*>(in),
                                         static_cast<float*>(out), nullptr);
      }
      break;
    case Op::kQu8ToF32:
      s = xnn_create_convert_nc_qu8_f32(
          n, n, n, p.scale, static_cast<uint8_t>(p.zero_point), 0, &o);
      if (s == xnn_status_success) {
        s = xnn_setup_convert_nc_qu8_f32(o, 1,
                                         static_cast<const uint8_t*>(in),
                                         static_cast<float*>(out), nullptr);
      }
      break;
  }
  if (s != xnn_status_success) {
    if (o != nullptr) xnn_delete_operator(o);
    o = nullptr;
  }
  cache[key] = o;
  return o;
}

bool Run(Op op, size_t n, const QuantParams& p, const void* in, void* out) {
  xnn_operator_t o = CachedOperator(op, n, p, in, out);
  return o != nullptr && xnn_run_operator(o, nullptr) == xnn_status_success;
}

}  // namespace

bool XnnpackQuantize(const float* x, size_t n, const QuantParams& p,
                     int8_t* q) {
  return Run(Op::kF32ToQs8, n, p, x, q);
}
bool XnnpackQuantize(const float* x, size_t n, const QuantParams& p,
                     uint8_t* q) {
  return Run(Op::kF32ToQu8, n, p, x, q);
}
bool XnnpackDequantize(const int8_t* q, size_t n, const QuantParams& p,
                       float* x) {
  return Run(Op::kQs8ToF32, n, p, q, x);
}
bool XnnpackDequantize(const uint8_t* q, size_t n, const QuantParams& p,
                       float* x) {
  return Run(Op::kQu8ToF32, n, p, q, x);
}

namespace {

template <typename F>
bool Symbol(void* lib, const char* name, F* f) {
  *f = reinterpret_cast<F>(dlsym(lib, name));
  return *f != nullptr;
}

Ggml* Load() {
  const char* dir = getenv("SIMDQUANT_GGML_DIR");
  if (dir == nullptr || *dir == '\0') {
    fprintf(stderr, "ggml: SIMDQUANT_GGML_DIR is not set (bench/run.sh sets "
                    "it); no ggml columns.\n");
    return nullptr;
  }
  const std::string base_path = std::string(dir) + "/libggml-base.so";
  void* base = dlopen(base_path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (base == nullptr) {
    fprintf(stderr, "ggml: %s; no ggml columns.\n", dlerror());
    return nullptr;
  }
  static Ggml g;
  if (!Symbol(base, "quantize_row_q8_0_ref", &g.quantize_row_q8_0_ref) ||
      !Symbol(base, "dequantize_row_q8_0", &g.dequantize_row_q8_0) ||
      !Symbol(base, "ggml_quantize_chunk", &g.quantize_chunk)) {
    fprintf(stderr, "ggml: libggml-base.so lacks the Q8_0 functions or ggml_quantize_chunk.\n");
    return nullptr;
  }
  // The CPU variant ggml itself would pick: the highest backend score.
  int best_score = 0;
  void* best = nullptr;
  for (const char* variant :
       {"sapphirerapids", "zen4", "icelake", "cooperlake", "cascadelake",
        "cannonlake", "skylakex", "alderlake", "haswell", "piledriver",
        "sandybridge", "ivybridge", "sse42", "x64"}) {
    const std::string path =
        std::string(dir) + "/libggml-cpu-" + variant + ".so";
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) continue;
    int (*score)() = nullptr;
    const int s = Symbol(lib, "ggml_backend_score", &score) ? score() : 0;
    if (s > best_score) {
      best_score = s;
      best = lib;
      g.cpu_variant = variant;
    }
  }
  if (best == nullptr ||
      !Symbol(best, "quantize_row_q8_0", &g.quantize_row_q8_0)) {
    fprintf(stderr, "ggml: no libggml-cpu-*.so in %s runs on this CPU.\n",
            dir);
    return nullptr;
  }
  const char* gguf_types[Ggml::kGgufTypes] = {
      "q4_0", "q4_1", "q5_0", "q5_1", "q8_0",
      "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "mxfp4"};
  for (int t = 0; t < Ggml::kGgufTypes; ++t) {
    const std::string name = gguf_types[t];
    if (!Symbol(best, ("quantize_row_" + name).c_str(), &g.quantize_row[t]) ||
        !Symbol(base, ("quantize_row_" + name + "_ref").c_str(),
                &g.quantize_row_ref[t]) ||
        !Symbol(base, ("dequantize_row_" + name).c_str(),
                &g.dequantize_row[t])) {
      fprintf(stderr, "ggml: %s functions missing.\n", name.c_str());
      return nullptr;
    }
  }
  void (*cpu_init)() = nullptr;
  if (Symbol(best, "ggml_cpu_init", &cpu_init)) cpu_init();
  return &g;
}

}  // namespace

const Ggml* LoadGgml() {
  static const Ggml* g = Load();
  return g;
}

}  // namespace peers
}  // namespace simdquant
