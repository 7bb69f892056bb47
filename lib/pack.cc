// Pack and Unpack (tensor.h): codes of 1..8 bits to and from the dense
// LSB-first bitstream.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/pack.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "lib/pack-inl.h"
#include "simdquant/tensor.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using internal::LayoutJob;

// ---------------------------------------------------------------------------
// Packing whole arrays

// True if (code + offset) mod 256 < 2^bits for every code: offset 0 checks
// unsigned codes, 2^(bits-1) signed ones.
bool CodesFit(const uint8_t* HWY_RESTRICT codes, size_t n, uint8_t offset,
              int bits) {
  const hn::ScalableTag<uint8_t> d;
  const size_t N = hn::Lanes(d);
  const uint8_t over = static_cast<uint8_t>(~((1u << bits) - 1));
  const auto voffset = hn::Set(d, offset);
  const auto vover = hn::Set(d, over);
  auto bad = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    bad = hn::Or(bad, hn::And(hn::Add(hn::LoadU(d, codes + i), voffset), vover));
  }
  bool fit = hn::AllTrue(d, hn::Eq(bad, hn::Zero(d)));
  for (; i < n; ++i) {
    fit &= (static_cast<uint8_t>(codes[i] + offset) & over) == 0;
  }
  return fit;
}

void PackImpl(const uint8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackAnyBits(bits, codes, n, packed, PackedBytes(n, bits));
}

void UnpackImpl(const uint8_t* packed, size_t n, int bits, bool is_signed,
                uint8_t* codes) {
  const size_t bytes = PackedBytes(n, bits);
  if (is_signed) {
    UnpackAnyBits<true>(bits, packed, bytes, n, codes);
  } else {
    UnpackAnyBits<false>(bits, packed, bytes, n, codes);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
HWY_EXPORT(CodesFit);
HWY_EXPORT(PackImpl);
HWY_EXPORT(UnpackImpl);

namespace {

void CheckPackBits(int bits, bool is_signed, const char* function) {
  const int min_bits = is_signed ? 2 : 1;
  if (bits < min_bits || bits > 8) {
    internal::Fail(function, "bits = " + std::to_string(bits) +
                                 " is outside [" + std::to_string(min_bits) +
                                 ", 8] for packed " +
                                 (is_signed ? "signed" : "unsigned") +
                                 " codes");
  }
}

template <typename T>
void PackChecked(const T* codes, size_t n, int bits, uint8_t* packed) {
  constexpr bool kSigned = std::is_signed_v<T>;
  CheckPackBits(bits, kSigned, "Pack");
  internal::CheckPointer(codes, n, "Pack", "codes");
  internal::CheckPointer(packed, n, "Pack", "packed");
  if (n == 0) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(codes);
  const uint8_t offset = kSigned ? static_cast<uint8_t>(1u << (bits - 1)) : 0;
  if (!SIMDQUANT_DISPATCH(CodesFit)(bytes, n, offset, bits)) {
    const int32_t lo = kSigned ? -(1 << (bits - 1)) : 0;
    const int32_t hi = kSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    for (size_t i = 0; i < n; ++i) {
      if (codes[i] < lo || codes[i] > hi) {
        internal::Fail("Pack", "codes[" + std::to_string(i) + "] = " +
                                   std::to_string(codes[i]) +
                                   " is outside the " + std::to_string(bits) +
                                   "-bit range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
      }
    }
  }
  SIMDQUANT_DISPATCH(PackImpl)(bytes, n, bits, packed);
}

template <typename T>
void UnpackChecked(const uint8_t* packed, size_t n, int bits, T* codes) {
  constexpr bool kSigned = std::is_signed_v<T>;
  CheckPackBits(bits, kSigned, "Unpack");
  internal::CheckPointer(packed, n, "Unpack", "packed");
  internal::CheckPointer(codes, n, "Unpack", "codes");
  if (n == 0) return;
  SIMDQUANT_DISPATCH(UnpackImpl)(packed, n, bits, kSigned,
                                   reinterpret_cast<uint8_t*>(codes));
}

}  // namespace

void Pack(const uint8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackChecked(codes, n, bits, packed);
}
void Pack(const int8_t* codes, size_t n, int bits, uint8_t* packed) {
  PackChecked(codes, n, bits, packed);
}
void Unpack(const uint8_t* packed, size_t n, int bits, uint8_t* codes) {
  UnpackChecked(packed, n, bits, codes);
}
void Unpack(const uint8_t* packed, size_t n, int bits, int8_t* codes) {
  UnpackChecked(packed, n, bits, codes);
}
}  // namespace simdquant
#endif  // HWY_ONCE
