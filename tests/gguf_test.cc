// GGUF blocks (gguf.h): every target against the reference on data that
// reaches every rule of ggml's encoders (ties between +a and -a, signed
// zeros, rounding ties, tiny blocks whose 1 / d overflows, huge ranges), and
// the reference against ggml itself (libggml-base.so from the npm package
// @node-llama-cpp/linux-x64, found through SIMDQUANT_GGML_DIR; tests/run.sh
// fetches it and sets SIMDQUANT_REQUIRE_GGML so that CI cannot skip it).
#include <dlfcn.h>  // dlsym
#include <float.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/gguf.h"
#include "simdquant/reference.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

using gguf::BlockType;

const BlockType kTypes[] = {BlockType::kQ4_0, BlockType::kQ4_1,
                            BlockType::kQ5_0, BlockType::kQ5_1,
                            BlockType::kQ8_0, BlockType::kQ2_K,
                            BlockType::kQ3_K, BlockType::kQ4_K,
                            BlockType::kQ5_K, BlockType::kQ6_K,
                            BlockType::kMXFP4};
constexpr int kNumTypes = sizeof(kTypes) / sizeof(kTypes[0]);

// Blocks of 32 that exercise the encoders' special cases, each block of one
// kind, in an order that varies with the seed; runs of `run` blocks share a
// kind (run 8: whole K-quant super-blocks of one kind; run 1: super-blocks
// mixing kinds, such as one tiny sub-block whose scale rounds to 0).
std::vector<float> HardBlocks(size_t blocks, uint32_t seed, size_t run = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(-40, 40);
  std::exponential_distribution<float> exponential(1.0f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(blocks * 32);
  for (size_t b = 0; b < blocks; ++b) {
    float* v = x.data() + 32 * b;
    const int kind = static_cast<int>((b / run * 7 + seed) % 15);
    for (int j = 0; j < 32; ++j) v[j] = normal(rng);
    switch (kind) {
      case 0:  // +a and -a of the largest magnitude, either first
        v[rng() % 16] = 3.0f;
        v[16 + rng() % 16] = -3.0f;
        if (rng() % 2) std::swap(v[3], v[20]);
        break;
      case 1:  // signed zeros only
        for (int j = 0; j < 32; ++j) v[j] = (rng() % 2) ? 0.0f : -0.0f;
        break;
      case 2:  // non-negative with zeros (minimum 0: first zero's sign)
        for (int j = 0; j < 32; ++j) {
          v[j] = (rng() % 3) ? std::fabs(v[j]) : ((rng() % 2) ? 0.0f : -0.0f);
        }
        break;
      case 3:  // non-positive with zeros (maximum 0)
        for (int j = 0; j < 32; ++j) {
          v[j] = (rng() % 3) ? -std::fabs(v[j]) : ((rng() % 2) ? -0.0f : 0.0f);
        }
        break;
      case 4:  // small integers: codes at rounding ties
        for (int j = 0; j < 32; ++j) v[j] = static_cast<float>(small(rng)) * 0.5f;
        break;
      case 5:  // tiny block: 1 / d overflows, or d is subnormal
        for (int j = 0; j < 32; ++j) {
          v[j] *= std::ldexp(1.0f, -125 - static_cast<int>(rng() % 24));
        }
        v[rng() % 32] = 0.0f;
        break;
      case 6:  // huge: d overflows float16, max - min overflows float32
        for (int j = 0; j < 32; ++j) v[j] *= 1e37f;
        v[0] = FLT_MAX;
        v[1] = -FLT_MAX;
        break;
      case 7:  // a constant block
        for (int j = 0; j < 32; ++j) v[j] = -1.25f;
        break;
      case 8:  // subnormals among normals
        for (int j = 0; j < 32; j += 3) v[j] = std::ldexp(v[j], -130);
        break;
      case 9:  // one outlier
        v[rng() % 32] *= 1000.0f;
        break;
      case 10: {  // Q8_0 with d = 1: values at and next to roundf's ties
        const float edges[] = {0.5f, 0.5f - 0x1p-25f, 0.5f + 0x1p-24f,
                               1.5f, 2.5f, 126.5f, 0.25f, 3.5f - 0x1p-22f};
        v[0] = 127.0f;
        for (int j = 1; j < 32; ++j) {
          v[j] = edges[j % 8] * ((j / 8) % 2 ? -1.0f : 1.0f);
        }
        break;
      }
      case 11:  // Laplace (heavy tails, as real weights)
        for (int j = 0; j < 32; ++j) {
          v[j] = (rng() % 2 ? 1.0f : -1.0f) * exponential(rng);
        }
        break;
      case 12:  // uniform
        for (int j = 0; j < 32; ++j) v[j] = uniform(rng);
        break;
      case 13: {  // searches' products of 0.5 - 2^-25: nearest_int gives 0
        // One value makes a search's first scale exactly 1: the affine
        // searches' first factor (rmin + nmax) as their max, the symmetric
        // ones' -nmax as their largest magnitude.
        const float anchors[] = {-0.5f + 3.0f,  -1.0f + 15.0f, -0.5f + 31.0f,
                                 -0.9f + 3.0f,  -0.9f + 15.0f, -0.9f + 31.0f,
                                 -4.0f,         -8.0f,         -16.0f,
                                 -32.0f};
        for (int j = 0; j < 32; ++j) v[j] = 0.5f - 0x1p-25f;
        v[rng() % 32] = anchors[b % 10];
        break;
      }
      default:  // plain normal data
        break;
    }
  }
  return x;
}

// Importance weights of one row (llama.cpp's imatrix: mean squared
// activations per column), of a kind chosen by the seed: exponential; with
// a quarter zeros (unused columns); spread over 2^-30 to 2^30; all equal.
std::vector<float> Importance(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<float> exponential(1.0f);
  std::vector<float> w(n);
  for (size_t i = 0; i < n; ++i) {
    switch (seed % 4) {
      case 0: w[i] = exponential(rng); break;
      case 1: w[i] = rng() % 4 ? exponential(rng) : 0.0f; break;
      case 2:
        w[i] = std::ldexp(exponential(rng), static_cast<int>(rng() % 61) - 30);
        break;
      default: w[i] = 1.0f;
    }
  }
  w[0] = std::max(w[0], 0.5f);  // not all zero
  return w;
}

// ggml, loaded once from SIMDQUANT_GGML_DIR (nullptr if not found).
struct Ggml {
  using Quantize = void (*)(const float*, void*, int64_t);
  using Dequantize = void (*)(const void*, float*, int64_t);
  // ggml_quantize_chunk(type, src, dst, start, nrows, n_per_row, imatrix)
  using QuantizeChunk = size_t (*)(int, const float*, void*, int64_t, int64_t,
                                   int64_t, const float*);
  Quantize quantize[kNumTypes] = {};
  Dequantize dequantize[kNumTypes] = {};
  QuantizeChunk quantize_chunk = nullptr;
};

const Ggml* LoadGgml() {
  static const Ggml* ggml = []() -> const Ggml* {
    void* lib = GgmlBase();
    if (lib == nullptr) return nullptr;
    static Ggml g;
    const char* names[kNumTypes] = {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0",
                                    "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
                                    "mxfp4"};
    for (int t = 0; t < kNumTypes; ++t) {
      g.quantize[t] = reinterpret_cast<Ggml::Quantize>(
          dlsym(lib, ("quantize_row_" + std::string(names[t]) + "_ref").c_str()));
      g.dequantize[t] = reinterpret_cast<Ggml::Dequantize>(
          dlsym(lib, ("dequantize_row_" + std::string(names[t])).c_str()));
      if (g.quantize[t] == nullptr || g.dequantize[t] == nullptr) return nullptr;
    }
    g.quantize_chunk =
        reinterpret_cast<Ggml::QuantizeChunk>(dlsym(lib, "ggml_quantize_chunk"));
    if (g.quantize_chunk == nullptr) return nullptr;
    return &g;
  }();
  return ggml;
}

std::string Where(BlockType type, size_t byte) {
  return std::string(gguf::BlockTypeName(type)) + " block " +
         std::to_string(byte / gguf::BlockBytes(type)) + " byte " +
         std::to_string(byte % gguf::BlockBytes(type));
}

class GgufTest : public PerTarget {};

// Encode: every block count from 1 to 40 (batch tails on every target) and
// a few larger, three alignments, against the reference byte for byte; the
// input untouched, nothing written outside the blocks.
TEST_P(GgufTest, EncodeMatchesReference) {
  for (BlockType type : kTypes) {
    // Batches hold up to 16 blocks of 32 (lib/gguf.cc) and 64 sub-blocks,
    // 4 or 8 super-blocks of 256 (lib/gguf_k.cc, AVX-512).
    const bool k_quant = gguf::IsKQuant(type);
    std::vector<size_t> counts;
    for (size_t b = 1; b <= (k_quant ? 9 : 40); ++b) counts.push_back(b);
    counts.push_back(k_quant ? 37 : 203);
    for (size_t blocks : counts) {
      for (size_t offset : Offsets()) {
        const size_t n = blocks * gguf::BlockSize(type);
        const std::vector<float> data =
            HardBlocks(n / 32, static_cast<uint32_t>(blocks * 3 + offset),
                       offset % 2 ? 8 : 1);
        Guarded<float> x(n, offset);
        std::copy(data.begin(), data.end(), x.data());
        const size_t bytes = gguf::RowBytes(type, n);
        Guarded<uint8_t> got(bytes, offset);
        got.Poison();
        std::vector<uint8_t> want(bytes);
        gguf::Encode(type, x.data(), n, got.data());
        reference::GgufEncode(type, data.data(), n, want.data());
        ASSERT_TRUE(got.GuardsIntact()) << gguf::BlockTypeName(type) << " n=" << n;
        for (size_t i = 0; i < bytes; ++i) {
          ASSERT_EQ(got[i], want[i]) << Where(type, i) << " n=" << n;
        }
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(BitsOf(x[i]), BitsOf(data[i])) << "input modified at " << i;
        }
      }
    }
  }
}

// Decode: random bytes (every float16 d and m: NaN, Inf, subnormal, and
// every code) against the reference, bit for bit (NaN for NaN).
TEST_P(GgufTest, DecodeMatchesReferenceOnAnyBytes) {
  std::mt19937 rng(7);
  for (BlockType type : kTypes) {
    for (size_t blocks : {size_t{1}, size_t{2}, size_t{17}, size_t{2048}}) {
      for (size_t offset : Offsets()) {
        const size_t n = blocks * gguf::BlockSize(type);
        const size_t bytes = gguf::RowBytes(type, n);
        Guarded<uint8_t> in(bytes, offset);
        for (size_t i = 0; i < bytes; ++i) in[i] = static_cast<uint8_t>(rng());
        const std::vector<uint8_t> original(in.data(), in.data() + bytes);
        Guarded<float> got(n, offset);
        got.Poison();
        std::vector<float> want(n);
        gguf::Decode(type, in.data(), n, got.data());
        reference::GgufDecode(type, original.data(), n, want.data());
        ASSERT_TRUE(got.GuardsIntact());
        // NaN payloads (d and m both NaN) depend on the order in which the
        // compiler puts an addition's operands: not part of the contract.
        for (size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(SameFloat(got[i], want[i]))
              << gguf::BlockTypeName(type) << " element " << i << ": "
              << got[i] << " vs " << want[i];
        }
        for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(in[i], original[i]);
      }
    }
  }
}

// bfloat16 and float16 tensors: encoding equals the reference's (which
// widens them exactly), decoding equals the reference's rounding of the
// float32 values, on every target; also encoding a 16-bit tensor equals
// encoding its float32 widening.
template <typename T>
void CheckSixteenBit(float limit) {
  for (BlockType type : kTypes) {
    for (size_t blocks : {size_t{1}, size_t{5}, size_t{16}, size_t{17},
                          size_t{77}}) {
      const size_t n = blocks * gguf::BlockSize(type);
      const size_t bytes = gguf::RowBytes(type, n);
      const std::vector<float> data =
          HardBlocks(n / 32, static_cast<uint32_t>(5 + blocks));
      std::vector<T> x(n);
      std::vector<float> widened(n);
      for (size_t i = 0; i < n; ++i) {
        x[i] = reference::FromF32<T>(std::max(-limit, std::min(limit, data[i])));
        widened[i] = reference::ToF32(x[i]);
      }
      std::vector<uint8_t> got(bytes), want(bytes), from_f32(bytes);
      gguf::Encode(type, x.data(), n, got.data());
      reference::GgufEncode(type, x.data(), n, want.data());
      gguf::Encode(type, widened.data(), n, from_f32.data());
      for (size_t i = 0; i < bytes; ++i) {
        ASSERT_EQ(got[i], want[i]) << Where(type, i) << " n=" << n;
        ASSERT_EQ(got[i], from_f32[i]) << Where(type, i) << " n=" << n;
      }
      Guarded<T> y(n, 1);
      y.Poison();
      std::vector<T> y_want(n);
      gguf::Decode(type, got.data(), n, y.data());
      reference::GgufDecode(type, got.data(), n, y_want.data());
      ASSERT_TRUE(y.GuardsIntact());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(y[i].bits, y_want[i].bits)
            << gguf::BlockTypeName(type) << " element " << i;
      }
    }
  }
}

TEST_P(GgufTest, SixteenBitTensorsMatchReference) {
  CheckSixteenBit<hwy::bfloat16_t>(3e38f);  // below bfloat16's rounding to Inf
  CheckSixteenBit<hwy::float16_t>(65000.0f);
}

// Importance weights: rows of 1 to 9 blocks (every batch tail of the
// K-quants) and a few longer (70: a whole batch of 64 blocks and a tail),
// 1 to 3 rows, three alignments, every kind of weights; against the
// reference byte for byte, nothing written outside the blocks.
TEST_P(GgufTest, EncodeRowsWithImportanceMatchesReference) {
  for (BlockType type : kTypes) {
    const size_t size = gguf::BlockSize(type);
    for (size_t blocks : {1, 2, 3, 5, 8, 9, 17, 40, 70}) {
      if (gguf::IsKQuant(type) && blocks > 9 && blocks != 17) continue;
      for (size_t rows : {1, 3}) {
        const size_t offset = (blocks + rows) % 3;
        const size_t n_per_row = blocks * size, n = rows * n_per_row;
        const uint32_t seed = static_cast<uint32_t>(blocks * 5 + rows);
        const std::vector<float> data = HardBlocks(n / 32, seed, seed % 2 ? 8 : 1);
        const std::vector<float> importance = Importance(n_per_row, seed);
        Guarded<float> x(n, offset);
        std::copy(data.begin(), data.end(), x.data());
        const size_t bytes = rows * gguf::RowBytes(type, n_per_row);
        Guarded<uint8_t> got(bytes, offset);
        got.Poison();
        std::vector<uint8_t> want(bytes);
        gguf::EncodeRows(type, x.data(), rows, n_per_row, importance.data(),
                         got.data());
        reference::GgufEncodeRows(type, data.data(), rows, n_per_row,
                                  importance.data(), want.data());
        ASSERT_TRUE(got.GuardsIntact()) << gguf::BlockTypeName(type);
        for (size_t i = 0; i < bytes; ++i) {
          ASSERT_EQ(got[i], want[i])
              << Where(type, i) << " rows=" << rows << " n_per_row=" << n_per_row
              << " weights kind " << seed % 4;
        }
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(BitsOf(x[i]), BitsOf(data[i]));
      }
    }
  }
}

// 16-bit rows with importance weights equal their float32 widening.
TEST_P(GgufTest, EncodeRowsOfSixteenBitsMatchesFloat32) {
  for (BlockType type : kTypes) {
    const size_t n_per_row = 2 * gguf::BlockSize(type), rows = 2;
    const std::vector<float> data = HardBlocks(rows * n_per_row / 32, 3);
    const std::vector<float> importance = Importance(n_per_row, 4);
    std::vector<hwy::float16_t> x(rows * n_per_row);
    std::vector<float> widened(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = reference::FromF32<hwy::float16_t>(
          std::max(-65000.0f, std::min(65000.0f, data[i])));
      widened[i] = reference::ToF32(x[i]);
    }
    const size_t bytes = rows * gguf::RowBytes(type, n_per_row);
    std::vector<uint8_t> got(bytes), want(bytes);
    gguf::EncodeRows(type, x.data(), rows, n_per_row, importance.data(), got.data());
    gguf::EncodeRows(type, widened.data(), rows, n_per_row, importance.data(),
                     want.data());
    for (size_t i = 0; i < bytes; ++i) ASSERT_EQ(got[i], want[i]) << Where(type, i);
  }
}

// NaN and infinities are found wherever they are: every position of the
// first two batches (each target reduces a batch of blocks in its own
// order), among ordinary and tiny blocks, with both signs of NaN.
TEST_P(GgufTest, NonFiniteInputIsRejectedAtEveryPosition) {
  const float kBad[] = {NAN, -NAN, INFINITY, -INFINITY};
  for (BlockType type : kTypes) {
    const size_t n = 2 * (gguf::IsKQuant(type) ? 512 : 16 * 32);
    const std::vector<float> data = HardBlocks(n / 32, 11);
    std::vector<uint8_t> blocks(gguf::RowBytes(type, n));
    // K-quants search slowly: every 7th position there.
    const size_t step = gguf::IsKQuant(type) ? 7 : 1;
    for (size_t i = 0; i < n; i += step) {
      for (float bad : kBad) {
        std::vector<float> x = data;
        x[i] = bad;
        const std::string want = "x[" + std::to_string(i) + "] = ";
        try {
          gguf::Encode(type, x.data(), n, blocks.data());
          FAIL() << gguf::BlockTypeName(type) << ": no error for " << want << bad;
        } catch (const std::invalid_argument& e) {
          ASSERT_NE(std::string(e.what()).find(want), std::string::npos)
              << gguf::BlockTypeName(type) << ": " << e.what();
        }
      }
    }
  }
}

SIMDQUANT_INSTANTIATE_PER_TARGET(GgufTest);

// The reference against ggml: the encoders on the hard blocks, the decoders
// on random bytes.
TEST(GgufGgmlTest, ReferenceIsByteIdenticalToGgml) {
  const Ggml* ggml = LoadGgml();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  std::mt19937 rng(11);
  for (int t = 0; t < kNumTypes; ++t) {
    const BlockType type = kTypes[t];
    for (uint32_t seed = 0; seed < 40; ++seed) {
      const size_t blocks = 1 + seed * 7;
      const size_t n = blocks * gguf::BlockSize(type);
      const size_t bytes = gguf::RowBytes(type, n);
      const std::vector<float> x = HardBlocks(n / 32, seed, seed % 2 ? 8 : 1);
      std::vector<uint8_t> got(bytes), want(bytes);
      reference::GgufEncode(type, x.data(), n, got.data());
      ggml->quantize[t](x.data(), want.data(), static_cast<int64_t>(n));
      for (size_t i = 0; i < bytes; ++i) {
        ASSERT_EQ(got[i], want[i]) << Where(type, i) << " seed " << seed;
      }
      std::vector<uint8_t> random(bytes);
      for (uint8_t& b : random) b = static_cast<uint8_t>(rng());
      std::vector<float> decoded(n), ggml_decoded(n);
      reference::GgufDecode(type, random.data(), n, decoded.data());
      ggml->dequantize[t](random.data(), ggml_decoded.data(),
                          static_cast<int64_t>(n));
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(SameFloat(decoded[i], ggml_decoded[i]))
            << gguf::BlockTypeName(type) << " element " << i << ": "
            << decoded[i] << " vs ggml " << ggml_decoded[i];
      }
    }
  }
}

// The reference with importance weights against ggml_quantize_chunk: 1 to
// 3 rows (the legacy formats' sigma2 is the row's), every kind of weights;
// and without weights, ggml_quantize_chunk equals Encode.
TEST(GgufGgmlTest, ImportanceWeightsAreByteIdenticalToGgml) {
  const Ggml* ggml = LoadGgml();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  for (BlockType type : kTypes) {
    for (uint32_t seed = 0; seed < 24; ++seed) {
      const size_t rows = 1 + seed % 3;
      const size_t n_per_row = (1 + seed * 5 % 23) * gguf::BlockSize(type);
      const size_t n = rows * n_per_row;
      const size_t bytes = rows * gguf::RowBytes(type, n_per_row);
      const std::vector<float> x = HardBlocks(n / 32, seed, seed % 2 ? 8 : 1);
      const std::vector<float> importance = Importance(n_per_row, seed);
      for (const float* weights : {importance.data(), static_cast<const float*>(nullptr)}) {
        std::vector<uint8_t> got(bytes), want(bytes);
        reference::GgufEncodeRows(type, x.data(), rows, n_per_row, weights,
                                  got.data());
        const size_t written = ggml->quantize_chunk(
            static_cast<int>(gguf::GgmlTypeId(type)), x.data(), want.data(), 0,
            static_cast<int64_t>(rows), static_cast<int64_t>(n_per_row), weights);
        ASSERT_EQ(written, bytes);
        for (size_t i = 0; i < bytes; ++i) {
          ASSERT_EQ(got[i], want[i])
              << Where(type, i) << " seed " << seed << " rows " << rows
              << (weights ? " with importance" : " without importance");
        }
      }
    }
  }
}

TEST(GgufApiTest, SizesAreGgmls) {
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ4_0), 18u);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ4_1), 20u);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ5_0), 22u);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ5_1), 24u);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ8_0), 34u);
  EXPECT_EQ(gguf::RowBytes(BlockType::kQ8_0, 4096), 128u * 34u);
  // The K-quants' sizes, as ggml's static_asserts on its block structs.
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ2_K), 2u * 2 + 256 / 16 + 256 / 4);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ3_K), 2u + 256 / 4 + 256 / 8 + 12);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ4_K), 2u * 2 + 12 + 256 / 2);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ5_K), 2u * 2 + 12 + 256 / 2 + 256 / 8);
  EXPECT_EQ(gguf::BlockBytes(BlockType::kQ6_K), 2u + 256 / 16 + 3 * 256 / 4);
  EXPECT_EQ(gguf::RowBytes(BlockType::kQ4_K, 4096), 16u * 144u);
  static_assert(gguf::RowBytes(BlockType::kQ4_0, 64) == 36, "constexpr");
}

void ExpectError(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << part;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(GgufApiTest, BadInputIsRejected) {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> blocks(2 * 34);
  const BlockType q8 = BlockType::kQ8_0;
  using EncodeF32 = void (*)(BlockType, const float*, size_t, void*);
  for (EncodeF32 encode : {EncodeF32{&gguf::Encode<float>},
                           EncodeF32{&reference::GgufEncode<float>}}) {
    ExpectError([&] { encode(q8, x.data(), 33, blocks.data()); },
                "n = 33 is not a multiple of the block size 32 of Q8_0");
    ExpectError([&] { encode(q8, nullptr, 32, blocks.data()); }, "x");
    ExpectError([&] { encode(q8, x.data(), 32, nullptr); }, "blocks");
    ExpectError([&] { encode(static_cast<BlockType>(99), x.data(), 32,
                             blocks.data()); },
                "type = 99 is not a gguf::BlockType");
    for (float bad : {NAN, INFINITY, -INFINITY}) {
      std::vector<float> y = x;
      y[45] = bad;
      ExpectError([&] { encode(q8, y.data(), 64, blocks.data()); },
                  "x[45] = ");
      // MXFP4, also in a later batch of blocks.
      std::vector<float> z(1024, 0.25f);
      std::vector<uint8_t> mx(gguf::RowBytes(BlockType::kMXFP4, 1024));
      z[45] = bad;
      ExpectError([&] { encode(BlockType::kMXFP4, z.data(), 1024, mx.data()); },
                  "x[45] = ");
      z[45] = 0.25f;
      z[900] = bad;
      ExpectError([&] { encode(BlockType::kMXFP4, z.data(), 1024, mx.data()); },
                  "x[900] = ");
    }
  }
  // K-quants: super-blocks of 256, NaN found in any batch.
  std::vector<float> big(512, 0.5f);
  std::vector<uint8_t> k_blocks(2 * 210);
  for (EncodeF32 encode : {EncodeF32{&gguf::Encode<float>},
                           EncodeF32{&reference::GgufEncode<float>}}) {
    ExpectError([&] { encode(BlockType::kQ4_K, big.data(), 32, k_blocks.data()); },
                "n = 32 is not a multiple of the block size 256 of Q4_K");
    std::vector<float> y = big;
    y[300] = NAN;
    ExpectError([&] { encode(BlockType::kQ6_K, y.data(), 512, k_blocks.data()); },
                "x[300] = ");
  }
  // Rows with importance weights: the row length, the weights.
  using EncodeRowsF32 = void (*)(BlockType, const float*, size_t, size_t,
                                 const float*, void*);
  std::vector<uint8_t> k_rows(4 * 144);
  for (EncodeRowsF32 encode_rows : {EncodeRowsF32{&gguf::EncodeRows<float>},
                                    EncodeRowsF32{&reference::GgufEncodeRows<float>}}) {
    std::vector<float> weights(256, 1.0f);
    ExpectError([&] { encode_rows(BlockType::kQ4_K, big.data(), 2, 128,
                                  weights.data(), k_rows.data()); },
                "n_per_row = 128 is not a multiple of the block size 256 of Q4_K");
    ExpectError([&] { encode_rows(BlockType::kQ4_K, big.data(), SIZE_MAX / 128, 256,
                                  weights.data(), k_rows.data()); },
                "overflows");
    for (float bad : {-1.0f, -0.0f * 0.0f - 1e-30f, NAN, INFINITY}) {
      weights[200] = bad;
      ExpectError([&] { encode_rows(BlockType::kQ4_K, big.data(), 2, 256,
                                    weights.data(), k_rows.data()); },
                  "importance[200] = ");
    }
    std::fill(weights.begin(), weights.end(), 0.0f);
    ExpectError([&] { encode_rows(BlockType::kQ4_0, big.data(), 2, 256,
                                  weights.data(), k_rows.data()); },
                "importance is all zero");
    weights[7] = 1.0f;  // -0 weights count as zero, not as negative
    weights[8] = -0.0f;
    encode_rows(BlockType::kQ4_0, big.data(), 2, 256, weights.data(), k_rows.data());
    std::vector<float> y = big;
    y[300] = INFINITY;
    ExpectError([&] { encode_rows(BlockType::kQ4_0, y.data(), 2, 256,
                                  weights.data(), k_rows.data()); },
                "x[300] = ");
  }
  // Without weights too, errors found while encoding name EncodeRows.
  {
    std::vector<float> y(512, 0.5f);
    y[300] = NAN;
    std::vector<uint8_t> out(2 * 144 + 16 * 34);
    ExpectError([&] { gguf::EncodeRows(q8, y.data(), 2, 256, nullptr, out.data()); },
                "gguf::EncodeRows: x[300] = ");
    ExpectError([&] { gguf::EncodeRows(BlockType::kQ4_K, y.data(), 2, 256, nullptr,
                                       out.data()); },
                "gguf::EncodeRows: x[300] = ");
  }
  ExpectError([&] { gguf::Decode(q8, blocks.data(), 31, x.data()); },
              "n = 31");
  ExpectError([&] { gguf::Decode(q8, nullptr, 32, x.data()); }, "blocks");
  // n == 0 needs no pointers.
  gguf::Encode(q8, static_cast<const float*>(nullptr), 0, nullptr);
  gguf::Decode(q8, nullptr, 0, static_cast<float*>(nullptr));
}

}  // namespace
}  // namespace test
}  // namespace simdquant
