// Decodes libFuzzer bytes into kernel arguments: floats biased towards the
// values that break quantizers (NaN payloads, infinities, signed zeros,
// subnormals, rounding ties and clamp bounds), formats and parameters both
// valid and invalid, lengths and start offsets. Runs a check on every target.
#ifndef SIMDQUANT_TESTS_FUZZ_FUZZ_INPUT_H_
#define SIMDQUANT_TESTS_FUZZ_FUZZ_INPUT_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "simdquant/simdquant.h"
#include "simdquant/targets.h"

namespace simdquant {
namespace fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }
  bool Bool() { return Byte() & 1; }
  size_t Remaining() const { return size_ - pos_; }

  // A float; `scale` and `zero_point` steer values onto rounding ties and
  // clamp bounds of the current parameters.
  float Float(float scale = 1.0f, int32_t zero_point = 0,
              int32_t qmin = 0, int32_t qmax = 255) {
    const uint8_t kind = Byte();
    if (kind < 24) return Special(kind);
    if (kind < 128) return FromBits(U32());
    // k + {-0.5, 0, 0.5} (+ a few ulps) times scale, near the clamp bounds
    // or anywhere in the code range.
    // In double: an invalid zero point may be any int32.
    const double span = static_cast<double>(qmax) - qmin + 5.0;
    const double code = qmin - 2.0 + std::fmod(static_cast<double>(U32()), span);
    const double half = 0.5 * static_cast<int>(Byte() % 3) - 0.5;
    float v = static_cast<float>((code - zero_point + half) * scale);
    for (int ulps = static_cast<int8_t>(Byte()) % 3; ulps != 0;
         ulps += ulps > 0 ? -1 : 1) {
      v = std::nextafter(v, ulps > 0 ? INFINITY : -INFINITY);
    }
    return v;
  }

  // The rest of the input as up to 600 floats steered by p (by an 8-bit
  // unsigned code range when p's format is invalid).
  std::vector<float> FloatsFor(const QuantParams& p) {
    int32_t qmin = 0, qmax = 255;
    try {
      const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
      qmin = r.min;
      qmax = r.max;
    } catch (const std::invalid_argument&) {
    }
    std::vector<float> x;
    while (Remaining() > 0 && x.size() < 600) {
      x.push_back(Float(p.scale, p.zero_point, qmin, qmax));
    }
    return x;
  }

  // Parameters: mostly valid, sometimes each field out of range.
  QuantParams Params() {
    QuantParams p;
    const uint8_t shape = Byte();
    p.bits = static_cast<int>(Byte() % 16) + 1;
    p.signedness = (shape & 1) ? Signedness::kSigned : Signedness::kUnsigned;
    p.narrow_range = (shape & 2) && p.signedness == Signedness::kSigned;
    if (p.signedness == Signedness::kSigned && p.bits < 2) p.bits = 2;
    const CodeRange r = CodeRangeOf(p.bits, p.signedness, p.narrow_range);
    p.zero_point = r.min + static_cast<int32_t>(
                               U32() % static_cast<uint32_t>(r.max - r.min + 1));
    const uint8_t scale_kind = Byte() % 8;
    p.scale = scale_kind == 0   ? std::ldexp(1.0f, static_cast<int>(Byte() % 40) - 20)
              : scale_kind == 1 ? FromBits(U32())  // anything, maybe invalid
                                : std::fabs(FromBits((U32() & 0x3FFFFFFF) | 0x30000000));
    if (shape & 0x80) {  // deliberately invalid field
      switch (Byte() % 5) {
        case 0: p.bits = static_cast<int8_t>(Byte()); break;
        case 1: p.zero_point = static_cast<int32_t>(U32()); break;
        case 2: p.scale = Special(Byte() % 24); break;
        case 3: p.narrow_range = true; break;
        case 4: p.signedness = static_cast<Signedness>(Byte()); break;
      }
    }
    return p;
  }

  static float Special(uint8_t kind) {
    static const uint32_t kBits[24] = {
        0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001,  // NaN payloads, sNaN
        0x7F800000, 0xFF800000, 0x00000000, 0x80000000,  // +-inf, +-0
        0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF,  // subnormals
        0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF,  // min normal, max
        0x3F000000, 0xBF000000, 0x3FC00000, 0xC0200000,  // 0.5 -0.5 1.5 -2.5
        0x3EFFFFFF, 0x4B400000, 0x4B000000, 0xCB000001}; // 0.49999997, 2^23..
    return FromBits(kBits[kind % 24]);
  }
  static float FromBits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Calls check() once per target compiled in and supported by this CPU.
template <class Check>
void ForEachTarget(const Check& check) {
  static const std::vector<Target> targets = AvailableTargets();
  for (const Target& t : targets) {
    RestrictToTarget(t.name);
    check(t);
  }
  RestrictToTarget("");
}

[[noreturn]] inline void Mismatch(const char* what, const Target& t, size_t i) {
  fprintf(stderr, "MISMATCH %s on %s at %zu\n", what, t.name.c_str(), i);
  abort();
}

inline bool SameBits(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}
inline bool SameBits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

}  // namespace fuzz
}  // namespace simdquant

#endif  // SIMDQUANT_TESTS_FUZZ_FUZZ_INPUT_H_
