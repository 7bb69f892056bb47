// GGUF version 3 files: see gguf_file.h.
#include "examples/gguf_file.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "hwy/base.h"  // hwy::float16_t, hwy::bfloat16_t

namespace simdquant {
namespace gguf_file {
namespace {

// gguf value types.
enum ValueType : uint32_t {
  kU8, kI8, kU16, kI16, kU32, kI32, kF32Value, kBool, kString, kArray, kU64,
  kI64, kF64Value
};

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error("GGUF: " + what);
}

// Reads exactly n bytes, appending them to *raw if given.
void ReadBytes(FILE* f, void* to, size_t n, std::string* raw = nullptr) {
  if (n != 0 && fread(to, 1, n, f) != n) Fail("file ends too early");
  if (raw != nullptr) raw->append(static_cast<const char*>(to), n);
}

template <typename T>
T Read(FILE* f, std::string* raw = nullptr) {
  T v;
  ReadBytes(f, &v, sizeof(v), raw);  // little-endian, as x86
  return v;
}

std::string ReadString(FILE* f, std::string* raw = nullptr) {
  const auto length = Read<uint64_t>(f, raw);
  if (length > (uint64_t{1} << 30)) Fail("string of " + std::to_string(length) + " bytes");
  std::string s(length, '\0');
  ReadBytes(f, &s[0], length, raw);
  return s;
}

size_t ScalarBytes(uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32Value: return 4;
    case kU64: case kI64: case kF64Value: return 8;
    default: return 0;
  }
}

// Reads a value of `type` into *raw.
void ReadValue(FILE* f, uint32_t type, std::string* raw, int depth = 0) {
  if (type == kString) {
    ReadString(f, raw);
  } else if (type == kArray) {
    if (depth > 4) Fail("arrays nested too deeply");
    const auto element = Read<uint32_t>(f, raw);
    const auto count = Read<uint64_t>(f, raw);
    for (uint64_t i = 0; i < count; ++i) ReadValue(f, element, raw, depth + 1);
  } else if (const size_t bytes = ScalarBytes(type)) {
    char v[8];
    ReadBytes(f, v, bytes, raw);
  } else {
    Fail("value type " + std::to_string(type) + " unknown");
  }
}

void Write(FILE* f, const void* from, size_t n) {
  if (n != 0 && fwrite(from, 1, n, f) != n) Fail("write failed");
}
template <typename T>
void WriteValue(FILE* f, T v) {
  Write(f, &v, sizeof(v));
}
void WriteString(FILE* f, const std::string& s) {
  WriteValue<uint64_t>(f, s.size());
  Write(f, s.data(), s.size());
}
void WritePadding(FILE* f, uint64_t position, uint64_t alignment) {
  static const char zeros[256] = {};
  uint64_t pad = (alignment - position % alignment) % alignment;
  for (; pad > 0; pad -= HWY_MIN(pad, sizeof(zeros))) {
    Write(f, zeros, HWY_MIN(pad, sizeof(zeros)));
  }
}

uint64_t Padded(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// (values per block, bytes per block) of the ggml types this file knows:
// the unquantized ones, gguf.h's formats, Q8_1 and Q8_K.
bool BlockOf(uint32_t type, uint64_t* size, uint64_t* bytes) {
  for (int t = 0; t <= static_cast<int>(gguf::kLastBlockType); ++t) {
    const auto block = static_cast<gguf::BlockType>(t);
    if (gguf::GgmlTypeId(block) == type) {
      *size = gguf::BlockSize(block);
      *bytes = gguf::BlockBytes(block);
      return true;
    }
  }
  *size = 1;
  switch (type) {
    case kF32: case 26 /* I32 */: *bytes = 4; return true;
    case kF16: case kBF16: case 25 /* I16 */: *bytes = 2; return true;
    case 24 /* I8 */: *bytes = 1; return true;
    case 27 /* I64 */: case 28 /* F64 */: *bytes = 8; return true;
    case 9 /* Q8_1 */: *size = 32; *bytes = 36; return true;
    case 15 /* Q8_K */: *size = 256; *bytes = 292; return true;
    default: return false;
  }
}

}  // namespace

uint64_t TensorBytes(uint32_t type, const std::vector<uint64_t>& dims) {
  uint64_t size, bytes;
  if (!BlockOf(type, &size, &bytes)) {
    Fail("tensor type " + std::to_string(type) + " is not one this quantizer knows");
  }
  if (dims.empty() || dims[0] % size != 0) Fail("row not a whole number of blocks");
  uint64_t total = dims[0] / size * bytes;
  for (size_t d = 1; d < dims.size(); ++d) {
    if (dims[d] != 0 && total > UINT64_MAX / dims[d]) Fail("tensor size overflows");
    total *= dims[d];
  }
  return total;
}

Header ReadHeader(FILE* f) {
  char magic[4];
  ReadBytes(f, magic, 4);
  if (memcmp(magic, "GGUF", 4) != 0) Fail("not a GGUF file (no GGUF magic)");
  const auto version = Read<uint32_t>(f);
  if (version != 2 && version != 3) {
    Fail("version " + std::to_string(version) + " (2 and 3 are supported)");
  }
  const auto tensor_count = Read<uint64_t>(f);
  const auto kv_count = Read<uint64_t>(f);
  if (tensor_count > (uint64_t{1} << 24) || kv_count > (uint64_t{1} << 24)) {
    Fail("implausible tensor or key-value count");
  }
  Header h;
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string raw;
    const std::string key = ReadString(f, &raw);
    const auto type = Read<uint32_t>(f, &raw);
    const size_t value_at = raw.size();
    ReadValue(f, type, &raw);
    if (key == "general.alignment") {
      uint32_t a;
      if (type != kU32) Fail("general.alignment is not a u32");
      memcpy(&a, raw.data() + value_at, 4);
      if (a == 0 || (a & (a - 1)) != 0) Fail("alignment " + std::to_string(a));
      h.alignment = a;
    }
    h.key_values.push_back(std::move(raw));
  }
  for (uint64_t i = 0; i < tensor_count; ++i) {
    TensorInfo t;
    t.name = ReadString(f);
    const auto n_dims = Read<uint32_t>(f);
    if (n_dims == 0 || n_dims > 4) Fail(t.name + ": " + std::to_string(n_dims) + " dims");
    for (uint32_t d = 0; d < n_dims; ++d) t.dims.push_back(Read<uint64_t>(f));
    t.type = Read<uint32_t>(f);
    t.offset = Read<uint64_t>(f);
    h.tensors.push_back(std::move(t));
  }
  h.data_start = Padded(static_cast<uint64_t>(ftello(f)), h.alignment);
  return h;
}

void WriteHeader(FILE* f, Header& h) {
  Write(f, "GGUF", 4);
  WriteValue<uint32_t>(f, 3);
  WriteValue<uint64_t>(f, h.tensors.size());
  WriteValue<uint64_t>(f, h.key_values.size());
  uint64_t position = 24;
  for (const std::string& kv : h.key_values) {
    Write(f, kv.data(), kv.size());
    position += kv.size();
  }
  uint64_t offset = 0;
  for (TensorInfo& t : h.tensors) {
    t.offset = offset;
    offset += Padded(TensorBytes(t.type, t.dims), h.alignment);
    WriteString(f, t.name);
    WriteValue<uint32_t>(f, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) WriteValue(f, d);
    WriteValue(f, t.type);
    WriteValue(f, t.offset);
    position += 8 + t.name.size() + 4 + 8 * t.dims.size() + 4 + 8;
  }
  WritePadding(f, position, h.alignment);
  h.data_start = Padded(position, h.alignment);
}

namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

// A tensor's bytes, at its offset in the data section.
void ReadTensor(FILE* f, const Header& h, const TensorInfo& t,
                std::vector<uint8_t>* data) {
  data->resize(TensorBytes(t.type, t.dims));
  if (fseeko(f, static_cast<off_t>(h.data_start + t.offset), SEEK_SET) != 0) {
    Fail(t.name + ": offset beyond the file");
  }
  ReadBytes(f, data->data(), data->size());
}

std::vector<float> ReadF32Tensor(FILE* f, const Header& h, const TensorInfo& t) {
  if (t.type != kF32) Fail(t.name + " is not float32");
  std::vector<uint8_t> bytes;
  ReadTensor(f, h, t, &bytes);
  std::vector<float> v(bytes.size() / 4);
  memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() &&
         s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The input file mapped read-only, so that tensors are encoded and copied
// straight from the page cache: reading each into a buffer first took a
// third to a half of the legacy formats' time (their encoders run at 25-45
// GB/s). Where the file cannot be mapped, Tensor() gives null and tensors
// are read.
class MappedFile {
 public:
  explicit MappedFile(FILE* f) {
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return;
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE,
                   fileno(f), 0);
    if (p == MAP_FAILED) return;
    madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    data_ = static_cast<const uint8_t*>(p);
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Tensor t's bytes in the mapping, or null if it is not mapped, the file
  // is too short for it (ReadTensor then says so), or they are not aligned
  // for its values.
  const uint8_t* Tensor(const Header& h, const TensorInfo& t) const {
    const uint64_t bytes = TensorBytes(t.type, t.dims);
    const uint64_t at = h.data_start + t.offset;
    if (data_ == nullptr || at < h.data_start || at > size_ || bytes > size_ - at ||
        at % 4 != 0) {
      return nullptr;
    }
    return data_ + at;
  }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// QuantizeFile's data section: each tensor encoded or copied (from the
// mapped file, else read), written and padded.
QuantizeStats WriteQuantized(
    FILE* in, const Header& read, const Header& written,
    const std::vector<bool>& quantize, uint64_t total, gguf::BlockType type,
    const Imatrix* imatrix,
    const std::function<void(uint64_t, uint64_t, const std::string&)>& progress,
    Executor* executor, FILE* out) {
  const MappedFile mapped(in);
  std::vector<uint8_t> data, encoded;
  uint64_t done = 0;
  QuantizeStats stats;
  for (size_t i = 0; i < read.tensors.size(); ++i) {
    const TensorInfo& t = read.tensors[i];
    const uint64_t input_size = TensorBytes(t.type, t.dims);
    const uint8_t* input = mapped.Tensor(read, t);
    if (input == nullptr) {
      ReadTensor(in, read, t, &data);
      input = data.data();
    }
    const uint8_t* bytes = input;
    uint64_t size = input_size;
    if (quantize[i]) {
      const size_t row = t.dims[0], rows = t.dims[1];
      encoded.resize(rows * gguf::RowBytes(type, row));
      const void* x = input;
      // The tensor's importance weights, unless missing, of another length
      // or all zero (a tensor the calibration never reached).
      const float* importance = nullptr;
      if (imatrix != nullptr) {
        const auto it = imatrix->find(t.name);
        if (it != imatrix->end() && it->second.size() == row &&
            std::any_of(it->second.begin(), it->second.end(),
                        [](float w) { return w != 0.0f; })) {
          importance = it->second.data();
        }
      }
      stats.with_importance += importance != nullptr;
      const auto encode = [&](const auto* values) {
        if (executor != nullptr) {
          gguf::EncodeRows(*executor, type, values, rows, row, importance,
                           encoded.data());
        } else {
          gguf::EncodeRows(type, values, rows, row, importance, encoded.data());
        }
      };
      try {
        if (t.type == kF32) {
          encode(static_cast<const float*>(x));
        } else if (t.type == kF16) {
          encode(static_cast<const hwy::float16_t*>(x));
        } else {
          encode(static_cast<const hwy::bfloat16_t*>(x));
        }
      } catch (const std::invalid_argument& e) {  // NaN or Inf values or weights
        Fail(t.name + ": " + e.what());
      }
      bytes = encoded.data();
      size = encoded.size();
    }
    Write(out, bytes, size);
    WritePadding(out, size, written.alignment);
    done += input_size;
    if (progress) progress(done, total, t.name);
  }
  if (fflush(out) != 0) Fail("write failed");
  for (bool q : quantize) stats.quantized += q;
  return stats;
}

}  // namespace

Imatrix ReadImatrix(const std::string& path) {
  File f(fopen(path.c_str(), "rb"), &fclose);
  if (!f) Fail("cannot open " + path);
  const Header h = ReadHeader(f.get());
  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : h.tensors) by_name[t.name] = &t;
  Imatrix imatrix;
  for (const TensorInfo& t : h.tensors) {
    if (!EndsWith(t.name, ".in_sum2")) continue;
    const std::string weight = t.name.substr(0, t.name.size() - 8);
    const auto counts_info = by_name.find(weight + ".counts");
    if (counts_info == by_name.end()) Fail(path + ": " + weight + " has no .counts");
    if (t.dims.size() != 2 || t.dims[1] != 1) continue;  // stacked experts
    const std::vector<float> counts = ReadF32Tensor(f.get(), h, *counts_info->second);
    if (counts.size() != 1) Fail(path + ": " + weight + ".counts is not [1, 1]");
    std::vector<float> values = ReadF32Tensor(f.get(), h, t);
    for (float& v : values) v = counts[0] > 0.0f ? v / counts[0] : 1.0f;
    imatrix[weight] = std::move(values);
  }
  if (imatrix.empty()) {
    Fail(path + " has no <weight>.in_sum2 tensors (llama-imatrix's GGUF output "
                "is read; its legacy .dat format is not)");
  }
  return imatrix;
}

QuantizeStats QuantizeFile(
    const std::string& input, const std::string& output, gguf::BlockType type,
    const Imatrix* imatrix,
    const std::function<void(uint64_t, uint64_t, const std::string&)>& progress,
    Executor* executor) {
  File in(fopen(input.c_str(), "rb"), &fclose);
  if (!in) Fail("cannot open " + input);
  const Header read = ReadHeader(in.get());
  Header written = read;
  std::vector<bool> quantize(read.tensors.size());
  uint64_t total = 0;
  for (size_t i = 0; i < read.tensors.size(); ++i) {
    const TensorInfo& t = read.tensors[i];
    total += TensorBytes(t.type, t.dims);
    quantize[i] = t.dims.size() == 2 &&
                  (t.type == kF32 || t.type == kF16 || t.type == kBF16) &&
                  t.dims[0] % gguf::BlockSize(type) == 0;
    if (quantize[i]) written.tensors[i].type = gguf::GgmlTypeId(type);
  }
  struct stat in_stat, out_stat;
  if (fstat(fileno(in.get()), &in_stat) == 0 && stat(output.c_str(), &out_stat) == 0 &&
      in_stat.st_dev == out_stat.st_dev && in_stat.st_ino == out_stat.st_ino) {
    Fail(output + " is the input file");
  }
  File out(fopen(output.c_str(), "wb"), &fclose);
  if (!out) Fail("cannot create " + output);
  try {
    WriteHeader(out.get(), written);
    return WriteQuantized(in.get(), read, written, quantize, total, type,
                          imatrix, progress, executor, out.get());
  } catch (...) {
    out.reset();
    remove(output.c_str());  // no half-written model left behind
    throw;
  }
}

}  // namespace gguf_file
}  // namespace simdquant
