// The Python module simdquant._native: NumPy arrays in and out of the
// library's kernels. The package simdquant (lib/python/simdquant) re-exports
// it; README "Python" documents the conventions below.
//
// Arrays: inputs are read in place when C-contiguous and aligned (numpy's
// default), else copied once (np.require): a kernel never sees strides.
// Their dtype is never converted: float tensors are float32, float16, or
// uint16 holding bfloat16 bits; anything else is a TypeError, because
// casting float64 to float32 would round the values being quantized. Outputs
// are new arrays, or `out=` arrays of exactly the right dtype and shape,
// C-contiguous, aligned, writeable and not overlapping an input (ValueError /
// TypeError otherwise: nothing is copied back). The GIL is released while a
// kernel runs.
//
// Errors: the library's std::invalid_argument becomes ValueError with its
// message (pybind11's translation); wrong types are TypeError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "simdquant/calibrate.h"
#include "simdquant/float_codes.h"
#include "simdquant/gguf.h"
#include "simdquant/parallel.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"
#include "simdquant/tensor.h"

namespace py = pybind11;

namespace simdquant {
namespace python {
namespace {

using detail::FloatType;

// ---------------------------------------------------------------------------
// Threads: one pool for the module, used when set_num_threads(n > 1).

// Replaced by set_num_threads under the GIL; leaked, as the numpy module.
std::shared_ptr<ThreadPool>& Pool() {
  static auto* pool = new std::shared_ptr<ThreadPool>();
  return *pool;
}

// Calls kernel() or kernel(pool) (parallel.h's overloads take the Executor
// first), without the GIL. The call holds its own reference to the pool, so
// set_num_threads from another Python thread cannot free it mid-kernel.
template <class Kernel>
auto Run(const Kernel& kernel) {
  const std::shared_ptr<ThreadPool> pool = Pool();
  py::gil_scoped_release release;
  return pool != nullptr ? kernel(*pool) : kernel();
}

// ---------------------------------------------------------------------------
// Names of enumerators, as Python passes them.

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Names match in any case ("e4m3fn", "Divide").
template <typename E>
E Parse(const std::string& name, std::initializer_list<std::pair<const char*, E>> table,
        const char* what) {
  const std::string lower = Lower(name);
  std::string known;
  for (const auto& [key, value] : table) {
    if (Lower(key) == lower) return value;
    known += (known.empty() ? "" : ", ") + std::string(key);
  }
  throw py::value_error(std::string(what) + " must be one of " + known +
                        "; got '" + name + "'");
}

QuantizeMode ParseMode(const std::string& s) {
  return Parse<QuantizeMode>(
      s, {{"divide", QuantizeMode::kDivide}, {"reciprocal", QuantizeMode::kReciprocal}},
      "mode");
}
const char* ModeName(QuantizeMode m) {
  return m == QuantizeMode::kDivide ? "divide" : "reciprocal";
}
Scheme ParseScheme(const std::string& s) {
  return Parse<Scheme>(
      s, {{"asymmetric", Scheme::kAsymmetric}, {"symmetric", Scheme::kSymmetric}},
      "scheme");
}
SymmetricScale ParseSymmetricScale(const std::string& s) {
  return Parse<SymmetricScale>(s,
                               {{"qmax", SymmetricScale::kQmax},
                                {"half_code_range", SymmetricScale::kHalfCodeRange}},
                               "symmetric_scale");
}
FloatFormat ParseFloatFormat(const std::string& s) {
  return Parse<FloatFormat>(s,
                            {{"E4M3FN", FloatFormat::kE4M3FN},
                             {"E5M2", FloatFormat::kE5M2},
                             {"E4M3FNUZ", FloatFormat::kE4M3FNUZ},
                             {"E5M2FNUZ", FloatFormat::kE5M2FNUZ},
                             {"E3M2", FloatFormat::kE3M2},
                             {"E2M3", FloatFormat::kE2M3},
                             {"E2M1", FloatFormat::kE2M1}},
                            "format");
}
Overflow ParseOverflow(const std::string& s) {
  return Parse<Overflow>(
      s, {{"saturate", Overflow::kSaturate}, {"inf_or_nan", Overflow::kInfOrNaN}},
      "overflow");
}
MxFormat ParseMxFormat(const std::string& s) {
  return Parse<MxFormat>(s,
                         {{"MXFP8_E4M3", MxFormat::kMXFP8_E4M3},
                          {"MXFP8_E5M2", MxFormat::kMXFP8_E5M2},
                          {"MXFP6_E3M2", MxFormat::kMXFP6_E3M2},
                          {"MXFP6_E2M3", MxFormat::kMXFP6_E2M3},
                          {"MXFP4", MxFormat::kMXFP4},
                          {"MXINT8", MxFormat::kMXINT8}},
                         "format");
}
MxScaleRule ParseMxRule(const std::string& s) {
  return Parse<MxScaleRule>(
      s, {{"floor", MxScaleRule::kFloor}, {"round_up", MxScaleRule::kRoundUp}}, "rule");
}
gguf::BlockType ParseBlockType(const std::string& s) {
  using gguf::BlockType;
  return Parse<BlockType>(s,
                          {{"Q4_0", BlockType::kQ4_0},
                           {"Q4_1", BlockType::kQ4_1},
                           {"Q5_0", BlockType::kQ5_0},
                           {"Q5_1", BlockType::kQ5_1},
                           {"Q8_0", BlockType::kQ8_0},
                           {"Q2_K", BlockType::kQ2_K},
                           {"Q3_K", BlockType::kQ3_K},
                           {"Q4_K", BlockType::kQ4_K},
                           {"Q5_K", BlockType::kQ5_K},
                           {"Q6_K", BlockType::kQ6_K},
                           {"MXFP4", BlockType::kMXFP4}},
                          "type");
}

// ---------------------------------------------------------------------------
// Arrays

py::module_& Numpy() {
  // Leaked: a static py::object would be destroyed after the interpreter.
  static py::module_* np = new py::module_(py::module_::import("numpy"));
  return *np;
}

std::vector<size_t> ShapeOf(const py::array& a) {
  return std::vector<size_t>(a.shape(), a.shape() + a.ndim());
}

size_t Product(const std::vector<size_t>& shape, size_t begin, size_t end) {
  size_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

// Any array-like (a torch CPU tensor too, without a copy) as a C-contiguous,
// aligned numpy array of its own dtype.
py::array Input(const py::object& obj, const char* name) {
  if (obj.is_none()) throw py::type_error(std::string(name) + " is None");
  py::array a = Numpy().attr("asarray")(obj);
  if (!(a.flags() & py::array::c_style) ||
      !a.attr("flags").attr("aligned").cast<bool>()) {
    a = Numpy().attr("require")(a, py::none(), "CA");
  }
  return a;
}

std::string Str(py::handle h) { return py::str(h).cast<std::string>(); }

std::string DtypeName(const py::array& a) { return Str(a.dtype()); }

// float32, float16, or uint16 as bfloat16 bits.
FloatType FloatTypeOf(const py::array& a, const char* name) {
  const py::dtype dt = a.dtype();
  if (dt.is(py::dtype::of<float>())) return FloatType::kF32;
  if (dt.kind() == 'f' && dt.itemsize() == 4) return FloatType::kF32;
  if (dt.kind() == 'f' && dt.itemsize() == 2) return FloatType::kF16;
  if (dt.kind() == 'u' && dt.itemsize() == 2) return FloatType::kBF16;
  throw py::type_error(std::string(name) +
                       " must be float32, float16, or uint16 holding bfloat16 "
                       "bits; got " + DtypeName(a) +
                       " (convert it yourself, e.g. x.astype(np.float32): "
                       "simdquant does not round your data silently)");
}

void RequireFloat32(const py::array& a, const char* name) {
  if (FloatTypeOf(a, name) != FloatType::kF32) {
    throw py::type_error(std::string(name) + " must be float32 here; got " +
                         DtypeName(a));
  }
}

py::dtype NumpyDtype(FloatType t) {
  return t == FloatType::kF32   ? py::dtype::of<float>()
         : t == FloatType::kF16 ? py::dtype("float16")
                                : py::dtype::of<uint16_t>();
}

// "float32", "float16", "bfloat16", np.float32, np.float16 or a dtype.
FloatType ParseFloatDtype(const py::object& d) {
  if (py::isinstance<py::str>(d) && d.cast<std::string>() == "bfloat16") {
    return FloatType::kBF16;
  }
  const py::dtype dt = Numpy().attr("dtype")(d);
  if (dt.kind() == 'f' && dt.itemsize() == 4) return FloatType::kF32;
  if (dt.kind() == 'f' && dt.itemsize() == 2) return FloatType::kF16;
  throw py::type_error("dtype must be float32, float16 or 'bfloat16'; got " +
                       Str(d));
}

// A new array, or `out` checked to be exactly that array's twin.
py::array Output(const py::object& out, const py::dtype& dtype,
                 const std::vector<size_t>& shape,
                 std::initializer_list<const py::array*> inputs,
                 const char* name = "out") {
  if (out.is_none()) return py::array(dtype, shape);
  if (!py::isinstance<py::array>(out)) {
    throw py::type_error(std::string(name) + " must be a numpy.ndarray");
  }
  py::array a = out.cast<py::array>();
  if (!a.dtype().is(dtype) && !a.dtype().equal(dtype)) {
    throw py::type_error(std::string(name) + " must have dtype " +
                         Str(dtype) + "; got " +
                         DtypeName(a));
  }
  if (ShapeOf(a) != shape) {
    throw py::value_error(std::string(name) + " has shape " +
                          Str(a.attr("shape")) +
                          "; expected " + Str(py::cast(shape)));
  }
  if (!(a.flags() & py::array::c_style) ||
      !a.attr("flags").attr("aligned").cast<bool>()) {
    throw py::value_error(std::string(name) +
                          " must be C-contiguous and aligned (results are "
                          "written in place, never copied back)");
  }
  if (!a.writeable()) throw py::value_error(std::string(name) + " is read-only");
  for (const py::array* in : inputs) {
    if (Numpy().attr("may_share_memory")(a, *in).cast<bool>()) {
      throw py::value_error(std::string(name) +
                            " overlaps an input; pass a separate array");
    }
  }
  return a;
}

// Encoded data (packed codes, float codes, block scales, GGUF blocks): uint8
// and exactly `expected` bytes for the shape and format it is said to hold.
void CheckBytes(const py::array& a, const char* name, size_t expected) {
  if (!a.dtype().equal(py::dtype::of<uint8_t>())) {
    throw py::type_error(std::string(name) + " must be uint8; got " + DtypeName(a));
  }
  if (static_cast<size_t>(a.size()) != expected) {
    throw py::value_error(std::string(name) + " holds " + std::to_string(a.size()) +
                          " bytes; the shape and format need " + std::to_string(expected));
  }
}

template <typename T>
const T* DataOf(const py::array& a) {
  return static_cast<const T*>(a.data());
}
template <typename T>
T* MutableDataOf(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}

// ---------------------------------------------------------------------------
// Layouts of N-D tensors (tensor.h, "Layouts"): axis=None per tensor, axis=k
// per channel along k, group_size=g per group along the last axis.

struct NdLayout {
  Layout layout;
  size_t blocks = 1;      // leading blocks that each use `layout`
  std::vector<size_t> param_shape;
  size_t BlockElements() const { return layout.NumElements(); }
};

NdLayout LayoutOf(const std::vector<size_t>& shape, const py::object& axis_obj,
                  const py::object& group_obj) {
  const size_t n = Product(shape, 0, shape.size());
  NdLayout nd;
  if (!group_obj.is_none()) {
    if (!axis_obj.is_none()) {
      throw py::value_error("pass axis or group_size, not both");
    }
    const long long g = group_obj.cast<long long>();
    if (g < 1) throw py::value_error("group_size must be >= 1; got " + std::to_string(g));
    if (shape.empty()) throw py::value_error("group_size needs at least one axis");
    const size_t cols = shape.back();
    const size_t rows = Product(shape, 0, shape.size() - 1);
    nd.layout = Layout::PerGroup(rows, cols, static_cast<size_t>(g));
    nd.param_shape.assign(shape.begin(), shape.end() - 1);
    nd.param_shape.push_back(nd.layout.GroupsPerRow());
    return nd;
  }
  if (axis_obj.is_none()) {
    nd.layout = Layout::PerTensor(n);
    return nd;
  }
  const long long ndim = static_cast<long long>(shape.size());
  long long axis = axis_obj.cast<long long>();
  if (axis < -ndim || axis >= ndim) {
    throw py::value_error("axis " + std::to_string(axis) + " is out of range for " +
                          std::to_string(ndim) + "-D input");
  }
  if (axis < 0) axis += ndim;
  const size_t k = static_cast<size_t>(axis);
  const size_t before = Product(shape, 0, k);
  const size_t after = Product(shape, k + 1, shape.size());
  nd.param_shape = {shape[k]};
  if (after == 1 && before > 1) {
    nd.layout = Layout::PerColumn(before, shape[k]);
  } else {
    nd.layout = Layout::PerRow(shape[k], after);
    nd.blocks = before;
  }
  return nd;
}

// Packed codes along a middle axis are written block by block: each block
// must start on a byte.
void CheckPackedBlocks(const NdLayout& nd, int bits) {
  if (nd.blocks > 1 && nd.BlockElements() * static_cast<size_t>(bits) % 8 != 0) {
    throw py::value_error(
        "packed codes per channel along a middle axis need each block of "
        "that axis to fill whole bytes");
  }
}

// Scales and zero points of a layout, kept alive for the call.
struct ParamArrays {
  py::array scales;       // float32 or float16
  py::array zero_points;  // int32, or empty
  GroupParams Params(int bits, Signedness signedness, bool narrow) const {
    GroupParams g;
    if (scales.dtype().itemsize() == 2) {
      g.scales_f16 = DataOf<hwy::float16_t>(scales);
    } else {
      g.scales = DataOf<float>(scales);
    }
    g.zero_points = zero_points ? DataOf<int32_t>(zero_points) : nullptr;
    g.bits = bits;
    g.signedness = signedness;
    g.narrow_range = narrow;
    return g;
  }
};

size_t SizeOf(const std::vector<size_t>& shape) {
  return Product(shape, 0, shape.size());
}

// A number for a single parameter set, else an array of the layout's
// parameter shape.
void CheckParamShape(const py::array& a, const NdLayout& nd, const char* name) {
  const bool one = nd.layout.NumParams() == 1 && a.size() == 1 && a.ndim() <= 1;
  if (!one && ShapeOf(a) != nd.param_shape) {
    throw py::value_error(std::string(name) + " has shape " + Str(a.attr("shape")) +
                          "; this layout needs shape " + Str(py::tuple(py::cast(nd.param_shape))));
  }
}

// scale: a number or an array of the layout's parameter shape (float16 kept
// as float16 scales; anything else as float32). zero_point: an integer or an
// integer array of that shape; float zero points are refused (the seeds'
// bug: a zero point must be a code).
ParamArrays ParamsOf(const py::object& scale, const py::object& zero_point,
                     const NdLayout& nd) {
  ParamArrays p;
  const py::array s = Numpy().attr("asarray")(scale);
  const char kind = s.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u') {
    throw py::type_error("scale must be a number or a float array; got " + DtypeName(s));
  }
  CheckParamShape(s, nd, "scale");
  const bool f16 = kind == 'f' && s.dtype().itemsize() == 2;
  p.scales = Numpy().attr("ascontiguousarray")(s, f16 ? "float16" : "float32");
  if (!zero_point.is_none()) {
    py::array z = Numpy().attr("asarray")(zero_point);
    if (z.dtype().kind() != 'i' && z.dtype().kind() != 'u' && z.dtype().kind() != 'b') {
      throw py::type_error("zero_point must be an integer (a code), not " + DtypeName(z));
    }
    CheckParamShape(z, nd, "zero_point");
    const py::array z64 = Numpy().attr("asarray")(z, "int64");
    const auto* v = DataOf<int64_t>(Numpy().attr("ascontiguousarray")(z64).cast<py::array>());
    for (py::ssize_t i = 0; i < z64.size(); ++i) {
      if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
        throw py::value_error("zero_point " + std::to_string(v[i]) + " is out of int32 range");
      }
    }
    p.zero_points = Numpy().attr("ascontiguousarray")(z, "int32");
  }
  return p;
}

// The integer container for codes of a format, or the one asked for.
py::dtype CodeDtype(const py::object& dtype, int bits, bool is_signed) {
  if (!dtype.is_none()) {
    const py::dtype d = Numpy().attr("dtype")(dtype);
    if (!(d.kind() == 'i' || d.kind() == 'u') || d.itemsize() > 2) {
      throw py::type_error("dtype must be uint8, int8, uint16 or int16; got " +
                           Str(d));
    }
    return d;
  }
  const bool wide = bits > 8;
  return is_signed ? (wide ? py::dtype::of<int16_t>() : py::dtype::of<int8_t>())
                   : (wide ? py::dtype::of<uint16_t>() : py::dtype::of<uint8_t>());
}

// Calls f(typed pointer) for the integer container of dtype d.
template <typename Ptr, class F>
void WithCodes(const py::dtype& d, Ptr data, const F& f) {
  using Void = std::remove_pointer_t<Ptr>;
  auto as = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using P = std::conditional_t<std::is_const_v<Void>, const T*, T*>;
    f(reinterpret_cast<P>(data));
  };
  if (d.kind() == 'u' && d.itemsize() == 1) return as(static_cast<uint8_t*>(nullptr));
  if (d.kind() == 'i' && d.itemsize() == 1) return as(static_cast<int8_t*>(nullptr));
  if (d.kind() == 'u' && d.itemsize() == 2) return as(static_cast<uint16_t*>(nullptr));
  if (d.kind() == 'i' && d.itemsize() == 2) return as(static_cast<int16_t*>(nullptr));
  throw py::type_error("codes must be uint8, int8, uint16 or int16; got " +
                       Str(d));
}

// Calls f(typed pointer) for a float tensor type.
template <typename Ptr, class F>
void WithFloats(FloatType t, Ptr data, const F& f) {
  using Void = std::remove_pointer_t<Ptr>;
  auto as = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    using P = std::conditional_t<std::is_const_v<Void>, const T*, T*>;
    f(reinterpret_cast<P>(data));
  };
  if (t == FloatType::kF32) return as(static_cast<float*>(nullptr));
  if (t == FloatType::kF16) return as(static_cast<hwy::float16_t*>(nullptr));
  return as(static_cast<hwy::bfloat16_t*>(nullptr));
}

size_t ElementSize(FloatType t) { return t == FloatType::kF32 ? 4 : 2; }

// A QuantParams-or-scale argument, with the format arguments that may
// accompany a bare scale.
struct Format {
  int bits;
  Signedness signedness;
  bool narrow;
};

Format FormatOf(const py::object& params_or_scale, const py::object& bits,
                const py::object& is_signed, bool narrow, int default_bits,
                bool default_signed) {
  if (py::isinstance<QuantParams>(params_or_scale)) {
    if (!bits.is_none() || !is_signed.is_none() || narrow) {
      throw py::type_error(
          "pass either a QuantParams or scale with bits / signed / "
          "narrow_range, not both");
    }
    const QuantParams& p = params_or_scale.cast<const QuantParams&>();
    return {p.bits, p.signedness, p.narrow_range};
  }
  return {bits.is_none() ? default_bits : bits.cast<int>(),
          (is_signed.is_none() ? default_signed : is_signed.cast<bool>())
              ? Signedness::kSigned
              : Signedness::kUnsigned,
          narrow};
}

ParamArrays ParamArraysOf(const py::object& params_or_scale,
                          const py::object& zero_point, const NdLayout& nd) {
  if (py::isinstance<QuantParams>(params_or_scale)) {
    if (!zero_point.is_none()) {
      throw py::type_error("pass either a QuantParams or scale and zero_point, not both");
    }
    if (nd.layout.NumParams() != 1) {
      throw py::value_error(
          "a QuantParams is one (scale, zero point): pass arrays of scales "
          "and zero points for axis= or group_size=");
    }
    const QuantParams& p = params_or_scale.cast<const QuantParams&>();
    return ParamsOf(py::float_(p.scale), py::int_(p.zero_point), nd);
  }
  return ParamsOf(params_or_scale, zero_point, nd);
}

// ---------------------------------------------------------------------------
// Kernels

py::object MinMaxPy(const py::object& x_obj, const py::object& axis,
                    const py::object& group_size) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const NdLayout nd = LayoutOf(ShapeOf(x), axis, group_size);
  if (nd.layout.granularity == Granularity::kPerTensor && t == FloatType::kF32) {
    const MinMaxResult r =
        Run([&](auto&... ex) { return MinMax(ex..., DataOf<float>(x), static_cast<size_t>(x.size())); });
    return py::make_tuple(r.min, r.max);
  }
  const size_t count = nd.layout.NumParams();
  std::vector<MinMaxResult> ranges(count), block(count);
  const char* base = static_cast<const char*>(x.data());
  for (size_t b = 0; b < nd.blocks; ++b) {
    WithFloats(t, base + b * nd.BlockElements() * ElementSize(t), [&](auto* p) {
      Run([&](auto&... ex) { MinMax(ex..., p, nd.layout, (b == 0 ? ranges : block).data()); });
    });
    for (size_t k = 0; b > 0 && k < count; ++k) {  // NaN propagates
      const MinMaxResult& r = block[k];
      MinMaxResult& acc = ranges[k];
      acc.min = (r.min != r.min || acc.min != acc.min) ? r.min + acc.min : std::min(acc.min, r.min);
      acc.max = (r.max != r.max || acc.max != acc.max) ? r.max + acc.max : std::max(acc.max, r.max);
    }
  }
  if (nd.layout.granularity == Granularity::kPerTensor) {
    return py::make_tuple(ranges[0].min, ranges[0].max);
  }
  py::array_t<float> mins(nd.param_shape), maxs(nd.param_shape);
  for (size_t k = 0; k < count; ++k) {
    mins.mutable_data()[k] = ranges[k].min;
    maxs.mutable_data()[k] = ranges[k].max;
  }
  return py::make_tuple(mins, maxs);
}

float AbsMaxPy(const py::object& x_obj) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  return Run([&](auto&... ex) { return AbsMax(ex..., DataOf<float>(x), static_cast<size_t>(x.size())); });
}

py::tuple PercentileRangePy(const py::object& x_obj, double lower, double upper) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  const MinMaxResult r = Run([&](auto&... ex) {
    return PercentileRange(ex..., DataOf<float>(x), static_cast<size_t>(x.size()), lower, upper);
  });
  return py::make_tuple(r.min, r.max);
}

float PercentilePy(const py::object& x_obj, double pct) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  py::gil_scoped_release release;
  return Percentile(DataOf<float>(x), static_cast<size_t>(x.size()), pct);
}

template <class Calibrate>
QuantParams CalibratePy(const py::object& x_obj, const Calibrate& calibrate) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  return Run([&](auto&... ex) {
    return calibrate(DataOf<float>(x), static_cast<size_t>(x.size()), ex...);
  });
}

py::array QuantizePy(const py::object& x_obj, const py::object& params_or_scale,
                     const py::object& zero_point, const py::object& bits,
                     const py::object& is_signed, bool narrow,
                     const std::string& mode, const py::object& axis,
                     const py::object& group_size, bool packed,
                     const py::object& dtype, const py::object& out) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const NdLayout nd = LayoutOf(ShapeOf(x), axis, group_size);
  const Format f = FormatOf(params_or_scale, bits, is_signed, narrow, 8, false);
  const ParamArrays pa = ParamArraysOf(params_or_scale, zero_point, nd);
  const GroupParams gp = pa.Params(f.bits, f.signedness, f.narrow);
  const QuantizeMode m = ParseMode(mode);
  const char* xdata = static_cast<const char*>(x.data());
  const size_t block = nd.BlockElements();
  if (packed) {
    if (!dtype.is_none()) throw py::type_error("packed codes are bytes: no dtype");
    if (f.bits < 1 || f.bits > 8) {
      throw py::value_error("packed codes have 1 to 8 bits; got " + std::to_string(f.bits));
    }
    CheckPackedBlocks(nd, f.bits);
    const size_t bytes = PackedBytes(static_cast<size_t>(x.size()), f.bits);
    py::array q = Output(out, py::dtype::of<uint8_t>(), {bytes}, {&x});
    auto* qdata = MutableDataOf<uint8_t>(q);
    for (size_t b = 0; b < nd.blocks; ++b) {
      WithFloats(t, xdata + b * block * ElementSize(t), [&](auto* p) {
        Run([&](auto&... ex) {
          QuantizePacked(ex..., p, nd.layout, gp, qdata + b * block * f.bits / 8, m);
        });
      });
    }
    return q;
  }
  const py::dtype cd = CodeDtype(dtype, f.bits, f.signedness == Signedness::kSigned);
  py::array q = Output(out, cd, ShapeOf(x), {&x});
  char* qdata = static_cast<char*>(q.mutable_data());
  for (size_t b = 0; b < nd.blocks; ++b) {
    WithFloats(t, xdata + b * block * ElementSize(t), [&](auto* p) {
      WithCodes(cd, qdata + b * block * cd.itemsize(), [&](auto* c) {
        Run([&](auto&... ex) { Quantize(ex..., p, nd.layout, gp, c, m); });
      });
    });
  }
  return q;
}

py::array DequantizePy(const py::object& q_obj, const py::object& params_or_scale,
                       const py::object& zero_point, const py::object& bits,
                       const py::object& is_signed, bool narrow,
                       const py::object& axis, const py::object& group_size,
                       bool packed, const py::object& shape_obj,
                       const py::object& dtype, const py::object& out) {
  const py::array q = Input(q_obj, "q");
  const FloatType t = ParseFloatDtype(dtype);
  std::vector<size_t> shape = ShapeOf(q);
  Format f;
  if (packed) {
    if (shape_obj.is_none()) throw py::type_error("packed codes need shape=");
    shape = shape_obj.cast<std::vector<size_t>>();
    if (bits.is_none() && !py::isinstance<QuantParams>(params_or_scale)) {
      throw py::type_error("packed codes need bits=");
    }
    f = FormatOf(params_or_scale, bits, is_signed, narrow, 8, false);
    CheckBytes(q, "q", PackedBytes(SizeOf(shape), f.bits));
  } else {
    if (!shape_obj.is_none()) throw py::type_error("shape= is for packed codes");
    const py::dtype qd = q.dtype();
    WithCodes(qd, q.data(), [](auto*) {});  // TypeError for other dtypes
    f = FormatOf(params_or_scale, bits, is_signed, narrow,
                 static_cast<int>(qd.itemsize() * 8), qd.kind() == 'i');
  }
  const NdLayout nd = LayoutOf(shape, axis, group_size);
  const ParamArrays pa = ParamArraysOf(params_or_scale, zero_point, nd);
  const GroupParams gp = pa.Params(f.bits, f.signedness, f.narrow);
  if (packed) CheckPackedBlocks(nd, f.bits);
  py::array y = Output(out, NumpyDtype(t), shape, {&q});
  char* ydata = static_cast<char*>(y.mutable_data());
  const size_t block = nd.BlockElements();
  for (size_t b = 0; b < nd.blocks; ++b) {
    WithFloats(t, ydata + b * block * ElementSize(t), [&](auto* p) {
      if (packed) {
        const uint8_t* src = DataOf<uint8_t>(q) + b * block * f.bits / 8;
        Run([&](auto&... ex) { DequantizePacked(ex..., src, nd.layout, gp, p); });
      } else {
        WithCodes(q.dtype(), static_cast<const char*>(q.data()) + b * block * q.itemsize(),
                  [&](auto* c) {
                    Run([&](auto&... ex) { Dequantize(ex..., c, nd.layout, gp, p); });
                  });
      }
    });
  }
  return y;
}

py::tuple QuantizeDynamicPy(const py::object& x_obj, const QuantSpec& spec,
                            const py::object& axis, const py::object& group_size,
                            bool packed, const py::object& scale_dtype,
                            const py::object& dtype) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const NdLayout nd = LayoutOf(ShapeOf(x), axis, group_size);
  if (nd.blocks > 1) {
    throw py::value_error(
        "quantize_dynamic per channel along a middle axis is not a single "
        "layout: use min_max(x, axis=...), params_for_range and quantize");
  }
  const FloatType st = ParseFloatDtype(scale_dtype);
  if (st == FloatType::kBF16) throw py::type_error("scales are float32 or float16");
  py::array scales(NumpyDtype(st), nd.param_shape);
  py::array_t<int32_t> zero_points(nd.param_shape);
  GroupParamsOut o;
  if (st == FloatType::kF16) {
    o.scales_f16 = MutableDataOf<hwy::float16_t>(scales);
  } else {
    o.scales = MutableDataOf<float>(scales);
  }
  o.zero_points = zero_points.mutable_data();
  py::array q;
  if (packed) {
    if (!dtype.is_none()) throw py::type_error("packed codes are bytes: no dtype");
    q = py::array(py::dtype::of<uint8_t>(),
                  std::vector<size_t>{PackedBytes(static_cast<size_t>(x.size()), spec.bits)});
    WithFloats(t, x.data(), [&](auto* p) {
      Run([&](auto&... ex) {
        QuantizeDynamicPacked(ex..., p, nd.layout, spec, o, MutableDataOf<uint8_t>(q));
      });
    });
  } else {
    const bool is_signed = spec.scheme == Scheme::kSymmetric ||
                           spec.signedness == Signedness::kSigned;
    const py::dtype cd = CodeDtype(dtype, spec.bits, is_signed);
    q = py::array(cd, ShapeOf(x));
    WithFloats(t, x.data(), [&](auto* p) {
      WithCodes(cd, q.mutable_data(), [&](auto* c) {
        Run([&](auto&... ex) { QuantizeDynamic(ex..., p, nd.layout, spec, o, c); });
      });
    });
  }
  return py::make_tuple(q, scales, zero_points);
}

ErrorStats MeasureErrorPy(const py::object& x_obj, const QuantParams& p,
                          const std::string& mode) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  const QuantizeMode m = ParseMode(mode);
  return Run([&](auto&... ex) {
    return MeasureError(ex..., DataOf<float>(x), static_cast<size_t>(x.size()), p, m);
  });
}

// --- floating-point codes ---------------------------------------------------

FloatCodeSpec FloatSpecOf(const std::string& format, const std::string& overflow,
                          const std::string& mode, bool packed) {
  FloatCodeSpec s;
  s.format = ParseFloatFormat(format);
  s.overflow = ParseOverflow(overflow);
  s.mode = ParseMode(mode);
  s.packed = packed;
  return s;
}

// The layout of a float-code call, with float32 scales (1 for none given).
struct FloatCall {
  NdLayout nd;
  py::array scales;
};

FloatCall FloatCallOf(const std::vector<size_t>& shape, const py::object& scale,
                      const py::object& axis, const py::object& group_size) {
  FloatCall c;
  c.nd = LayoutOf(shape, axis, group_size);
  if (c.nd.blocks > 1) {
    throw py::value_error(
        "floating-point codes per channel along a middle axis: move that axis "
        "first or last");
  }
  const py::array s = Numpy().attr("asarray")(scale, "float32");
  CheckParamShape(s, c.nd, "scale");
  c.scales = Numpy().attr("ascontiguousarray")(s);
  return c;
}

py::array EncodeFloatPy(const py::object& x_obj, const py::object& scale,
                        const std::string& format, const std::string& overflow,
                        const std::string& mode, bool packed, const py::object& axis,
                        const py::object& group_size, const py::object& out) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const FloatCodeSpec spec = FloatSpecOf(format, overflow, mode, packed);
  const FloatCall c = FloatCallOf(ShapeOf(x), scale, axis, group_size);
  const std::vector<size_t> shape =
      packed ? std::vector<size_t>{FloatCodeBytes(static_cast<size_t>(x.size()), spec)}
             : ShapeOf(x);
  py::array codes = Output(out, py::dtype::of<uint8_t>(), shape, {&x});
  WithFloats(t, x.data(), [&](auto* p) {
    Run([&](auto&... ex) {
      EncodeFloat(ex..., p, c.nd.layout, DataOf<float>(c.scales), spec,
                  MutableDataOf<uint8_t>(codes));
    });
  });
  return codes;
}

py::array DecodeFloatPy(const py::object& codes_obj, const py::object& scale,
                        const std::string& format, bool packed,
                        const py::object& shape_obj, const py::object& axis,
                        const py::object& group_size, const py::object& dtype,
                        const py::object& out) {
  const py::array codes = Input(codes_obj, "codes");
  const FloatCodeSpec spec = FloatSpecOf(format, "saturate", "divide", packed);
  std::vector<size_t> shape = ShapeOf(codes);
  if (packed) {
    if (shape_obj.is_none()) throw py::type_error("packed codes need shape=");
    shape = shape_obj.cast<std::vector<size_t>>();
  } else if (!shape_obj.is_none()) {
    shape = shape_obj.cast<std::vector<size_t>>();
  }
  CheckBytes(codes, "codes", FloatCodeBytes(SizeOf(shape), spec));
  const FloatCall c = FloatCallOf(shape, scale, axis, group_size);
  const FloatType t = ParseFloatDtype(dtype);
  py::array y = Output(out, NumpyDtype(t), shape, {&codes});
  WithFloats(t, y.mutable_data(), [&](auto* p) {
    Run([&](auto&... ex) {
      DecodeFloat(ex..., DataOf<uint8_t>(codes), c.nd.layout, DataOf<float>(c.scales), spec, p);
    });
  });
  return y;
}

ErrorStats MeasureFloatErrorPy(const py::object& x_obj, const py::object& scale,
                               const std::string& format, const std::string& overflow,
                               const std::string& mode, const py::object& axis,
                               const py::object& group_size) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  const FloatCodeSpec spec = FloatSpecOf(format, overflow, mode, false);
  const FloatCall c = FloatCallOf(ShapeOf(x), scale, axis, group_size);
  return Run([&](auto&... ex) {
    return MeasureFloatError(ex..., DataOf<float>(x), c.nd.layout, DataOf<float>(c.scales), spec);
  });
}

// rows x cols of a block-format tensor: the last axis holds the blocks.
std::pair<size_t, size_t> RowsCols(const std::vector<size_t>& shape) {
  if (shape.empty()) throw py::value_error("block formats need at least one axis");
  return {Product(shape, 0, shape.size() - 1), shape.back()};
}

py::tuple EncodeMxPy(const py::object& x_obj, const std::string& format,
                     const std::string& rule) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const std::vector<size_t> shape = ShapeOf(x);
  const auto [rows, cols] = RowsCols(shape);
  const MxFormat f = ParseMxFormat(format);
  const MxScaleRule r = ParseMxRule(rule);
  std::vector<size_t> scale_shape(shape.begin(), shape.end() - 1);
  scale_shape.push_back(cols == 0 ? 0 : (cols - 1) / kMxBlockSize + 1);
  py::array_t<uint8_t> scales(scale_shape);
  py::array_t<uint8_t> elements(std::vector<size_t>{MxElementBytes(f, rows * cols)});
  WithFloats(t, x.data(), [&](auto* p) {
    Run([&](auto&... ex) {
      EncodeMx(ex..., p, rows, cols, f, scales.mutable_data(), elements.mutable_data(), r);
    });
  });
  return py::make_tuple(scales, elements);
}

py::array DecodeMxPy(const py::object& scales_obj, const py::object& elements_obj,
                     const std::vector<size_t>& shape, const std::string& format,
                     const py::object& dtype) {
  const py::array scales = Input(scales_obj, "scales");
  const py::array elements = Input(elements_obj, "elements");
  const auto [rows, cols] = RowsCols(shape);
  const MxFormat f = ParseMxFormat(format);
  CheckBytes(scales, "scales", MxScaleCount(rows, cols));
  CheckBytes(elements, "elements", MxElementBytes(f, rows * cols));
  const FloatType t = ParseFloatDtype(dtype);
  py::array y(NumpyDtype(t), shape);
  WithFloats(t, y.mutable_data(), [&](auto* p) {
    Run([&](auto&... ex) {
      DecodeMx(ex..., DataOf<uint8_t>(scales), DataOf<uint8_t>(elements), rows, cols, f, p);
    });
  });
  return y;
}

ErrorStats MeasureMxErrorPy(const py::object& x_obj, const std::string& format,
                            const std::string& rule) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  const auto [rows, cols] = RowsCols(ShapeOf(x));
  const MxFormat f = ParseMxFormat(format);
  const MxScaleRule r = ParseMxRule(rule);
  return Run([&](auto&... ex) { return MeasureMxError(ex..., DataOf<float>(x), rows, cols, f, r); });
}

float TensorScaleOf(const py::array& x, const py::object& tensor_scale) {
  if (!tensor_scale.is_none()) return tensor_scale.cast<float>();
  const auto range = MinMaxPy(x, py::none(), py::none()).cast<std::pair<float, float>>();
  return NvFp4TensorScale(std::max(std::fabs(range.first), std::fabs(range.second)));
}

py::tuple EncodeNvFp4Py(const py::object& x_obj, const py::object& tensor_scale) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const std::vector<size_t> shape = ShapeOf(x);
  const auto [rows, cols] = RowsCols(shape);
  const float ts = TensorScaleOf(x, tensor_scale);
  std::vector<size_t> scale_shape(shape.begin(), shape.end() - 1);
  scale_shape.push_back(cols == 0 ? 0 : (cols - 1) / kNvFp4BlockSize + 1);
  py::array_t<uint8_t> scales(scale_shape);
  py::array_t<uint8_t> elements(std::vector<size_t>{PackedBytes(rows * cols, 4)});
  WithFloats(t, x.data(), [&](auto* p) {
    Run([&](auto&... ex) {
      EncodeNvFp4(ex..., p, rows, cols, ts, scales.mutable_data(), elements.mutable_data());
    });
  });
  return py::make_tuple(scales, elements, ts);
}

py::array DecodeNvFp4Py(const py::object& scales_obj, const py::object& elements_obj,
                        float tensor_scale, const std::vector<size_t>& shape,
                        const py::object& dtype) {
  const py::array scales = Input(scales_obj, "block_scales");
  const py::array elements = Input(elements_obj, "elements");
  const auto [rows, cols] = RowsCols(shape);
  CheckBytes(scales, "block_scales", NvFp4ScaleCount(rows, cols));
  CheckBytes(elements, "elements", PackedBytes(rows * cols, 4));
  const FloatType t = ParseFloatDtype(dtype);
  py::array y(NumpyDtype(t), shape);
  WithFloats(t, y.mutable_data(), [&](auto* p) {
    Run([&](auto&... ex) {
      DecodeNvFp4(ex..., DataOf<uint8_t>(scales), DataOf<uint8_t>(elements), rows, cols,
                  tensor_scale, p);
    });
  });
  return y;
}

// --- GGUF blocks ------------------------------------------------------------

py::array GgufEncodePy(const py::object& x_obj, const std::string& type,
                       const py::object& importance_obj) {
  const py::array x = Input(x_obj, "x");
  const FloatType t = FloatTypeOf(x, "x");
  const gguf::BlockType bt = ParseBlockType(type);
  const auto [rows, cols] = RowsCols(ShapeOf(x));
  std::vector<size_t> shape(x.shape(), x.shape() + x.ndim() - 1);
  shape.push_back(gguf::RowBytes(bt, cols));
  if (cols % gguf::BlockSize(bt) != 0) {
    throw py::value_error("the last axis (" + std::to_string(cols) +
                          ") must be a multiple of " + type + "'s block of " +
                          std::to_string(gguf::BlockSize(bt)));
  }
  py::array importance;
  const float* w = nullptr;
  if (!importance_obj.is_none()) {
    importance = Input(importance_obj, "importance");
    RequireFloat32(importance, "importance");
    if (static_cast<size_t>(importance.size()) != cols) {
      throw py::value_error("importance needs one weight per column (" +
                            std::to_string(cols) + "); got " +
                            std::to_string(importance.size()));
    }
    w = DataOf<float>(importance);
  }
  py::array blocks(py::dtype::of<uint8_t>(), shape);
  WithFloats(t, x.data(), [&](auto* p) {
    Run([&](auto&... ex) {
      gguf::EncodeRows(ex..., bt, p, rows, cols, w, blocks.mutable_data());
    });
  });
  return blocks;
}

py::array GgufDecodePy(const py::object& blocks_obj, const std::string& type,
                       const std::vector<size_t>& shape, const py::object& dtype) {
  const py::array blocks = Input(blocks_obj, "blocks");
  const gguf::BlockType bt = ParseBlockType(type);
  const size_t n = SizeOf(shape);
  if (shape.empty() || shape.back() % gguf::BlockSize(bt) != 0) {
    throw py::value_error("the last axis of shape must be a multiple of " + type +
                          "'s block of " + std::to_string(gguf::BlockSize(bt)));
  }
  CheckBytes(blocks, "blocks", gguf::RowBytes(bt, n));
  const FloatType t = ParseFloatDtype(dtype);
  py::array y(NumpyDtype(t), shape);
  WithFloats(t, y.mutable_data(), [&](auto* p) {
    Run([&](auto&... ex) { gguf::Decode(ex..., bt, blocks.data(), n, p); });
  });
  return y;
}

// --- bfloat16 / float16 ------------------------------------------------------

py::array ToF32Py(const py::object& x_obj, FloatType from) {
  const py::array x = Input(x_obj, "x");
  if (FloatTypeOf(x, "x") != from) {
    throw py::type_error(std::string("x must be ") +
                         (from == FloatType::kF16 ? "float16" : "uint16 (bfloat16 bits)") +
                         "; got " + DtypeName(x));
  }
  py::array y(py::dtype::of<float>(), ShapeOf(x));
  py::gil_scoped_release release;
  WithFloats(from, x.data(), [&](auto* p) {
    if constexpr (!std::is_same_v<decltype(p), const float*>) {
      ConvertToF32(p, static_cast<size_t>(x.size()), MutableDataOf<float>(y));
    }
  });
  return y;
}

py::array FromF32Py(const py::object& x_obj, FloatType to) {
  const py::array x = Input(x_obj, "x");
  RequireFloat32(x, "x");
  py::array y(NumpyDtype(to), ShapeOf(x));
  py::gil_scoped_release release;
  WithFloats(to, y.mutable_data(), [&](auto* p) {
    if constexpr (!std::is_same_v<decltype(p), float*>) {
      ConvertFromF32(DataOf<float>(x), static_cast<size_t>(x.size()), p);
    }
  });
  return y;
}

std::string Repr(const QuantParams& p) {
  return "QuantParams(scale=" + py::repr(py::float_(p.scale)).cast<std::string>() +
         ", zero_point=" + std::to_string(p.zero_point) + ", bits=" + std::to_string(p.bits) +
         ", signed=" + (p.signedness == Signedness::kSigned ? "True" : "False") +
         ", narrow_range=" + (p.narrow_range ? "True" : "False") + ")";
}

}  // namespace
}  // namespace python
}  // namespace simdquant

PYBIND11_MODULE(_native, m) {
  using namespace simdquant;          // NOLINT: the module body only
  using namespace simdquant::python;  // NOLINT
  m.doc() = "simdquant's kernels over NumPy arrays (see the package simdquant).";

  py::class_<QuantParams>(m, "QuantParams",
                          "Affine parameters: x ~= (q - zero_point) * scale.")
      .def(py::init([](float scale, int32_t zero_point, int bits, bool is_signed,
                       bool narrow_range) {
             QuantParams p;
             p.scale = scale;
             p.zero_point = zero_point;
             p.bits = bits;
             p.signedness = is_signed ? Signedness::kSigned : Signedness::kUnsigned;
             p.narrow_range = narrow_range;
             ValidateParams(p);
             return p;
           }),
           py::arg("scale"), py::arg("zero_point") = 0, py::arg("bits") = 8,
           py::arg("signed") = false, py::arg("narrow_range") = false)
      .def_readonly("scale", &QuantParams::scale)
      .def_readonly("zero_point", &QuantParams::zero_point)
      .def_readonly("bits", &QuantParams::bits)
      .def_property_readonly("signed",
                             [](const QuantParams& p) { return p.signedness == Signedness::kSigned; })
      .def_readonly("narrow_range", &QuantParams::narrow_range)
      .def_property_readonly("qmin", [](const QuantParams& p) {
        return CodeRangeOf(p.bits, p.signedness, p.narrow_range).min;
      })
      .def_property_readonly("qmax", [](const QuantParams& p) {
        return CodeRangeOf(p.bits, p.signedness, p.narrow_range).max;
      })
      .def("__repr__", &Repr)
      .def("__eq__", [](const QuantParams& a, const QuantParams& b) {
        return a.scale == b.scale && a.zero_point == b.zero_point && a.bits == b.bits &&
               a.signedness == b.signedness && a.narrow_range == b.narrow_range;
      });

  py::class_<QuantSpec>(m, "QuantSpec", "What to calibrate for (calibrate.h).")
      .def(py::init([](int bits, const std::string& scheme, const py::object& is_signed,
                       bool narrow_range, const std::string& symmetric_scale,
                       const std::string& mode) {
             QuantSpec s;
             s.bits = bits;
             s.scheme = ParseScheme(scheme);
             // Symmetric codes are signed: the default follows the scheme.
             const bool sign = is_signed.is_none() ? s.scheme == Scheme::kSymmetric
                                                   : is_signed.cast<bool>();
             s.signedness = sign ? Signedness::kSigned : Signedness::kUnsigned;
             s.narrow_range = narrow_range;
             s.symmetric_scale = ParseSymmetricScale(symmetric_scale);
             s.mode = ParseMode(mode);
             return s;
           }),
           py::arg("bits") = 8, py::arg("scheme") = "asymmetric", py::arg("signed") = py::none(),
           py::arg("narrow_range") = false, py::arg("symmetric_scale") = "qmax",
           py::arg("mode") = "divide")
      .def_readonly("bits", &QuantSpec::bits)
      .def_property_readonly("signed",
                             [](const QuantSpec& s) { return s.signedness == Signedness::kSigned; })
      .def_readonly("narrow_range", &QuantSpec::narrow_range)
      .def_property_readonly("scheme", [](const QuantSpec& s) {
        return s.scheme == Scheme::kAsymmetric ? "asymmetric" : "symmetric";
      })
      .def_property_readonly("mode", [](const QuantSpec& s) { return ModeName(s.mode); })
      .def("__repr__", [](const QuantSpec& s) {
        return std::string("QuantSpec(bits=") + std::to_string(s.bits) + ", scheme='" +
               (s.scheme == Scheme::kAsymmetric ? "asymmetric" : "symmetric") +
               "', signed=" + (s.signedness == Signedness::kSigned ? "True" : "False") +
               ", narrow_range=" + (s.narrow_range ? "True" : "False") + ", mode='" +
               ModeName(s.mode) + "')";
      });

  py::class_<ErrorStats>(m, "ErrorStats", "mse, max_abs_error and sqnr_db (in dB).")
      .def_readonly("mse", &ErrorStats::mse)
      .def_readonly("max_abs_error", &ErrorStats::max_abs_error)
      .def_readonly("sqnr_db", &ErrorStats::sqnr_db)
      .def("__repr__", [](const ErrorStats& e) {
        return "ErrorStats(mse=" + py::repr(py::float_(e.mse)).cast<std::string>() +
               ", max_abs_error=" + py::repr(py::float_(e.max_abs_error)).cast<std::string>() +
               ", sqnr_db=" + py::repr(py::float_(e.sqnr_db)).cast<std::string>() + ")";
      });

  // Targets and threads.
  m.def("available_targets", [] {
    std::vector<std::string> names;
    for (const Target& t : AvailableTargets()) names.push_back(t.name);
    return names;
  });
  m.def("active_target", [] { return ActiveTarget().name; });
  m.def("restrict_to_target", &RestrictToTarget, py::arg("name") = "");
  m.def(
      "set_num_threads",
      [](size_t threads) {
        if (threads == 0) throw py::value_error("threads must be >= 1");
        Pool() = threads > 1 ? std::make_shared<ThreadPool>(threads) : nullptr;
      },
      py::arg("threads"));
  m.def("get_num_threads", [] {
    return Pool() ? Pool()->Concurrency() : size_t{1};
  });
  m.def("cpu_count", [] { return std::max(1u, std::thread::hardware_concurrency()); });

  // Calibration.
  m.def("min_max", &MinMaxPy, py::arg("x"), py::kw_only(), py::arg("axis") = py::none(),
        py::arg("group_size") = py::none());
  m.def("abs_max", &AbsMaxPy, py::arg("x"));
  m.def("percentile_range", &PercentileRangePy, py::arg("x"), py::arg("lower"),
        py::arg("upper"));
  m.def("percentile", &PercentilePy, py::arg("x"), py::arg("q"));
  m.def("code_range", [](int bits, bool is_signed, bool narrow_range) {
    const CodeRange r = CodeRangeOf(bits, is_signed ? Signedness::kSigned : Signedness::kUnsigned,
                                    narrow_range);
    return py::make_tuple(r.min, r.max);
  }, py::arg("bits"), py::arg("signed") = false, py::arg("narrow_range") = false);
  m.def(
      "choose_asymmetric_params",
      [](float min, float max, int bits, bool is_signed, bool narrow_range) {
        return ChooseAsymmetricParams(
            min, max, bits, is_signed ? Signedness::kSigned : Signedness::kUnsigned, narrow_range);
      },
      py::arg("min"), py::arg("max"), py::arg("bits") = 8, py::arg("signed") = false,
      py::arg("narrow_range") = false);
  m.def("choose_symmetric_params", &ChooseSymmetricParams, py::arg("min"), py::arg("max"),
        py::arg("bits") = 8, py::arg("narrow_range") = false);
  m.def("params_for_range", &ParamsForRange, py::arg("min"), py::arg("max"),
        py::arg("spec") = QuantSpec());
  m.def(
      "calibrate_minmax",
      [](const py::object& x, const QuantSpec& spec) {
        return CalibratePy(x, [&](const float* p, size_t n, auto&... ex) {
          return CalibrateMinMax(ex..., p, n, spec);
        });
      },
      py::arg("x"), py::arg("spec") = QuantSpec());
  m.def(
      "calibrate_percentile",
      [](const py::object& x, double pct, const QuantSpec& spec) {
        return CalibratePy(x, [&](const float* p, size_t n, auto&... ex) {
          return CalibratePercentile(ex..., p, n, pct, spec);
        });
      },
      py::arg("x"), py::arg("pct"), py::arg("spec") = QuantSpec());
  m.def(
      "calibrate_mse",
      [](const py::object& x, const QuantSpec& spec) {
        return CalibratePy(x, [&](const float* p, size_t n, auto&... ex) {
          return CalibrateMse(ex..., p, n, spec);
        });
      },
      py::arg("x"), py::arg("spec") = QuantSpec());

  // Integer codes.
  m.def("quantize", &QuantizePy, py::arg("x"), py::arg("scale"),
        py::arg("zero_point") = py::none(), py::arg("bits") = py::none(),
        py::arg("signed") = py::none(), py::arg("narrow_range") = false, py::kw_only(),
        py::arg("mode") = "divide", py::arg("axis") = py::none(),
        py::arg("group_size") = py::none(), py::arg("packed") = false,
        py::arg("dtype") = py::none(), py::arg("out") = py::none());
  m.def("dequantize", &DequantizePy, py::arg("q"), py::arg("scale"),
        py::arg("zero_point") = py::none(), py::arg("bits") = py::none(),
        py::arg("signed") = py::none(), py::arg("narrow_range") = false, py::kw_only(),
        py::arg("axis") = py::none(), py::arg("group_size") = py::none(),
        py::arg("packed") = false, py::arg("shape") = py::none(),
        py::arg("dtype") = "float32", py::arg("out") = py::none());
  m.def("quantize_dynamic", &QuantizeDynamicPy, py::arg("x"), py::arg("spec") = QuantSpec(),
        py::kw_only(), py::arg("axis") = py::none(), py::arg("group_size") = py::none(),
        py::arg("packed") = false, py::arg("scale_dtype") = "float32",
        py::arg("dtype") = py::none());
  m.def("measure_error", &MeasureErrorPy, py::arg("x"), py::arg("params"),
        py::kw_only(), py::arg("mode") = "divide");

  // Floating-point codes.
  m.def("encode_float", &EncodeFloatPy, py::arg("x"), py::arg("scale") = 1.0f,
        py::arg("format") = "E4M3FN", py::kw_only(), py::arg("overflow") = "saturate",
        py::arg("mode") = "divide", py::arg("packed") = false, py::arg("axis") = py::none(),
        py::arg("group_size") = py::none(), py::arg("out") = py::none());
  m.def("decode_float", &DecodeFloatPy, py::arg("codes"), py::arg("scale") = 1.0f,
        py::arg("format") = "E4M3FN", py::kw_only(), py::arg("packed") = false,
        py::arg("shape") = py::none(), py::arg("axis") = py::none(),
        py::arg("group_size") = py::none(), py::arg("dtype") = "float32",
        py::arg("out") = py::none());
  m.def("measure_float_error", &MeasureFloatErrorPy, py::arg("x"), py::arg("scale") = 1.0f,
        py::arg("format") = "E4M3FN", py::kw_only(), py::arg("overflow") = "saturate",
        py::arg("mode") = "divide", py::arg("axis") = py::none(),
        py::arg("group_size") = py::none());
  m.def("float_format_max", [](const std::string& f) { return FloatFormatMax(ParseFloatFormat(f)); },
        py::arg("format"));
  m.def("decode_float_code",
        [](const std::string& f, uint8_t code) { return DecodeFloatCode(ParseFloatFormat(f), code); },
        py::arg("format"), py::arg("code"));
  m.def("encode_mx", &EncodeMxPy, py::arg("x"), py::arg("format") = "MXFP4",
        py::kw_only(), py::arg("rule") = "floor");
  m.def("decode_mx", &DecodeMxPy, py::arg("scales"), py::arg("elements"), py::arg("shape"),
        py::arg("format") = "MXFP4", py::kw_only(), py::arg("dtype") = "float32");
  m.def("measure_mx_error", &MeasureMxErrorPy, py::arg("x"), py::arg("format") = "MXFP4",
        py::kw_only(), py::arg("rule") = "floor");
  m.def("nvfp4_tensor_scale", &NvFp4TensorScale, py::arg("amax"));
  m.def("encode_nvfp4", &EncodeNvFp4Py, py::arg("x"), py::arg("tensor_scale") = py::none());
  m.def("decode_nvfp4", &DecodeNvFp4Py, py::arg("block_scales"), py::arg("elements"),
        py::arg("tensor_scale"), py::arg("shape"), py::kw_only(),
        py::arg("dtype") = "float32");
  m.def(
      "measure_nvfp4_error",
      [](const py::object& x_obj, const py::object& tensor_scale) {
        const py::array x = Input(x_obj, "x");
        RequireFloat32(x, "x");
        const auto [rows, cols] = RowsCols(ShapeOf(x));
        const float ts = TensorScaleOf(x, tensor_scale);
        return Run([&](auto&... ex) {
          return MeasureNvFp4Error(ex..., DataOf<float>(x), rows, cols, ts);
        });
      },
      py::arg("x"), py::arg("tensor_scale") = py::none());

  // GGUF.
  m.def("gguf_encode", &GgufEncodePy, py::arg("x"), py::arg("type"),
        py::arg("importance") = py::none());
  m.def("gguf_decode", &GgufDecodePy, py::arg("blocks"), py::arg("type"), py::arg("shape"),
        py::kw_only(), py::arg("dtype") = "float32");
  m.def("gguf_block_size", [](const std::string& t) { return gguf::BlockSize(ParseBlockType(t)); },
        py::arg("type"));
  m.def("gguf_row_bytes",
        [](const std::string& t, size_t n) { return gguf::RowBytes(ParseBlockType(t), n); },
        py::arg("type"), py::arg("n"));

  // Conversions.
  m.def("bfloat16_to_float32", [](const py::object& x) { return ToF32Py(x, FloatType::kBF16); },
        py::arg("bits"));
  m.def("float16_to_float32", [](const py::object& x) { return ToF32Py(x, FloatType::kF16); },
        py::arg("x"));
  m.def("float32_to_bfloat16", [](const py::object& x) { return FromF32Py(x, FloatType::kBF16); },
        py::arg("x"));
  m.def("float32_to_float16", [](const py::object& x) { return FromF32Py(x, FloatType::kF16); },
        py::arg("x"));
}
