// The GGUF quantizer (examples/gguf_file.cc): a small GGUF file with random
// tensors, written by our code, quantized, then read back by ggml's own
// GGUF reader (gguf_init_from_file in libggml-base.so): its header, keys,
// alignment and tensor infos as ggml sees them, and every tensor's bytes
// equal to ggml_quantize_chunk of the input (or to the input for the
// tensors that are copied).
#include "examples/gguf_file.h"

#include <dlfcn.h>  // dlsym
#include <stdio.h>
#include <unistd.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/gguf.h"
#include "simdquant/parallel.h"
#include "simdquant/reference.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

using gguf::BlockType;
using gguf_file::Header;
using gguf_file::TensorInfo;

// ggml's GGUF reader and type traits.
struct GgmlGguf {
  struct InitParams {
    bool no_alloc;
    void** ctx;
  };
  void* (*init_from_file)(const char*, InitParams);
  void (*free)(void*);
  uint32_t (*version)(const void*);
  size_t (*alignment)(const void*);
  size_t (*data_offset)(const void*);
  int64_t (*find_key)(const void*, const char*);
  const char* (*val_str)(const void*, int64_t);
  int64_t (*n_tensors)(const void*);
  const char* (*tensor_name)(const void*, int64_t);
  size_t (*tensor_offset)(const void*, int64_t);
  int (*tensor_type)(const void*, int64_t);
  size_t (*tensor_size)(const void*, int64_t);
  size_t (*type_size)(int);
  int64_t (*blck_size)(int);
  size_t (*quantize_chunk)(int, const float*, void*, int64_t, int64_t, int64_t,
                           const float*);
};

template <typename F>
bool Find(void* lib, const char* name, F* f) {
  *f = reinterpret_cast<F>(dlsym(lib, name));
  return *f != nullptr;
}

const GgmlGguf* LoadGgmlGguf() {
  static const GgmlGguf* loaded = []() -> const GgmlGguf* {
    void* lib = GgmlBase();
    static GgmlGguf g;
    if (lib == nullptr || !Find(lib, "gguf_init_from_file", &g.init_from_file) ||
        !Find(lib, "gguf_free", &g.free) ||
        !Find(lib, "gguf_get_version", &g.version) ||
        !Find(lib, "gguf_get_alignment", &g.alignment) ||
        !Find(lib, "gguf_get_data_offset", &g.data_offset) ||
        !Find(lib, "gguf_find_key", &g.find_key) ||
        !Find(lib, "gguf_get_val_str", &g.val_str) ||
        !Find(lib, "gguf_get_n_tensors", &g.n_tensors) ||
        !Find(lib, "gguf_get_tensor_name", &g.tensor_name) ||
        !Find(lib, "gguf_get_tensor_offset", &g.tensor_offset) ||
        !Find(lib, "gguf_get_tensor_type", &g.tensor_type) ||
        !Find(lib, "gguf_get_tensor_size", &g.tensor_size) ||
        !Find(lib, "ggml_type_size", &g.type_size) ||
        !Find(lib, "ggml_blck_size", &g.blck_size) ||
        !Find(lib, "ggml_quantize_chunk", &g.quantize_chunk)) {
      return nullptr;
    }
    return &g;
  }();
  return loaded;
}

// A key-value pair's bytes: key, value type, value.
std::string KeyValue(const std::string& key, uint32_t type, const std::string& value) {
  std::string kv;
  const uint64_t length = key.size();
  kv.append(reinterpret_cast<const char*>(&length), 8);
  kv += key;
  kv.append(reinterpret_cast<const char*>(&type), 4);
  return kv + value;
}
std::string StringValue(const std::string& s) {
  const uint64_t length = s.size();
  return std::string(reinterpret_cast<const char*>(&length), 8) + s;
}

struct Tensor {
  TensorInfo info;
  std::vector<float> values;  // as float32 (16-bit tensors: exact widening)
  std::vector<uint8_t> bytes;  // as stored
};

struct TensorKind {
  const char* name;
  std::vector<uint64_t> dims;
  uint32_t type;
};

// Random tensors: by default quantizable 2-D float32 / float16 / bfloat16,
// and ones that must be copied (1-D, a row that is not whole blocks, 3-D).
std::vector<Tensor> RandomTensors(
    const std::vector<TensorKind>& kinds = {
        {"blk.0.attn_q.weight", {512, 3}, gguf_file::kF32},
        {"blk.0.attn_norm.weight", {512}, gguf_file::kF32},
        {"blk.0.odd.weight", {48, 2}, gguf_file::kF32},
        {"blk.0.ffn_up.weight", {256, 5}, gguf_file::kF16},
        {"blk.0.ffn_down.weight", {768, 1}, gguf_file::kBF16},
        {"blk.0.conv.weight", {256, 2, 2}, gguf_file::kF32},
    }) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<Tensor> tensors;
  for (const auto& k : kinds) {
    Tensor t;
    t.info.name = k.name;
    t.info.dims = k.dims;
    t.info.type = k.type;
    size_t n = 1;
    for (uint64_t d : k.dims) n *= d;
    t.bytes.resize(gguf_file::TensorBytes(k.type, k.dims));
    for (size_t i = 0; i < n; ++i) {
      float v = normal(rng);
      if (k.type == gguf_file::kF32) {
        memcpy(&t.bytes[4 * i], &v, 4);
      } else if (k.type == gguf_file::kF16) {
        const auto h = reference::FromF32<hwy::float16_t>(v);
        memcpy(&t.bytes[2 * i], &h, 2);
        v = reference::ToF32(h);
      } else {
        const auto b = reference::FromF32<hwy::bfloat16_t>(v);
        memcpy(&t.bytes[2 * i], &b, 2);
        v = reference::ToF32(b);
      }
      t.values.push_back(v);
    }
    tensors.push_back(std::move(t));
  }
  return tensors;
}

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "simdquant_" + std::to_string(getpid()) + "_" + name;
}

// Writes a GGUF file with our header writer: alignment 64 unless given (not
// ggml's default), a string key and the tensors.
void WriteInput(const std::string& path, const std::vector<Tensor>& tensors,
                uint32_t alignment = 64) {
  Header h;
  h.alignment = alignment;
  h.key_values.push_back(KeyValue("general.architecture", 8, StringValue("test")));
  h.key_values.push_back(KeyValue(
      "general.alignment", 4, std::string(reinterpret_cast<const char*>(&alignment), 4)));
  for (const Tensor& t : tensors) h.tensors.push_back(t.info);
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  gguf_file::WriteHeader(f, h);
  for (const Tensor& t : tensors) {
    fwrite(t.bytes.data(), 1, t.bytes.size(), f);
    const std::vector<char> pad((alignment - t.bytes.size() % alignment) % alignment, 0);
    fwrite(pad.data(), 1, pad.size(), f);
  }
  ASSERT_EQ(fclose(f), 0);
}

std::vector<uint8_t> FileBytes(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  std::vector<uint8_t> bytes;
  if (f == nullptr) return bytes;
  uint8_t buffer[1 << 16];
  size_t got;
  while ((got = fread(buffer, 1, sizeof(buffer), f)) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + got);
  }
  fclose(f);
  return bytes;
}

// Reads `out` with ggml's reader and checks it against the input tensors:
// header, key, names, types, sizes, and each tensor's bytes equal to
// ggml_quantize_chunk (with weights[name] as its imatrix, if any) or, for
// the tensors that are copied, to the input.
void ExpectGgmlReadsQuantized(const GgmlGguf& ggml, const std::vector<Tensor>& tensors,
                              const std::string& out, BlockType type,
                              const gguf_file::Imatrix& weights,
                              size_t alignment = 64) {
  void* ctx = ggml.init_from_file(out.c_str(), {true, nullptr});
  ASSERT_NE(ctx, nullptr) << "ggml cannot read the quantized file";
  EXPECT_EQ(ggml.version(ctx), 3u);
  EXPECT_EQ(ggml.alignment(ctx), alignment);
  const int64_t key = ggml.find_key(ctx, "general.architecture");
  ASSERT_GE(key, 0);
  EXPECT_STREQ(ggml.val_str(ctx, key), "test");
  ASSERT_EQ(ggml.n_tensors(ctx), static_cast<int64_t>(tensors.size()));
  const std::vector<uint8_t> file = FileBytes(out);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    SCOPED_TRACE(t.info.name);
    const auto id = static_cast<int64_t>(i);
    EXPECT_STREQ(ggml.tensor_name(ctx, id), t.info.name.c_str());
    const bool quantize =
        t.info.dims.size() == 2 && t.info.dims[0] % gguf::BlockSize(type) == 0;
    std::vector<uint8_t> want = t.bytes;
    if (quantize) {
      const auto w = weights.find(t.info.name);
      want.resize(t.info.dims[1] * gguf::RowBytes(type, t.info.dims[0]));
      ggml.quantize_chunk(static_cast<int>(gguf::GgmlTypeId(type)), t.values.data(),
                          want.data(), 0, static_cast<int64_t>(t.info.dims[1]),
                          static_cast<int64_t>(t.info.dims[0]),
                          w == weights.end() ? nullptr : w->second.data());
    }
    EXPECT_EQ(ggml.tensor_type(ctx, id),
              static_cast<int>(quantize ? gguf::GgmlTypeId(type) : t.info.type));
    ASSERT_EQ(ggml.tensor_size(ctx, id), want.size());
    const size_t at = ggml.data_offset(ctx) + ggml.tensor_offset(ctx, id);
    ASSERT_LE(at + want.size(), file.size());
    EXPECT_TRUE(std::equal(want.begin(), want.end(),
                           file.begin() + static_cast<ptrdiff_t>(at)));
  }
  ggml.free(ctx);
}

TEST(GgufFileTest, QuantizedFileReadsBackInGgmlAsGgmlQuantizeChunk) {
  const GgmlGguf* ggml = LoadGgmlGguf();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  const std::vector<Tensor> tensors = RandomTensors();
  const std::string in = TempPath("in.gguf"), out = TempPath("out.gguf");
  WriteInput(in, tensors);
  for (BlockType type : {BlockType::kQ4_K, BlockType::kQ8_0, BlockType::kQ5_1,
                         BlockType::kQ6_K, BlockType::kMXFP4}) {
    SCOPED_TRACE(gguf::BlockTypeName(type));
    uint64_t last_done = 0, total = 0;
    const gguf_file::QuantizeStats stats = gguf_file::QuantizeFile(
        in, out, type, nullptr,
        [&](uint64_t done, uint64_t all, const std::string&) {
          EXPECT_GT(done, last_done);
          last_done = done;
          total = all;
        });
    EXPECT_EQ(last_done, total);
    // The 2-D tensors whose rows are whole blocks (not blk.0.odd.weight).
    size_t expect = 0;
    for (const Tensor& t : tensors) {
      expect += t.info.dims.size() == 2 && t.info.dims[0] % gguf::BlockSize(type) == 0;
    }
    EXPECT_EQ(stats.quantized, expect);
    EXPECT_EQ(stats.with_importance, 0u);
    ExpectGgmlReadsQuantized(*ggml, tensors, out, type, {});
  }
  remove(in.c_str());
  remove(out.c_str());
}

// QuantizeFile encodes tensors from the mapped input file where their
// values are aligned for their type, else reads them into a buffer: with
// alignment 2, one of two float32 tensors 130 bytes apart lies at an
// offset of 2 mod 4, and both give ggml's bytes.
TEST(GgufFileTest, MisalignedTensorsAreRead) {
  const GgmlGguf* ggml = LoadGgmlGguf();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  const std::vector<Tensor> tensors = RandomTensors({
      {"blk.0.attn_norm.weight", {1}, gguf_file::kF16},
      {"blk.0.attn_q.weight", {32, 1}, gguf_file::kF32},
      {"blk.1.attn_norm.weight", {1}, gguf_file::kF16},
      {"blk.1.attn_q.weight", {32, 1}, gguf_file::kF32},
  });
  const std::string in = TempPath("in_a.gguf"), out = TempPath("out_a.gguf");
  WriteInput(in, tensors, 2);
  FILE* f = fopen(in.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  const Header h = gguf_file::ReadHeader(f);
  fclose(f);
  ASSERT_EQ(h.tensors.size(), 4u);
  EXPECT_NE((h.data_start + h.tensors[1].offset) % 4,
            (h.data_start + h.tensors[3].offset) % 4);
  for (BlockType type : {BlockType::kQ8_0, BlockType::kQ4_0}) {
    SCOPED_TRACE(gguf::BlockTypeName(type));
    gguf_file::QuantizeFile(in, out, type, nullptr, nullptr);
    ExpectGgmlReadsQuantized(*ggml, tensors, out, type, {}, 2);
  }
  remove(in.c_str());
  remove(out.c_str());
}

// Counts the pieces its ThreadPool ran.
class CountingPool final : public Executor {
 public:
  explicit CountingPool(size_t threads) : pool_(threads) {}
  size_t Concurrency() const override { return pool_.Concurrency(); }
  void Run(size_t count, Task task, void* context) override {
    pieces += count;
    pool_.Run(count, task, context);
  }
  size_t pieces = 0;

 private:
  ThreadPool pool_;
};

// gguf_quantize --threads: tensors large enough to be split (by blocks
// without importance weights, by rows with them) give the file of one
// thread.
TEST(GgufFileTest, ThreadsWriteTheSameFile) {
  const std::vector<Tensor> tensors = RandomTensors({
      {"blk.0.attn_q.weight", {2048, 96}, gguf_file::kF32},
      {"blk.0.attn_norm.weight", {2048}, gguf_file::kF32},
      {"blk.0.ffn_up.weight", {1024, 70}, gguf_file::kF16},
  });
  const std::string in = TempPath("in_t.gguf"), one = TempPath("one_t.gguf"),
                    many = TempPath("many_t.gguf");
  WriteInput(in, tensors);
  std::mt19937 rng(5);
  std::exponential_distribution<float> exponential(1.0f);
  gguf_file::Imatrix imatrix;  // weights for the float32 tensor only
  std::vector<float>& weights_q = imatrix["blk.0.attn_q.weight"];
  weights_q.resize(2048);
  for (float& w : weights_q) w = exponential(rng);
  for (BlockType type : {BlockType::kQ4_K, BlockType::kQ8_0, BlockType::kQ5_1,
                         BlockType::kQ6_K}) {
    const gguf_file::Imatrix* const with_and_without[] = {nullptr, &imatrix};
    for (const gguf_file::Imatrix* weights : with_and_without) {
      SCOPED_TRACE(std::string(gguf::BlockTypeName(type)) +
                   (weights != nullptr ? " with importance" : ""));
      gguf_file::QuantizeFile(in, one, type, weights, nullptr);
      CountingPool pool(3);
      gguf_file::QuantizeFile(in, many, type, weights, nullptr, &pool);
      EXPECT_GE(pool.pieces, 4u);  // both 2-D tensors split
      EXPECT_EQ(FileBytes(many), FileBytes(one));
    }
  }
  remove(in.c_str());
  remove(one.c_str());
  remove(many.c_str());
}

// With llama-imatrix's file: weights in_sum2 / count for one tensor, count
// 0 (weights 1) for another, none for the rest.
TEST(GgufFileTest, ImatrixFileWeightsAsLlamaQuantize) {
  const GgmlGguf* ggml = LoadGgmlGguf();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  const std::vector<Tensor> tensors = RandomTensors();
  const std::string in = TempPath("in_i.gguf"), out = TempPath("out_i.gguf"),
                    imatrix_path = TempPath("imatrix.gguf");
  WriteInput(in, tensors);
  std::mt19937 rng(9);
  std::exponential_distribution<float> exponential(1.0f);
  struct Entry { const char* weight; size_t columns; float count; };
  const Entry entries[] = {{"blk.0.attn_q.weight", 512, 7.0f},
                           {"blk.0.ffn_up.weight", 256, 0.0f}};
  std::vector<Tensor> imatrix_tensors;
  gguf_file::Imatrix want_weights;
  for (const Entry& e : entries) {
    Tensor sums, counts;
    sums.info.name = std::string(e.weight) + ".in_sum2";
    sums.info.dims = {e.columns, 1};
    counts.info.name = std::string(e.weight) + ".counts";
    counts.info.dims = {1, 1};
    std::vector<float> s(e.columns), w(e.columns);
    for (size_t i = 0; i < e.columns; ++i) {
      s[i] = exponential(rng) * 50.0f;
      w[i] = e.count > 0 ? s[i] / e.count : 1.0f;
    }
    sums.bytes.resize(4 * e.columns);
    memcpy(sums.bytes.data(), s.data(), sums.bytes.size());
    counts.bytes.resize(4);
    memcpy(counts.bytes.data(), &e.count, 4);
    imatrix_tensors.push_back(sums);
    imatrix_tensors.push_back(counts);
    want_weights[e.weight] = w;
  }
  WriteInput(imatrix_path, imatrix_tensors);
  const gguf_file::Imatrix imatrix = gguf_file::ReadImatrix(imatrix_path);
  ASSERT_EQ(imatrix.size(), 2u);
  for (BlockType type : {BlockType::kQ4_K, BlockType::kQ4_0, BlockType::kQ6_K}) {
    SCOPED_TRACE(gguf::BlockTypeName(type));
    const gguf_file::QuantizeStats stats =
        gguf_file::QuantizeFile(in, out, type, &imatrix, nullptr);
    EXPECT_EQ(stats.with_importance, 2u);
    ExpectGgmlReadsQuantized(*ggml, tensors, out, type, want_weights);
  }
  // A file without in_sum2 tensors is not an imatrix.
  EXPECT_THROW(gguf_file::ReadImatrix(in), std::runtime_error);
  remove(in.c_str());
  remove(out.c_str());
  remove(imatrix_path.c_str());
}

// The quantizer's table of ggml type sizes is ggml's.
TEST(GgufFileTest, TypeSizesAreGgmls) {
  const GgmlGguf* ggml = LoadGgmlGguf();
  SIMDQUANT_REQUIRE_GGML_OR_SKIP(ggml != nullptr);
  for (uint32_t type : {0u, 1u, 2u, 3u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u,
                        15u, 24u, 25u, 26u, 27u, 28u, 30u}) {
    const auto block = static_cast<uint64_t>(ggml->blck_size(static_cast<int>(type)));
    EXPECT_EQ(gguf_file::TensorBytes(type, {block * 3, 2}),
              ggml->type_size(static_cast<int>(type)) * 6)
        << "ggml type " << type;
  }
}

TEST(GgufFileTest, BadFilesAreRejected) {
  const std::string path = TempPath("bad.gguf"), out = TempPath("bad_out.gguf");
  const auto expect_error = [&](const std::vector<uint8_t>& bytes, const std::string& part) {
    FILE* f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    fwrite(bytes.data(), 1, bytes.size(), f);
    fclose(f);
    try {
      gguf_file::QuantizeFile(path, out, BlockType::kQ4_0, nullptr, nullptr);
      ADD_FAILURE() << "no error; expected " << part;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error({'G', 'G', 'M', 'L', 3, 0, 0, 0}, "no GGUF magic");
  expect_error({'G', 'G', 'U', 'F', 1, 0, 0, 0}, "version 1");
  expect_error({'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 0}, "ends too early");
  // A whole file cut short inside its data.
  const std::vector<Tensor> tensors = RandomTensors();
  WriteInput(path, tensors);
  std::vector<uint8_t> bytes = FileBytes(path);
  bytes.resize(bytes.size() - 100);
  expect_error(bytes, "ends too early");
  // A bad file leaves no output behind; the output may not be the input.
  EXPECT_EQ(fopen(out.c_str(), "rb"), nullptr);
  WriteInput(path, tensors);
  const std::vector<uint8_t> before = FileBytes(path);
  try {
    gguf_file::QuantizeFile(path, path, BlockType::kQ4_0, nullptr, nullptr);
    ADD_FAILURE() << "no error for output = input";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is the input file"), std::string::npos);
  }
  EXPECT_EQ(FileBytes(path), before);
  try {
    gguf_file::QuantizeFile(TempPath("missing.gguf"), out, BlockType::kQ4_0, nullptr,
                            nullptr);
    ADD_FAILURE() << "no error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
  remove(path.c_str());
  remove(out.c_str());
}

}  // namespace
}  // namespace test
}  // namespace simdquant
