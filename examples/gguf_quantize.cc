// gguf_quantize IN.gguf OUT.gguf --type Q4_K [--imatrix imatrix.gguf]
//               [--threads N]:
// quantizes a GGUF model's 2-D float tensors to one of gguf.h's block
// formats (byte-identical to ggml_quantize_chunk, with the importance
// weights of llama-imatrix's file if given) and copies the rest; the file
// format is our own code (examples/gguf_file.cc). Each tensor is encoded on
// N threads (default: every core; the bytes do not depend on N). Progress
// on stderr when it is a terminal; throughput at the end.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "examples/gguf_file.h"
#include "simdquant/gguf.h"
#include "simdquant/parallel.h"

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
          "usage: gguf_quantize IN.gguf OUT.gguf --type TYPE [--imatrix FILE] "
          "[--threads N]\n"
          "TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K MXFP4\n"
          "FILE: llama-imatrix's output (GGUF format)\n"
          "N: threads, 1 to %zu (default: the number of cores)\n",
          simdquant::ThreadPool::kMaxThreads);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const char* type_name = nullptr;
  const char* imatrix_path = nullptr;
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 3; i < argc; i += 2) {  // options, each with a value
    if (i + 1 == argc) return Usage();
    const char* value = argv[i + 1];
    if (strcmp(argv[i], "--type") == 0) {
      type_name = value;
    } else if (strcmp(argv[i], "--imatrix") == 0) {
      imatrix_path = value;
    } else if (strcmp(argv[i], "--threads") == 0) {
      char* end = nullptr;
      const unsigned long n = strtoul(value, &end, 10);
      if (*value < '0' || *value > '9' || *end != '\0' || n < 1 ||
          n > simdquant::ThreadPool::kMaxThreads) {
        return Usage();
      }
      threads = n;
    } else {
      return Usage();
    }
  }
  BlockType type;
  if (type_name == nullptr || !ParseType(type_name, &type)) return Usage();
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  try {
    simdquant::gguf_file::Imatrix imatrix;
    if (imatrix_path != nullptr) {
      imatrix = simdquant::gguf_file::ReadImatrix(imatrix_path);
    }
    // One thread: no pool, the calling thread encodes.
    std::unique_ptr<simdquant::ThreadPool> pool;
    if (threads > 1) pool = std::make_unique<simdquant::ThreadPool>(threads);
    const auto stats = simdquant::gguf_file::QuantizeFile(
        argv[1], argv[2], type, imatrix_path != nullptr ? &imatrix : nullptr,
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
        },
        pool.get());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fprintf(stderr, "%s%zu tensors quantized to %s (%zu with importance "
            "weights) on %zu threads; %.1f MB of tensor data in %.2f s "
            "(%.1f MB/s, reading and writing included)\n",
            terminal ? "\n" : "", stats.quantized,
            simdquant::gguf::BlockTypeName(type), stats.with_importance, threads,
            static_cast<double>(bytes) / 1e6, seconds,
            static_cast<double>(bytes) / 1e6 / seconds);
  } catch (const std::exception& e) {
    fprintf(stderr, "%sgguf_quantize: %s\n", terminal ? "\n" : "", e.what());
    return 1;
  }
  return 0;
}
