// ONNX Runtime as users install it (the npm package onnxruntime-node ships
// libonnxruntime.so): single-node ONNX models built here, run through its C
// API by dlopen. The C API is a table of function pointers whose order is
// fixed across releases (new entries are appended); the few used here are
// declared by their slot.
#ifndef SIMDQUANT_TESTS_ORT_ORACLE_H_
#define SIMDQUANT_TESTS_ORT_ORACLE_H_

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace simdquant {
namespace test {

// ONNX TensorProto.DataType values.
enum OnnxType : int {
  kOnnxFloat = 1,
  kOnnxE4M3FN = 17,
  kOnnxE4M3FNUZ = 18,
  kOnnxE5M2 = 19,
  kOnnxE5M2FNUZ = 20,
  kOnnxFloat4E2M1 = 23,
};

// A protobuf message written field by field (wire types 0 and 2).
class Proto {
 public:
  Proto& Int(int field, int64_t v) {
    Key(field, 0);
    Varint(static_cast<uint64_t>(v));
    return *this;
  }
  Proto& Bytes(int field, const void* p, size_t n) {
    Key(field, 2);
    Varint(n);
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  Proto& Str(int field, const std::string& s) {
    return Bytes(field, s.data(), s.size());
  }
  Proto& Msg(int field, const Proto& m) { return Str(field, m.bytes_); }
  const std::string& bytes() const { return bytes_; }

 private:
  void Key(int field, int wire) { Varint(static_cast<uint64_t>(field) << 3 | wire); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<char>(v));
  }
  std::string bytes_;
};

// onnx.proto's messages, the fields used here.
inline Proto TensorType(int elem_type, int64_t n) {
  Proto dim, shape, tensor, type;
  dim.Int(1, n);                 // Dimension.dim_value
  shape.Msg(1, dim);             // TensorShapeProto.dim
  tensor.Int(1, elem_type).Msg(2, shape);  // TypeProto.Tensor
  type.Msg(1, tensor);           // TypeProto.tensor_type
  return type;
}
inline Proto ValueInfo(const std::string& name, int elem_type, int64_t n) {
  Proto v;
  v.Str(1, name).Msg(2, TensorType(elem_type, n));
  return v;
}
inline Proto IntAttribute(const std::string& name, int64_t value) {
  Proto a;
  a.Str(1, name).Int(3, value).Int(20, 2);  // type INT
  return a;
}
// A scalar initializer.
inline Proto Scalar(const std::string& name, int elem_type, const void* raw,
                    size_t bytes) {
  Proto t;
  t.Int(2, elem_type).Str(8, name).Bytes(9, raw, bytes);
  return t;
}

// A model of one node: inputs[0] is the graph input "x" (float, n),
// further inputs are initializers; the output "y" has out_type.
inline std::string OneNodeModel(const std::string& op,
                                const std::vector<std::string>& inputs,
                                const std::vector<Proto>& initializers,
                                const std::vector<Proto>& attributes,
                                int out_type, int64_t n, int in_type = kOnnxFloat) {
  Proto node, graph, opset, model;
  for (const std::string& in : inputs) node.Str(1, in);
  node.Str(2, "y").Str(3, "node").Str(4, op);
  for (const Proto& a : attributes) node.Msg(5, a);
  graph.Msg(1, node).Str(2, "g");
  for (const Proto& t : initializers) graph.Msg(5, t);
  graph.Msg(11, ValueInfo("x", in_type, n))
      .Msg(12, ValueInfo("y", out_type, n));
  opset.Str(1, "").Int(2, 23);
  model.Int(1, 11).Msg(8, opset).Msg(7, graph);  // ir_version 11
  return model.bytes();
}

class OnnxRuntime {
 public:
  // Loads libonnxruntime.so.1 from dir; ok() false (with error()) if it
  // cannot.
  explicit OnnxRuntime(const std::string& dir) {
    lib_ = dlopen((dir + "/libonnxruntime.so.1").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib_ == nullptr) {
      error_ = dlerror();
      return;
    }
    using GetApiBase = const ApiBase* (*)();
    auto get_base = reinterpret_cast<GetApiBase>(dlsym(lib_, "OrtGetApiBase"));
    if (get_base == nullptr) {
      error_ = "no OrtGetApiBase";
      return;
    }
    api_ = get_base()->GetApi(kApiVersion);
    if (api_ == nullptr) {
      error_ = "GetApi(" + std::to_string(kApiVersion) + ") returned null";
      return;
    }
    Check(Fn<Status (*)(int, const char*, void**)>(kCreateEnv)(3, "simdquant", &env_));
    Check(Fn<Status (*)(void**)>(kCreateSessionOptions)(&options_));
    Check(Fn<Status (*)(int, int, void**)>(kCreateCpuMemoryInfo)(0, 0, &memory_));
  }
  ~OnnxRuntime() {
    if (api_ == nullptr) return;
    if (memory_) Fn<void (*)(void*)>(kReleaseMemoryInfo)(memory_);
    if (options_) Fn<void (*)(void*)>(kReleaseSessionOptions)(options_);
    if (env_) Fn<void (*)(void*)>(kReleaseEnv)(env_);
  }
  bool ok() const { return api_ != nullptr && env_ != nullptr; }
  const std::string& error() const { return error_; }

  // A model loaded once, run many times (the benchmarks).
  class Session {
   public:
    Session(OnnxRuntime& ort, const std::string& model) : ort_(ort) {
      ort_.Check(ort_.Fn<Status (*)(void*, const void*, size_t, void*, void**)>(
          kCreateSessionFromArray)(ort_.env_, model.data(), model.size(),
                                   ort_.options_, &session_));
    }
    ~Session() { ort_.Fn<void (*)(void*)>(kReleaseSession)(session_); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Input "x" of n elements of in_type (in_bytes bytes) into out_bytes
    // of output "y".
    void Run(const void* x, size_t n, size_t in_bytes, int in_type, void* out,
             size_t out_bytes) {
      const int64_t shape = static_cast<int64_t>(n);
      void* input = nullptr;
      ort_.Check(ort_.Fn<Status (*)(void*, void*, size_t, const int64_t*, size_t,
                                    int, void**)>(kCreateTensorWithDataAsOrtValue)(
          ort_.memory_, const_cast<void*>(x), in_bytes, &shape, 1, in_type, &input));
      const char* in_name = "x";
      const char* out_name = "y";
      void* output = nullptr;
      Status status = ort_.Fn<Status (*)(void*, const void*, const char* const*,
                                         void* const*, size_t, const char* const*,
                                         size_t, void**)>(kRun)(
          session_, nullptr, &in_name, &input, 1, &out_name, 1, &output);
      if (status == nullptr) {
        void* data = nullptr;
        status = ort_.Fn<Status (*)(void*, void**)>(kGetTensorMutableData)(output, &data);
        if (status == nullptr) memcpy(out, data, out_bytes);
      }
      if (output) ort_.Fn<void (*)(void*)>(kReleaseValue)(output);
      ort_.Fn<void (*)(void*)>(kReleaseValue)(input);
      ort_.Check(status);
    }

   private:
    OnnxRuntime& ort_;
    void* session_ = nullptr;
  };

  // Runs the model once on float x[0, n) and returns output "y"'s bytes.
  std::vector<uint8_t> Run(const std::string& model, const float* x, size_t n,
                           size_t out_bytes) {
    return Run(model, x, n, n * sizeof(float), kOnnxFloat, out_bytes);
  }
  std::vector<uint8_t> Run(const std::string& model, const void* x, size_t n,
                           size_t in_bytes, int in_type, size_t out_bytes) {
    std::vector<uint8_t> result(out_bytes);
    Session(*this, model).Run(x, n, in_bytes, in_type, result.data(), out_bytes);
    return result;
  }

 private:
  using Status = void*;  // OrtStatus*, null on success
  struct ApiBase {
    const void* (*GetApi)(uint32_t version);
    const char* (*GetVersionString)();
  };
  static constexpr uint32_t kApiVersion = 13;  // ORT 1.13, old enough
  // Slots of struct OrtApi (onnxruntime_c_api.h).
  enum Slot : size_t {
    kGetErrorMessage = 2,
    kCreateEnv = 3,
    kCreateSessionFromArray = 8,
    kRun = 9,
    kCreateSessionOptions = 10,
    kCreateTensorWithDataAsOrtValue = 49,
    kGetTensorMutableData = 51,
    kCreateCpuMemoryInfo = 69,
    kReleaseEnv = 92,
    kReleaseStatus = 93,
    kReleaseMemoryInfo = 94,
    kReleaseSession = 95,
    kReleaseValue = 96,
    kReleaseSessionOptions = 100,
  };
  template <typename F>
  F Fn(Slot slot) const {
    return reinterpret_cast<F const*>(api_)[slot];
  }
  void Check(Status status) {
    if (status == nullptr) return;
    const std::string message =
        Fn<const char* (*)(Status)>(kGetErrorMessage)(status);
    Fn<void (*)(Status)>(kReleaseStatus)(status);
    throw std::runtime_error("onnxruntime: " + message);
  }

  void* lib_ = nullptr;
  const void* api_ = nullptr;
  void* env_ = nullptr;
  void* options_ = nullptr;
  void* memory_ = nullptr;
  std::string error_;
};

}  // namespace test
}  // namespace simdquant

#endif  // SIMDQUANT_TESTS_ORT_ORACLE_H_
