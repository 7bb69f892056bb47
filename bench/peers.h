// The peers a user would pick instead of simdquant, called as users call
// them, for the benchmark's peer columns:
// - XNNPACK (Debian libxnnpack-dev): convert operators f32 -> qs8 / qu8 and
//   qs8 / qu8 -> f32, created and set up once per buffer pair, run on the
//   calling thread (no pthreadpool).
// - ggml as the npm package @node-llama-cpp/linux-x64 ships it (bench/run.sh
//   fetches it): loaded with dlopen from $SIMDQUANT_GGML_DIR; the CPU library
//   variant with the highest ggml_backend_score on this CPU provides the
//   vectorized quantize_row_q8_0, libggml-base.so the rest.
#ifndef SIMDQUANT_BENCH_PEERS_H_
#define SIMDQUANT_BENCH_PEERS_H_

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "simdquant/simdquant.h"

namespace simdquant {
namespace peers {

// XNNPACK's convert operators: q = x * (1 / scale) rounded, clamped to the
// 8-bit range, + zero point; x = (q - zero point) * scale. Returns false
// (and the caller drops the column) if XNNPACK refuses the parameters.
bool XnnpackQuantize(const float* x, size_t n, const QuantParams& p,
                     int8_t* q);
bool XnnpackQuantize(const float* x, size_t n, const QuantParams& p,
                     uint8_t* q);
bool XnnpackDequantize(const int8_t* q, size_t n, const QuantParams& p,
                       float* x);
bool XnnpackDequantize(const uint8_t* q, size_t n, const QuantParams& p,
                       float* x);

// ggml's Q8_0: blocks of 32 int8 codes with one float16 scale (34 bytes).
struct Ggml {
  void (*quantize_row_q8_0)(const float* x, void* y, int64_t k);  // SIMD
  void (*quantize_row_q8_0_ref)(const float* x, void* y, int64_t k);
  void (*dequantize_row_q8_0)(const void* y, float* x, int64_t k);
  std::string cpu_variant;  // e.g. "zen4": the libggml-cpu-*.so used
  // The GGUF formats of gguf.h, indexed by gguf::BlockType: the CPU
  // library's quantize_row_<t> (vectorized for Q8_0; the others call the
  // reference), libggml-base's quantize_row_<t>_ref (what
  // ggml_quantize_chunk and llama-quantize run) and dequantize_row_<t>.
  static constexpr int kGgufTypes = 11;
  void (*quantize_row[kGgufTypes])(const float* x, void* y, int64_t k);
  void (*quantize_row_ref[kGgufTypes])(const float* x, void* y, int64_t k);
  void (*dequantize_row[kGgufTypes])(const void* y, float* x, int64_t k);
  // libggml-base's ggml_quantize_chunk (type as ggml_type): with imatrix,
  // llama-quantize's --imatrix path.
  size_t (*quantize_chunk)(int type, const float* src, void* dst, int64_t start,
                           int64_t nrows, int64_t n_per_row,
                           const float* imatrix);
};
constexpr size_t kQ8_0BlockBytes = 34;

// nullptr (with the reason on stderr, once) if ggml is not there.
const Ggml* LoadGgml();

}  // namespace peers
}  // namespace simdquant

#endif  // SIMDQUANT_BENCH_PEERS_H_
