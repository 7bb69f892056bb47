// tensor.h on every target against the reference, bit for bit: per-tensor,
// per-row, per-column and per-group layouts of fuzzed shapes; float, bf16
// and f16 tensors; container and packed codes; given and dynamic parameters;
// Pack / Unpack. Invalid arguments must throw std::invalid_argument on every
// target exactly when the reference throws.
#include <stdint.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "simdquant/reference.h"
#include "simdquant/tensor.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

namespace {

Layout DecodeLayout(FuzzInput& in) {
  const size_t rows = in.Byte() % 6 + 1;
  const size_t cols = in.Byte() % 90 + 1;
  switch (in.Byte() % 5) {
    case 0: return Layout::PerTensor(rows * cols);
    case 1: return Layout::PerRow(rows, cols);
    case 2: return Layout::PerColumn(rows, cols);
    case 3: return Layout::PerGroup(rows, cols, in.Byte() % 40 + 1);
    default:  // maybe invalid
      switch (in.Byte() % 4) {
        case 0: {
          Layout l{rows, cols, static_cast<Granularity>(in.Byte() % 5),
                   static_cast<size_t>(in.Byte() % 3)};
          return l;
        }
        case 1:  // GPTQ's group_size -1 cast to size_t, and near it
          return Layout::PerGroup(rows, cols, SIZE_MAX - in.Byte() % 3);
        case 2:  // just larger than the row
          return Layout::PerGroup(rows, cols, cols + in.Byte() % 3);
        default: {  // rows * cols wraps around to a small count
          Layout l{(size_t{1} << (62 + in.Byte() % 2)) + rows, 4 * cols,
                   static_cast<Granularity>(in.Byte() % 4),
                   in.Bool() ? size_t{32} : size_t{0}};
          return l;
        }
      }
  }
}

// Parameter sets to allocate: a layout whose counts wrap is an error for
// every kernel, so a few sets stand in for its (huge) count.
size_t SetsFor(const Layout& layout) {
  try {
    ValidateLayout(layout);
    return layout.NumParams();
  } catch (const std::invalid_argument&) {
    return std::min<size_t>(layout.NumParams(), 8);
  }
}

// Per-set parameters around a fuzzed base: scales scaled by powers of two,
// zero points anywhere in (or, rarely, outside) the code range.
struct Params {
  std::vector<float> scales;
  std::vector<hwy::float16_t> scales_f16;
  std::vector<int32_t> zero_points;
  GroupParams group;

  Params(FuzzInput& in, const QuantParams& base, size_t count) {
    const bool f16 = in.Bool();
    const bool symmetric = in.Byte() % 4 == 0;
    int32_t lo = 0, hi = 0;
    try {
      const CodeRange r =
          CodeRangeOf(base.bits, base.signedness, base.narrow_range);
      lo = r.min;
      hi = r.max;
    } catch (const std::invalid_argument&) {
    }
    for (size_t k = 0; k < count; ++k) {
      const float s = std::ldexp(base.scale, static_cast<int>(in.Byte() % 9) - 4);
      scales.push_back(s);
      scales_f16.push_back(reference::F16FromF32(s));
      const uint32_t span = static_cast<uint32_t>(hi - lo) + 1;
      zero_points.push_back(in.Byte() == 255 ? hi + 1
                                             : lo + static_cast<int32_t>(
                                                        in.U32() % span));
    }
    group.bits = base.bits;
    group.signedness = base.signedness;
    group.narrow_range = base.narrow_range;
    if (f16) {
      group.scales_f16 = scales_f16.data();
    } else {
      group.scales = scales.data();
    }
    if (!symmetric) group.zero_points = zero_points.data();
  }
};

template <typename T>
bool SameValue(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, MinMaxResult>) {  // zeros of either sign
    return (SameBits(a.min, b.min) || a.min == b.min) &&
           (SameBits(a.max, b.max) || a.max == b.max);
  } else if constexpr (std::is_same_v<T, float>) {
    return SameBits(a, b);
  } else if constexpr (std::is_same_v<T, hwy::float16_t> ||
                       std::is_same_v<T, hwy::bfloat16_t>) {
    return a.bits == b.bits;
  } else {
    return a == b;
  }
}

// Runs op(out) with the reference and with every target; outputs (exact-size
// vectors, so ASan guards their ends) and throw/no-throw must agree.
template <typename TOut, class Ref, class Op>
void Compare(size_t n, const char* what, const Ref& ref, const Op& op) {
  std::vector<TOut> want(n);
  bool want_throws = false;
  try {
    ref(want.data());
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  ForEachTarget([&](const Target& t) {
    std::vector<TOut> got(n);
    try {
      op(got.data());
      if (want_throws) Mismatch(what, t, 0);
    } catch (const std::invalid_argument&) {
      if (!want_throws) Mismatch(what, t, 0);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (!SameValue(got[i], want[i])) Mismatch(what, t, i);
    }
  });
}

template <typename TIn>
std::vector<TIn> Narrow(const std::vector<float>& x) {
  std::vector<TIn> out(x.size());
  std::transform(x.begin(), x.end(), out.begin(), reference::FromF32<TIn>);
  return out;
}

template <typename TIn, typename T>
void CheckLayout(FuzzInput& in, const Layout& layout, const QuantParams& base,
                 QuantizeMode mode) {
  const size_t n = layout.NumElements();
  Params params(in, base, SetsFor(layout));
  const GroupParams& p = params.group;
  std::vector<float> xf = in.FloatsFor(base);
  xf.resize(n);  // zero-filled when the input ran out
  const std::vector<TIn> x = Narrow<TIn>(xf);
  const size_t packed_bytes = PackedBytes(n, p.bits);

  Compare<T>(n, "Quantize",
             [&](T* q) { reference::Quantize(x.data(), layout, p, q, mode); },
             [&](T* q) { Quantize(x.data(), layout, p, q, mode); });
  Compare<uint8_t>(
      packed_bytes, "QuantizePacked",
      [&](uint8_t* q) {
        reference::QuantizePacked(x.data(), layout, p, q, mode);
      },
      [&](uint8_t* q) { QuantizePacked(x.data(), layout, p, q, mode); });

  std::vector<T> codes(n);
  for (size_t i = 0; i < n; ++i) codes[i] = static_cast<T>(in.U32());
  Compare<TIn>(n, "Dequantize",
               [&](TIn* y) { reference::Dequantize(codes.data(), layout, p, y); },
               [&](TIn* y) { Dequantize(codes.data(), layout, p, y); });
  std::vector<uint8_t> packed(packed_bytes);
  for (uint8_t& b : packed) b = in.Byte();
  Compare<TIn>(
      n, "DequantizePacked",
      [&](TIn* y) { reference::DequantizePacked(packed.data(), layout, p, y); },
      [&](TIn* y) { DequantizePacked(packed.data(), layout, p, y); });

  const size_t sets = SetsFor(layout);
  Compare<MinMaxResult>(
      sets, "MinMax",
      [&](MinMaxResult* r) { reference::MinMax(x.data(), layout, r); },
      [&](MinMaxResult* r) { MinMax(x.data(), layout, r); });

  // Dynamic: the chosen parameters and the codes, via one output buffer
  // holding [codes | packed | scale bits | zero points].
  QuantSpec spec;
  spec.bits = base.bits;
  spec.signedness = base.signedness;
  spec.narrow_range = base.narrow_range;
  spec.mode = mode;
  spec.scheme = in.Bool() ? Scheme::kSymmetric : Scheme::kAsymmetric;
  spec.symmetric_scale =
      in.Bool() ? SymmetricScale::kHalfCodeRange : SymmetricScale::kQmax;
  const bool f16 = in.Bool();
  const size_t total = n * sizeof(T) + packed_bytes + sets * 8;
  const auto run = [&](uint8_t* o, bool ref) {
    std::vector<float> scales(sets);
    std::vector<hwy::float16_t> scales_f16(sets);
    std::vector<int32_t> zps(sets);
    GroupParamsOut out;
    if (f16) {
      out.scales_f16 = scales_f16.data();
    } else {
      out.scales = scales.data();
    }
    out.zero_points = zps.data();
    std::vector<T> q(n);
    std::vector<uint8_t> qp(packed_bytes);
    if (ref) {
      reference::QuantizeDynamic(x.data(), layout, spec, out, q.data());
      if (spec.bits <= 8) {
        reference::QuantizeDynamicPacked(x.data(), layout, spec, out,
                                         qp.data());
      }
    } else {
      QuantizeDynamic(x.data(), layout, spec, out, q.data());
      if (spec.bits <= 8) {
        QuantizeDynamicPacked(x.data(), layout, spec, out, qp.data());
      }
    }
    memcpy(o, q.data(), n * sizeof(T));
    if (packed_bytes != 0) memcpy(o + n * sizeof(T), qp.data(), packed_bytes);
    for (size_t k = 0; k < sets; ++k) {
      const float s = f16 ? reference::F32FromF16(scales_f16[k]) : scales[k];
      memcpy(o + n * sizeof(T) + packed_bytes + 8 * k, &s, 4);
      memcpy(o + n * sizeof(T) + packed_bytes + 8 * k + 4, &zps[k], 4);
    }
  };
  Compare<uint8_t>(total, "QuantizeDynamic",
                   [&](uint8_t* o) { run(o, true); },
                   [&](uint8_t* o) { run(o, false); });
}

void CheckPack(FuzzInput& in) {
  const int bits = static_cast<int>(in.Byte() % 10);
  const bool is_signed = in.Bool();
  const size_t n = in.Byte() * 4u + in.Byte() % 4;
  std::vector<uint8_t> raw(n);
  for (uint8_t& b : raw) {
    b = in.Byte();
    if (in.Byte() != 0 && bits > 0 && bits < 8) b &= (1u << bits) - 1;
  }
  const size_t bytes = PackedBytes(n, bits);
  if (is_signed) {
    std::vector<int8_t> codes(raw.begin(), raw.end());
    for (int8_t& c : codes) {  // sign-extend most codes into range
      if (bits >= 2 && bits < 8 && (c & (1 << (bits - 1)))) {
        c = static_cast<int8_t>(c - (1 << bits));
      }
    }
    Compare<uint8_t>(
        bytes, "Pack",
        [&](uint8_t* o) { reference::Pack(codes.data(), n, bits, o); },
        [&](uint8_t* o) { Pack(codes.data(), n, bits, o); });
    Compare<int8_t>(
        n, "Unpack",
        [&](int8_t* o) { reference::Unpack(raw.data(), n, bits, o); },
        [&](int8_t* o) {
          std::vector<uint8_t> src(raw.begin(), raw.begin() + bytes);
          Unpack(src.data(), n, bits, o);
        });
  } else {
    Compare<uint8_t>(
        bytes, "Pack",
        [&](uint8_t* o) { reference::Pack(raw.data(), n, bits, o); },
        [&](uint8_t* o) { Pack(raw.data(), n, bits, o); });
    Compare<uint8_t>(
        n, "Unpack",
        [&](uint8_t* o) { reference::Unpack(raw.data(), n, bits, o); },
        [&](uint8_t* o) {
          std::vector<uint8_t> src(raw.begin(), raw.begin() + bytes);
          Unpack(src.data(), n, bits, o);
        });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint8_t op = in.Byte();
  if (op % 8 == 0) {
    CheckPack(in);
    return 0;
  }
  const Layout layout = DecodeLayout(in);
  const QuantParams base = in.Params();
  const QuantizeMode mode = static_cast<QuantizeMode>(in.Byte() % 3);
  const uint8_t types = in.Byte();
  const auto with_input = [&](auto code_tag) {
    using T = decltype(code_tag);
    switch (types / 4 % 3) {
      case 0: return CheckLayout<float, T>(in, layout, base, mode);
      case 1: return CheckLayout<hwy::bfloat16_t, T>(in, layout, base, mode);
      default: return CheckLayout<hwy::float16_t, T>(in, layout, base, mode);
    }
  };
  switch (types % 4) {
    case 0: with_input(uint8_t()); break;
    case 1: with_input(int8_t()); break;
    case 2: with_input(uint16_t()); break;
    default: with_input(int16_t()); break;
  }
  return 0;
}
