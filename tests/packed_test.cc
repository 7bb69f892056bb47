// Packed codes: the byte layout, round trips of every code of every width,
// independence from the target's vector length, and guard bytes.
#include <stdint.h>
#include <string.h>

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/reference.h"
#include "simdquant/tensor.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

static_assert(PackedBytes(0, 4) == 0);
static_assert(PackedBytes(1, 1) == 1);
static_assert(PackedBytes(8, 3) == 3);
static_assert(PackedBytes(9, 3) == 4);
static_assert(PackedBytes(3, 4) == 2);
static_assert(PackedBytes(5, 8) == 5);
static_assert(PackedBytes(SIZE_MAX, 8) == SIZE_MAX);
static_assert(PackedBytes(10, 0) == 0 && PackedBytes(10, 9) == 0);

class PackedTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(PackedTest);

// The layouts README.md draws, written out by hand.
TEST_P(PackedTest, MatchesTheDocumentedBytes) {
  // 4 bits (ONNX uint4): element 0 in the low nibble of byte 0.
  const uint8_t nibbles[5] = {0x1, 0x2, 0x3, 0x4, 0xF};
  uint8_t packed4[3];
  Pack(nibbles, 5, 4, packed4);
  EXPECT_EQ(packed4[0], 0x21);
  EXPECT_EQ(packed4[1], 0x43);
  EXPECT_EQ(packed4[2], 0x0F);  // unused high nibble is zero

  // 3 bits: codes 1..8 as a bitstream, crossing byte boundaries.
  // bits (LSB first): 100 010 110 001 101 011 111 000
  const uint8_t threes[8] = {1, 2, 3, 4, 5, 6, 7, 0};
  uint8_t packed3[3];
  Pack(threes, 8, 3, packed3);
  EXPECT_EQ(packed3[0], 0xD1);  // 1 | 2 << 3 | (3 & 3) << 6
  EXPECT_EQ(packed3[1], 0x58);  // 3 >> 2 | 4 << 1 | 5 << 4 | (6 & 1) << 7
  EXPECT_EQ(packed3[2], 0x1F);  // 6 >> 1 | 7 << 2 | 0 << 5

  // Signed 4 bits: two's complement nibbles.
  const int8_t signed4[2] = {-1, -8};
  uint8_t packed_s4[1];
  Pack(signed4, 2, 4, packed_s4);
  EXPECT_EQ(packed_s4[0], 0x8F);
  int8_t back[2];
  Unpack(packed_s4, 2, 4, back);
  EXPECT_EQ(back[0], -1);
  EXPECT_EQ(back[1], -8);
}

// Packing an iota gives the reference's bytes on every target: the format
// does not depend on the vector length.
TEST_P(PackedTest, IotaBytesEqualTheReference) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{63}, size_t{64},
                     size_t{65}, size_t{257}, size_t{1000}}) {
      std::vector<uint8_t> codes(n);
      for (size_t i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(i % (1u << bits));
      std::vector<uint8_t> packed(PackedBytes(n, bits), 0xCC);
      std::vector<uint8_t> expected(PackedBytes(n, bits), 0x33);
      Pack(codes.data(), n, bits, packed.data());
      reference::Pack(codes.data(), n, bits, expected.data());
      ASSERT_EQ(packed, expected) << "bits " << bits << " n " << n;
    }
  }
}

// Every code of every width, signed and unsigned, at every position of a
// chunk, survives Pack then Unpack; the packed bytes equal the reference's.
TEST_P(PackedTest, EveryCodeRoundTrips) {
  std::mt19937 rng(5);
  for (int bits = 1; bits <= 8; ++bits) {
    const int count = 1 << bits;
    // Each code at each of 128 positions (covers every lane of every chunk).
    const size_t n = static_cast<size_t>(count) * 128 + 5;
    std::vector<uint8_t> u(n);
    for (size_t i = 0; i < n; ++i) u[i] = static_cast<uint8_t>((i * 37 + i / 128) % static_cast<size_t>(count));
    std::vector<uint8_t> packed(PackedBytes(n, bits)), expected(packed.size());
    Pack(u.data(), n, bits, packed.data());
    reference::Pack(u.data(), n, bits, expected.data());
    ASSERT_EQ(packed, expected) << "unsigned, bits " << bits;
    std::vector<uint8_t> u_back(n);
    Unpack(packed.data(), n, bits, u_back.data());
    ASSERT_EQ(u_back, u) << "unsigned, bits " << bits;

    if (bits < 2) continue;
    std::vector<int8_t> s(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = static_cast<int8_t>(static_cast<int>(u[i]) - count / 2);
    }
    Pack(s.data(), n, bits, packed.data());
    reference::Pack(s.data(), n, bits, expected.data());
    ASSERT_EQ(packed, expected) << "signed, bits " << bits;
    std::vector<int8_t> s_back(n);
    Unpack(packed.data(), n, bits, s_back.data());
    ASSERT_EQ(s_back, s) << "signed, bits " << bits;
  }
}

// Every length 0..200 at misaligned starts: nothing outside the buffers is
// touched, the last byte's unused bits are zero, and Unpack writes exactly n.
TEST_P(PackedTest, StaysWithinBuffersAtEveryLength) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (size_t n = 0; n <= 200; ++n) {
      const size_t offset = n % 3;
      Guarded<uint8_t> codes(n, offset);
      for (size_t i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>((i * 5 + 3) % (1u << bits));
      Guarded<uint8_t> packed(PackedBytes(n, bits), offset);
      packed.Poison();
      Pack(codes.data(), n, bits, packed.data());
      ASSERT_TRUE(packed.GuardsIntact()) << "bits " << bits << " n " << n;
      if (n * bits % 8 != 0) {
        const uint8_t last = packed[packed.size() - 1];
        ASSERT_EQ(last >> (n * bits % 8), 0) << "bits " << bits << " n " << n;
      }
      Guarded<uint8_t> back(n, 2 - offset);
      back.Poison();
      Unpack(packed.data(), n, bits, back.data());
      ASSERT_TRUE(back.GuardsIntact()) << "bits " << bits << " n " << n;
      ASSERT_EQ(memcmp(back.data(), codes.data(), n), 0)
          << "bits " << bits << " n " << n;
    }
  }
}

TEST_P(PackedTest, RejectsCodesOutsideTheWidthBeforeWriting) {
  std::vector<uint8_t> codes(100, 3);
  codes[77] = 16;
  std::vector<uint8_t> packed(PackedBytes(100, 4), 0xAB);
  EXPECT_THROW(Pack(codes.data(), 100, 4, packed.data()),
               std::invalid_argument);
  for (uint8_t b : packed) ASSERT_EQ(b, 0xAB);
  std::vector<int8_t> signed_codes(100, -2);
  signed_codes[99] = -9;
  EXPECT_THROW(Pack(signed_codes.data(), 100, 4, packed.data()),
               std::invalid_argument);
  signed_codes[99] = 8;
  EXPECT_THROW(Pack(signed_codes.data(), 100, 4, packed.data()),
               std::invalid_argument);
  signed_codes[99] = 7;
  Pack(signed_codes.data(), 100, 4, packed.data());  // in range now
}

}  // namespace
}  // namespace test
}  // namespace simdquant
