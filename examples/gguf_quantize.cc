// gguf_quantize IN.gguf OUT.gguf --type Q4_K [--imatrix imatrix.gguf]:
// quantizes a GGUF model's 2-D float tensors to one of gguf.h's block
// formats (byte-identical to ggml_quantize_chunk, with the importance
// weights of llama-imatrix's file if given) and copies the rest; the file
// format is our own code (examples/gguf_file.cc). Progress on stderr when
// it is a terminal; throughput at the end.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <string>

#include "examples/gguf_file.h"
#include "simdquant/gguf.h"

namespace {

using simdquant::gguf::BlockType;

bool ParseType(const char* name, BlockType* type) {
  for (int t = 0; t <= static_cast<int>(simdquant::gguf::kLastBlockType); ++t) {
    if (strcasecmp(name, simdquant::gguf::BlockTypeName(static_cast<BlockType>(t))) == 0) {
      *type = static_cast<BlockType>(t);
      return true;
    }
  }
  return false;
}

int Usage() {
  fprintf(stderr,
          "usage: gguf_quantize IN.gguf OUT.gguf --type TYPE [--imatrix FILE]\n"
          "TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K MXFP4\n"
          "FILE: llama-imatrix's output (GGUF format)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc != 5 && argc != 7) || strcmp(argv[3], "--type") != 0) return Usage();
  if (argc == 7 && strcmp(argv[5], "--imatrix") != 0) return Usage();
  BlockType type;
  if (!ParseType(argv[4], &type)) return Usage();
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  try {
    simdquant::gguf_file::Imatrix imatrix;
    if (argc == 7) imatrix = simdquant::gguf_file::ReadImatrix(argv[6]);
    const auto stats = simdquant::gguf_file::QuantizeFile(
        argv[1], argv[2], type, argc == 7 ? &imatrix : nullptr,
        [&](uint64_t done, uint64_t total, const std::string& name) {
          bytes = total;
          if (!terminal) return;
          const int width = 40;
          const int filled = total == 0 ? width : static_cast<int>(width * done / total);
          fprintf(stderr, "\r[%.*s%*s] %3d%% %-40.40s", filled,
                  "########################################", width - filled, "",
                  total == 0 ? 100 : static_cast<int>(100 * done / total),
                  name.c_str());
          fflush(stderr);
        });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fprintf(stderr, "%s%zu tensors quantized to %s (%zu with importance "
            "weights); %.1f MB of tensor data in %.2f s (%.1f MB/s, reading "
            "and writing included)\n",
            terminal ? "\n" : "", stats.quantized,
            simdquant::gguf::BlockTypeName(type), stats.with_importance,
            static_cast<double>(bytes) / 1e6, seconds,
            static_cast<double>(bytes) / 1e6 / seconds);
  } catch (const std::exception& e) {
    fprintf(stderr, "%sgguf_quantize: %s\n", terminal ? "\n" : "", e.what());
    return 1;
  }
  return 0;
}
