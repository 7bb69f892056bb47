// Per-target packing of 1..8-bit codes (one per byte) into the dense
// LSB-first bitstream of tensor.h, and back. Included once per target
// (toggle guard).
//
// Eight codes always fill exactly kBits bytes, so each 64-bit word of eight
// codes packs on its own: three shift-and-merge steps (SWAR) squeeze 8 bytes
// into the low 8 * kBits bits, then a byte shuffle closes the gaps between
// words. Unpacking runs the same steps backwards.
#if defined(SIMDQUANT_LIB_PACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDQUANT_LIB_PACK_INL_H_
#undef SIMDQUANT_LIB_PACK_INL_H_
#else
#define SIMDQUANT_LIB_PACK_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwy/highway.h"
#include "lib/x86_islands-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The SWAR steps on a uint64_t or on a vector of them.
template <int kShift>
HWY_INLINE uint64_t ShiftRightBits(uint64_t v) { return v >> kShift; }
template <int kShift, class V>
HWY_INLINE V ShiftRightBits(V v) { return hn::ShiftRight<kShift>(v); }
template <int kShift>
HWY_INLINE uint64_t ShiftLeftBits(uint64_t v) { return v << kShift; }
template <int kShift, class V>
HWY_INLINE V ShiftLeftBits(V v) { return hn::ShiftLeft<kShift>(v); }

// Eight codes, one per byte (only the low kBits bits of each count), to the
// packed bits in the low 8 * kBits bits (the rest zero). `k` makes a
// constant of V. With kSteps < 3, stops after merging within 16-bit
// (kSteps = 1) or 32-bit units: for kBits = 4 (2) each such unit then holds
// one packed byte in its low bits, zero above.
template <int kBits, int kSteps = 3, class V, class Const>
HWY_INLINE V PackWords(V v, const Const& k) {
  constexpr uint64_t kCodeMask = (uint64_t{1} << kBits) - 1;
  v = v & k(0x0101010101010101ull * kCodeMask);
  // Neighbouring codes, then pairs, then quads merge: each step shifts the
  // upper half of every 16-, 32- and 64-bit unit down onto the lower half.
  v = (v & k(0x00FF00FF00FF00FFull)) |
      ShiftRightBits<8 - kBits>(v & k(0xFF00FF00FF00FF00ull));
  if constexpr (kSteps >= 2) {
    v = (v & k(0x0000FFFF0000FFFFull)) |
        ShiftRightBits<16 - 2 * kBits>(v & k(0xFFFF0000FFFF0000ull));
  }
  if constexpr (kSteps >= 3) {
    v = (v & k(0x00000000FFFFFFFFull)) |
        ShiftRightBits<32 - 4 * kBits>(v & k(0xFFFFFFFF00000000ull));
  }
  return v;
}

// Inverse of PackWords: packed bits in the low 8 * kBits bits (higher bits
// ignored) to one code per byte, zero-extended.
template <int kBits, class V, class Const>
HWY_INLINE V UnpackWords(V v, const Const& k) {
  constexpr uint64_t kQuad = (uint64_t{1} << (4 * kBits)) - 1;
  constexpr uint64_t kPair = ((uint64_t{1} << (2 * kBits)) - 1) *
                             0x0000000100000001ull;
  constexpr uint64_t kCode = ((uint64_t{1} << kBits) - 1) *
                             0x0001000100010001ull;
  if constexpr (kBits < 8) {
    v = v & k((uint64_t{1} << (8 * kBits)) - 1);
  }
  v = (v & k(kQuad)) | (ShiftLeftBits<32 - 4 * kBits>(v) & k(kQuad << 32));
  v = (v & k(kPair)) | (ShiftLeftBits<16 - 2 * kBits>(v) & k(kPair << 16));
  v = (v & k(kCode)) | (ShiftLeftBits<8 - kBits>(v) & k(kCode << 8));
  return v;
}

// Byte shuffle tables. Pack: output byte w * kBits + j takes input byte
// w * 8 + j (j < kBits). Unpack: the reverse; other bytes zero (0x80).
template <int kBits, size_t kBytes>
struct ShuffleTables {
  uint8_t pack[kBytes];
  uint8_t unpack[kBytes];
  constexpr ShuffleTables() : pack(), unpack() {
    for (size_t i = 0; i < kBytes; ++i) {
      pack[i] = 0;
      unpack[i] = 0x80;
    }
    for (size_t w = 0; w < kBytes / 8; ++w) {
      for (size_t j = 0; j < static_cast<size_t>(kBits); ++j) {
        pack[w * kBits + j] = static_cast<uint8_t>(w * 8 + j);
        unpack[w * 8 + j] = static_cast<uint8_t>(w * kBits + j);
      }
    }
  }
};

// A chunk is kChunkCodes codes: the widest vector of 64-bit words the
// target can shuffle across, 8 codes per word. PackChunk reads kChunkCodes
// bytes and writes kChunkCodes bytes, of which the first kChunkCodes * kBits
// / 8 are the packed codes; UnpackChunk reads kChunkCodes bytes (the first
// kChunkCodes * kBits / 8 count) and writes kChunkCodes codes.
#if HWY_TARGET == HWY_SCALAR
constexpr size_t kChunkCodes = 8;

template <int kBits>
HWY_INLINE void PackChunk(const uint8_t* HWY_RESTRICT in,
                          uint8_t* HWY_RESTRICT out) {
  uint64_t w;
  memcpy(&w, in, 8);  // little-endian: code i in byte i
  w = PackWords<kBits>(w, [](uint64_t c) { return c; });
  memcpy(out, &w, 8);
}

template <int kBits, bool kSigned>
HWY_INLINE void UnpackChunk(const uint8_t* HWY_RESTRICT in,
                            uint8_t* HWY_RESTRICT out) {
  uint64_t w;
  memcpy(&w, in, 8);
  w = UnpackWords<kBits>(w, [](uint64_t c) { return c; });
  if constexpr (kSigned && kBits < 8) {  // sign-extend bytes: (v ^ s) - s
    constexpr uint64_t kSign = 0x0101010101010101ull << (kBits - 1);
    // Bytewise subtraction without borrows between bytes: x and s are below
    // 0x80 in every byte, so setting each byte's top bit absorbs the borrow.
    const uint64_t x = w ^ kSign;
    w = ((x | 0x8080808080808080ull) - kSign) ^ 0x8080808080808080ull;
  }
  memcpy(out, &w, 8);
}

#else  // vector targets

#if HWY_TARGET == HWY_AVX3_DL
// AVX-512 VBMI permutes bytes across the whole vector: 64 codes per chunk.
using ChunkD64 = hn::Simd<uint64_t, 8, 0>;
#else
// Elsewhere byte shuffles stay within 128-bit blocks: 16 codes per chunk.
using ChunkD64 = hn::Simd<uint64_t, 2, 0>;
#endif
constexpr size_t kChunkCodes = 8 * hn::MaxLanes(ChunkD64());

template <int kBits, class D8>
HWY_INLINE hn::Vec<D8> ShuffleChunk(D8 d8, hn::Vec<D8> bytes, bool pack) {
  static constexpr ShuffleTables<kBits, kChunkCodes> kTables;
  const auto table = hn::LoadU(d8, pack ? kTables.pack : kTables.unpack);
#if SIMDQUANT_HAVE_BYTE_PERMUTE
  return PermuteBytesOr0(bytes, table);  // unpack tables zero with 0x80
#else
  return hn::TableLookupBytesOr0(bytes, table);
#endif
}

template <int kBits>
HWY_INLINE void PackChunk(const uint8_t* HWY_RESTRICT in,
                          uint8_t* HWY_RESTRICT out) {
  const ChunkD64 d64;
  const hn::Repartition<uint8_t, ChunkD64> d8;
  const auto k = [d64](uint64_t c) { return hn::Set(d64, c); };
  const auto codes = hn::BitCast(d64, hn::LoadU(d8, in));
#if SIMDQUANT_HAVE_BYTE_PERMUTE
  // Widths dividing 8: once every 16-, 32- or 64-bit unit holds exactly one
  // packed byte, one truncating narrow (vpmovwb / vpmovdb / vpmovqb) replaces
  // the remaining SWAR steps and the shuffle.
  if constexpr (kBits == 4) {
    const hn::Repartition<uint16_t, ChunkD64> d16;
    return StoreTruncated512(hn::BitCast(d16, PackWords<4, 1>(codes, k)), out);
  } else if constexpr (kBits == 2) {
    const hn::Repartition<uint32_t, ChunkD64> d32;
    return StoreTruncated512(hn::BitCast(d32, PackWords<2, 2>(codes, k)), out);
  } else if constexpr (kBits == 1) {
    return StoreTruncated512(PackWords<1, 3>(codes, k), out);
  }
#endif
  const auto words = PackWords<kBits>(codes, k);
  hn::StoreU(ShuffleChunk<kBits>(d8, hn::BitCast(d8, words), true), d8, out);
}

template <int kBits, bool kSigned>
HWY_INLINE void UnpackChunk(const uint8_t* HWY_RESTRICT in,
                            uint8_t* HWY_RESTRICT out) {
  const ChunkD64 d64;
  const hn::Repartition<uint8_t, ChunkD64> d8;
  const auto k = [d64](uint64_t c) { return hn::Set(d64, c); };
  const auto spread = ShuffleChunk<kBits>(d8, hn::LoadU(d8, in), false);
  auto codes = hn::BitCast(d8, UnpackWords<kBits>(hn::BitCast(d64, spread), k));
  if constexpr (kSigned && kBits < 8) {  // sign-extend bytes: (v ^ s) - s
    const auto sign = hn::Set(d8, static_cast<uint8_t>(1u << (kBits - 1)));
    codes = hn::Sub(hn::Xor(codes, sign), sign);
  }
  hn::StoreU(codes, d8, out);
}
#endif  // HWY_TARGET == HWY_SCALAR

// Packs in[0, n) into out[0, PackedBytes(n, kBits)), writing nothing at or
// beyond out + out_capacity (>= PackedBytes(n, kBits)). Whole-chunk stores
// may write garbage after the packed bytes so far, but only where later
// chunks (or a later call for the rest of the stream) will overwrite it.
template <int kBits>
HWY_INLINE void PackCodes(const uint8_t* HWY_RESTRICT in, size_t n,
                          uint8_t* HWY_RESTRICT out, size_t out_capacity) {
  constexpr size_t kChunkBytes = kChunkCodes * kBits / 8;
  size_t i = 0, o = 0;
  for (; i + kChunkCodes <= n && o + kChunkCodes <= out_capacity;
       i += kChunkCodes, o += kChunkBytes) {
    PackChunk<kBits>(in + i, out + o);
  }
  // The rest through stack buffers; zero padding leaves the unused bits of
  // the last byte zero.
  for (; i < n; i += kChunkCodes, o += kChunkBytes) {
    HWY_ALIGN uint8_t codes[kChunkCodes] = {};
    HWY_ALIGN uint8_t packed[kChunkCodes];
    const size_t count = n - i < kChunkCodes ? n - i : kChunkCodes;
    memcpy(codes, in + i, count);
    PackChunk<kBits>(codes, packed);
    memcpy(out + o, packed, (count * kBits + 7) / 8);
  }
}

// Unpacks n codes from in[0, PackedBytes(n, kBits)), reading nothing at or
// beyond in + in_capacity, into out[0, n).
template <int kBits, bool kSigned>
HWY_INLINE void UnpackCodes(const uint8_t* HWY_RESTRICT in, size_t in_capacity,
                            size_t n, uint8_t* HWY_RESTRICT out) {
  constexpr size_t kChunkBytes = kChunkCodes * kBits / 8;
  size_t i = 0, o = 0;
  for (; i + kChunkCodes <= n && o + kChunkCodes <= in_capacity;
       i += kChunkCodes, o += kChunkBytes) {
    UnpackChunk<kBits, kSigned>(in + o, out + i);
  }
  for (; i < n; i += kChunkCodes, o += kChunkBytes) {
    HWY_ALIGN uint8_t packed[kChunkCodes] = {};
    HWY_ALIGN uint8_t codes[kChunkCodes];
    const size_t count = n - i < kChunkCodes ? n - i : kChunkCodes;
    memcpy(packed, in + o, (count * kBits + 7) / 8);
    UnpackChunk<kBits, kSigned>(packed, codes);
    memcpy(out + i, codes, count);
  }
}

// PackCodes / UnpackCodes for a run-time bit width in [1, 8].
HWY_INLINE void PackAnyBits(int bits, const uint8_t* in, size_t n,
                            uint8_t* out, size_t out_capacity) {
  switch (bits) {
#define SIMDQUANT_PACK_CASE(B) \
  case B:                      \
    return PackCodes<B>(in, n, out, out_capacity);
    SIMDQUANT_PACK_CASE(1)
    SIMDQUANT_PACK_CASE(2)
    SIMDQUANT_PACK_CASE(3)
    SIMDQUANT_PACK_CASE(4)
    SIMDQUANT_PACK_CASE(5)
    SIMDQUANT_PACK_CASE(6)
    SIMDQUANT_PACK_CASE(7)
    SIMDQUANT_PACK_CASE(8)
#undef SIMDQUANT_PACK_CASE
  }
}

template <bool kSigned>
HWY_INLINE void UnpackAnyBits(int bits, const uint8_t* in, size_t in_capacity,
                              size_t n, uint8_t* out) {
  switch (bits) {
#define SIMDQUANT_UNPACK_CASE(B) \
  case B:                        \
    return UnpackCodes<B, kSigned>(in, in_capacity, n, out);
    SIMDQUANT_UNPACK_CASE(1)
    SIMDQUANT_UNPACK_CASE(2)
    SIMDQUANT_UNPACK_CASE(3)
    SIMDQUANT_UNPACK_CASE(4)
    SIMDQUANT_UNPACK_CASE(5)
    SIMDQUANT_UNPACK_CASE(6)
    SIMDQUANT_UNPACK_CASE(7)
    SIMDQUANT_UNPACK_CASE(8)
#undef SIMDQUANT_UNPACK_CASE
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#endif  // toggle guard
