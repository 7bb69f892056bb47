// Real weights: per-channel and per-group parameters, packed sub-byte codes,
// and bfloat16 / float16 tensors.
//
// A tensor here is row-major [rows x cols]; a Layout says which of its
// elements share one (scale, zero point). Every kernel below is dispatched at
// run time like those of simdquant.h, is bit-identical on every target to the
// one of the same name in reference.h, and has the same error behaviour
// (std::invalid_argument naming the parameter; nothing outside the given
// arrays is read or written; inputs are never modified).
#ifndef SIMDQUANT_TENSOR_H_
#define SIMDQUANT_TENSOR_H_

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

#include "hwy/base.h"  // hwy::bfloat16_t, hwy::float16_t
#include "simdquant/calibrate.h"
#include "simdquant/simdquant.h"

namespace simdquant {

// ---------------------------------------------------------------------------
// bfloat16 / float16 arrays
//
// hwy::bfloat16_t and hwy::float16_t are 16-bit bit patterns (member .bits);
// from raw uint16_t data, reinterpret_cast the pointer (same size and
// layout), as for torch's or numpy's 16-bit tensors.
// These convert whole arrays, dispatched like the kernels and bit-identical
// on every target to reference::F32FromBF16 / BF16FromF32 / F32FromF16 /
// F16FromF32: widening is exact; narrowing rounds to nearest even (Highway
// 1.0.3's BF16FromF32 and its bfloat16 DemoteTo truncate), overflows to
// +-Inf and keeps -0 and subnormals. Both ways a NaN becomes the quiet NaN
// of its sign, payload dropped (0x7FC00000, 0x7FC0, 0x7E00 with the sign
// bit): hardware and numpy differ on payloads, so no target's habit leaks
// out. x and y must not overlap.
void ConvertToF32(const hwy::bfloat16_t* x, size_t n, float* y);
void ConvertToF32(const hwy::float16_t* x, size_t n, float* y);
void ConvertFromF32(const float* x, size_t n, hwy::bfloat16_t* y);
void ConvertFromF32(const float* x, size_t n, hwy::float16_t* y);

// ---------------------------------------------------------------------------
// Packed codes
//
// Codes of 1..8 bits packed densely, least significant bit first: element i's
// code occupies bits [i * bits, (i + 1) * bits) of the little-endian
// bitstream (bit j of the stream is bit j % 8 of byte j / 8). Signed codes are
// stored as their two's complement bits-bit pattern. The unused high bits of
// the last byte are zero. The format does not depend on the target. For
// bits = 4 this is ONNX's int4/uint4 layout (element 0 in the low nibble of
// byte 0); see the README for byte diagrams.

// Bytes of n packed codes of `bits` bits: ceil(n * bits / 8). Computed
// without overflow for every n; bits must be in [1, 8] (0 otherwise).
constexpr size_t PackedBytes(size_t n, int bits) {
  return bits < 1 || bits > 8
             ? 0
             : n / 8 * static_cast<size_t>(bits) +
                   (n % 8 * static_cast<size_t>(bits) + 7) / 8;
}

// Packs codes[0, n) (each within the `bits`-bit range of its type: [0,
// 2^bits) unsigned, [-2^(bits-1), 2^(bits-1)) signed) into
// packed[0, PackedBytes(n, bits)). Throws, before writing anything, if a
// code is out of range.
void Pack(const uint8_t* codes, size_t n, int bits, uint8_t* packed);
void Pack(const int8_t* codes, size_t n, int bits, uint8_t* packed);

// Inverse of Pack: signed codes are sign-extended from `bits` bits.
void Unpack(const uint8_t* packed, size_t n, int bits, uint8_t* codes);
void Unpack(const uint8_t* packed, size_t n, int bits, int8_t* codes);

// ---------------------------------------------------------------------------
// Layouts
//
// Layouts are 2-D. An N-D tensor of shape (d0, ..., dk-1), row-major, maps
// onto them without copies:
//   per tensor:             PerTensor(d0 * ... * dk-1)
//   per group along the last axis (GPTQ, AWQ, GGUF):
//                           PerGroup(d0 * ... * dk-2, dk-1, group_size)
//   per channel, axis 0 (conv weights OIHW, linear weights [out, in]):
//                           PerRow(d0, d1 * ... * dk-1)
//   per channel, last axis (activations [..., channels]):
//                           PerColumn(d0 * ... * dk-2, dk-1)
//   per channel, a middle axis a: for each of the d0 * ... * da-1 leading
//   blocks (contiguous, da * (da+1 * ... * dk-1) elements each), PerRow(da,
//   da+1 * ... * dk-1) with the same parameter arrays; ranges of MinMax
//   combine block by block (min of mins, max of maxes). The Python module
//   (lib/python) does exactly this for its axis= argument.

enum class Granularity : uint8_t {
  kPerTensor,  // one (scale, zero point) for all elements
  kPerRow,     // per channel along axis 0: one per row
  kPerColumn,  // per channel along axis 1: one per column
  kPerGroup,   // per group: consecutive group_size elements of a row; the
               // last group of each row may be shorter
};

struct Layout {
  size_t rows = 1;
  size_t cols = 0;
  Granularity granularity = Granularity::kPerTensor;
  size_t group_size = 0;  // kPerGroup only; any size >= 1

  static Layout PerTensor(size_t n) { return {1, n, Granularity::kPerTensor, 0}; }
  static Layout PerRow(size_t rows, size_t cols) {
    return {rows, cols, Granularity::kPerRow, 0};
  }
  static Layout PerColumn(size_t rows, size_t cols) {
    return {rows, cols, Granularity::kPerColumn, 0};
  }
  static Layout PerGroup(size_t rows, size_t cols, size_t group_size) {
    return {rows, cols, Granularity::kPerGroup, group_size};
  }

  // Groups per row (kPerGroup): ceil(cols / group_size), without overflow:
  // a group larger than the row (GPTQ's group_size -1 cast to size_t is
  // SIZE_MAX) makes one group per row.
  size_t GroupsPerRow() const {
    return group_size == 0 || cols == 0 ? 0 : (cols - 1) / group_size + 1;
  }
  size_t NumElements() const { return rows * cols; }
  // Number of parameter sets: 1, rows, cols or rows * GroupsPerRow().
  size_t NumParams() const {
    switch (granularity) {
      case Granularity::kPerRow:
        return rows;
      case Granularity::kPerColumn:
        return cols;
      case Granularity::kPerGroup:
        return rows * GroupsPerRow();
      default:
        return 1;
    }
  }
  // Which parameter set element (row, col) uses.
  size_t ParamIndex(size_t row, size_t col) const {
    switch (granularity) {
      case Granularity::kPerRow:
        return row;
      case Granularity::kPerColumn:
        return col;
      case Granularity::kPerGroup:
        return row * GroupsPerRow() + col / group_size;
      default:
        return 0;
    }
  }
};

// Throws unless the layout is usable: a known granularity, rows * cols not
// overflowing, group_size >= 1 exactly for kPerGroup (0 otherwise), and
// rows == 1 for kPerTensor.
void ValidateLayout(const Layout& layout);

// The parameters of every channel or group of a layout, in arrays of
// layout.NumParams() entries owned by the caller (parameter set k applies
// to the elements with ParamIndex == k). The code format is shared.
struct GroupParams {
  const float* scales = nullptr;                // float32 scales, or
  const hwy::float16_t* scales_f16 = nullptr;   // float16 scales; one of two
  const int32_t* zero_points = nullptr;         // nullptr: all zero
  int bits = 8;
  Signedness signedness = Signedness::kUnsigned;
  bool narrow_range = false;

  // One QuantParams for all elements (kPerTensor), pointing into p, which
  // must outlive the result: a temporary does not compile.
  static GroupParams Of(const QuantParams&& p) = delete;
  static GroupParams Of(const QuantParams& p) {
    GroupParams g;
    g.scales = &p.scale;
    g.zero_points = &p.zero_point;
    g.bits = p.bits;
    g.signedness = p.signedness;
    g.narrow_range = p.narrow_range;
    return g;
  }
};

// Where QuantizeDynamic writes the parameters it chooses: layout.NumParams()
// scales into exactly one of scales / scales_f16, and as many zero points
// (zero_points may be null for symmetric schemes, whose zero points are 0).
struct GroupParamsOut {
  float* scales = nullptr;
  hwy::float16_t* scales_f16 = nullptr;
  int32_t* zero_points = nullptr;
};

// The element types tensors may have, and the integer code containers.
template <typename T>
constexpr bool kIsTensorFloat =
    std::is_same_v<T, float> || std::is_same_v<T, hwy::bfloat16_t> ||
    std::is_same_v<T, hwy::float16_t>;
template <typename T>
constexpr bool kIsCodeContainer =
    std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> ||
    std::is_same_v<T, uint16_t> || std::is_same_v<T, int16_t>;

namespace detail {
enum class FloatType : uint8_t { kF32, kBF16, kF16 };
// Code storage: one of the containers, or packed.
enum class CodeType : uint8_t { kU8, kI8, kU16, kI16, kPacked };

template <typename T>
constexpr FloatType FloatTypeOf() {
  static_assert(kIsTensorFloat<T>,
                "tensors hold float, hwy::bfloat16_t or hwy::float16_t");
  return std::is_same_v<T, float>             ? FloatType::kF32
         : std::is_same_v<T, hwy::bfloat16_t> ? FloatType::kBF16
                                              : FloatType::kF16;
}
template <typename T>
constexpr CodeType CodeTypeOf() {
  static_assert(kIsCodeContainer<T>,
                "codes are uint8_t, int8_t, uint16_t or int16_t");
  return std::is_same_v<T, uint8_t>   ? CodeType::kU8
         : std::is_same_v<T, int8_t>  ? CodeType::kI8
         : std::is_same_v<T, uint16_t> ? CodeType::kU16
                                       : CodeType::kI16;
}

void MinMax(const void* x, FloatType type, const Layout& layout,
            MinMaxResult* ranges);
void Quantize(const void* x, FloatType type, const Layout& layout,
              const GroupParams& p, void* q, CodeType code, QuantizeMode mode);
void QuantizeDynamic(const void* x, FloatType type, const Layout& layout,
                     const QuantSpec& spec, const GroupParamsOut& out, void* q,
                     CodeType code);
void Dequantize(const void* q, CodeType code, const Layout& layout,
                const GroupParams& p, void* y, FloatType type);
}  // namespace detail

// ---------------------------------------------------------------------------
// Kernels over layouts. TIn / TOut: float, hwy::bfloat16_t or hwy::float16_t
// (bf16 / f16 inputs are widened to float32 exactly; outputs are rounded to
// nearest even). TCode: uint8_t, int8_t, uint16_t or int16_t.

// Min and max of each channel or group, as MinMax: ranges[k] covers the
// elements with ParamIndex == k (NaN if one of them is NaN). Per column, the
// reduction runs down the rows with columns across vector lanes. Needs at
// least one element.
template <typename TIn>
void MinMax(const TIn* x, const Layout& layout, MinMaxResult* ranges) {
  detail::MinMax(x, detail::FloatTypeOf<TIn>(), layout, ranges);
}

// Each element with its parameter set, exactly as Quantize of simdquant.h.
template <typename TIn, typename TCode>
void Quantize(const TIn* x, const Layout& layout, const GroupParams& p,
              TCode* q, QuantizeMode mode = QuantizeMode::kDivide) {
  detail::Quantize(x, detail::FloatTypeOf<TIn>(), layout, p, q,
                   detail::CodeTypeOf<TCode>(), mode);
}

// Quantize to packed codes (bits 1..8): PackedBytes(NumElements(), bits)
// bytes, the whole tensor one bitstream in element order (rows do not start
// on byte boundaries unless cols * bits is a multiple of 8). Fused: codes are
// packed from registers through a 1 KiB block in L1, never through a
// code-per-byte copy of the tensor.
template <typename TIn>
void QuantizePacked(const TIn* x, const Layout& layout, const GroupParams& p,
                    uint8_t* packed, QuantizeMode mode = QuantizeMode::kDivide) {
  detail::Quantize(x, detail::FloatTypeOf<TIn>(), layout, p, packed,
                   detail::CodeType::kPacked, mode);
}

// Chooses each channel's or group's parameters from its own min and max
// (ParamsForRange(min, max, spec); with float16 scales, the scale is rounded
// to float16 first and the zero point recomputed from the rounded scale) and
// quantizes with them with spec.mode. Per row and per group this is one
// fused pass (range, parameters, codes while the group is in L1); per tensor
// and per column, a range pass then a quantize pass. Throws if a group holds
// NaN or Inf, or a float16 scale would overflow; the outputs are then
// partially written.
template <typename TIn, typename TCode>
void QuantizeDynamic(const TIn* x, const Layout& layout, const QuantSpec& spec,
                     const GroupParamsOut& out, TCode* q) {
  detail::QuantizeDynamic(x, detail::FloatTypeOf<TIn>(), layout, spec, out, q,
                          detail::CodeTypeOf<TCode>());
}
template <typename TIn>
void QuantizeDynamicPacked(const TIn* x, const Layout& layout,
                           const QuantSpec& spec, const GroupParamsOut& out,
                           uint8_t* packed) {
  detail::QuantizeDynamic(x, detail::FloatTypeOf<TIn>(), layout, spec, out,
                          packed, detail::CodeType::kPacked);
}

// y = float(q - zero_point) * scale per element, as Dequantize of
// simdquant.h, then rounded to TOut.
template <typename TCode, typename TOut>
void Dequantize(const TCode* q, const Layout& layout, const GroupParams& p,
                TOut* y) {
  detail::Dequantize(q, detail::CodeTypeOf<TCode>(), layout, p, y,
                     detail::FloatTypeOf<TOut>());
}
template <typename TOut>
void DequantizePacked(const uint8_t* packed, const Layout& layout,
                      const GroupParams& p, TOut* y) {
  detail::Dequantize(packed, detail::CodeType::kPacked, layout, p, y,
                     detail::FloatTypeOf<TOut>());
}

}  // namespace simdquant

#endif  // SIMDQUANT_TENSOR_H_
