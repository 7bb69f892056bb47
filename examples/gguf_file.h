// GGUF files (llama.cpp's model format, version 3), read and written by
// our own code, and the quantizer of examples/gguf_quantize.cc.
//
// Layout (little-endian): "GGUF", version u32, tensor count u64, key-value
// count u64; the key-value pairs (key: u64 length + bytes; value type u32;
// value); the tensor infos (name; dimension count u32; dims u64, the row
// length first; ggml type u32; data offset u64, relative to the data
// section); zero padding to the alignment (general.alignment, default 32);
// the data section, each tensor at an aligned offset.
#ifndef SIMDQUANT_EXAMPLES_GGUF_FILE_H_
#define SIMDQUANT_EXAMPLES_GGUF_FILE_H_

#include <stdint.h>
#include <stdio.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "simdquant/gguf.h"
#include "simdquant/parallel.h"

namespace simdquant {
namespace gguf_file {

// ggml_type values of the unquantized formats.
constexpr uint32_t kF32 = 0, kF16 = 1, kBF16 = 30;

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // dims[0]: values per row
  uint32_t type = kF32;        // ggml_type
  uint64_t offset = 0;         // in the data section
};

struct Header {
  // Each key-value pair's bytes (key, type, value) as read: copied as is.
  std::vector<std::string> key_values;
  uint64_t alignment = 32;
  std::vector<TensorInfo> tensors;
  uint64_t data_start = 0;  // file offset of the data section (when read)
};

// Bytes of a tensor of ggml type `type` (std::runtime_error for types this
// file does not know, or dims whose row is not a whole number of blocks).
uint64_t TensorBytes(uint32_t type, const std::vector<uint64_t>& dims);

// Reads a version 2 or 3 header (std::runtime_error naming what is wrong).
Header ReadHeader(FILE* file);

// Writes `header` as version 3, the tensors' offsets recomputed from their
// types and dims (each tensor padded to the alignment), then the padding
// before the data section.
void WriteHeader(FILE* file, Header& header);

// llama.cpp's importance matrix, as llama-imatrix writes it (a GGUF file
// with tensors "<weight>.in_sum2", F32 [columns, matrices], and
// "<weight>.counts", F32 [1, matrices]): for each 2-D weight tensor (one
// matrix), the weight of each column, in_sum2 / count as llama-quantize
// computes it (1 where count is 0). Entries of several matrices (stacked
// experts) are skipped: QuantizeFile does not quantize 3-D tensors.
using Imatrix = std::map<std::string, std::vector<float>>;
Imatrix ReadImatrix(const std::string& path);

struct QuantizeStats {
  size_t quantized = 0;        // tensors encoded
  size_t with_importance = 0;  // of those, with importance weights
};

// Reads input.gguf, writes output.gguf with every 2-D float32, float16 or
// bfloat16 tensor whose row length is a multiple of BlockSize(type)
// encoded as `type` with gguf::EncodeRows: with the tensor's importance
// weights if `imatrix` has them (and they are not all zero), else without.
// The other tensors and the key-value pairs are copied.
// progress(done, total, name) after each tensor (bytes of input data).
// Each tensor's rows are encoded on `executor` if given (parallel.h: the
// same bytes for any thread count), else on the calling thread.
QuantizeStats QuantizeFile(
    const std::string& input, const std::string& output, gguf::BlockType type,
    const Imatrix* imatrix,
    const std::function<void(uint64_t, uint64_t, const std::string&)>& progress,
    Executor* executor = nullptr);

}  // namespace gguf_file
}  // namespace simdquant

#endif  // SIMDQUANT_EXAMPLES_GGUF_FILE_H_
