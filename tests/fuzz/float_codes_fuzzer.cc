// float_codes.h on every target against the reference, byte for byte:
// EncodeFloat / DecodeFloat (any format, overflow mode, rounding mode,
// packing, scale, per tensor or per group), EncodeMx / DecodeMx (any format
// and rule, whole or ragged rows) and EncodeNvFp4 / DecodeNvFp4; errors
// where the reference errs.
#include <stdexcept>
#include <vector>

#include "simdquant/float_codes.h"
#include "simdquant/reference.h"
#include "tests/fuzz/fuzz_input.h"

using namespace simdquant;
using namespace simdquant::fuzz;

namespace {

// The rest of the input as up to 600 floats, steered onto a format's
// midpoints times `scale` when the kind byte asks.
std::vector<float> Values(FuzzInput& in, FloatFormat format, float scale) {
  std::vector<float> x;
  while (in.Remaining() > 0 && x.size() < 600) {
    const uint8_t kind = in.Byte();
    if (kind < 128) {
      x.push_back(in.Float());
      continue;
    }
    // A code's value or the midpoint above it, a few ulps off, times scale.
    const uint8_t code = static_cast<uint8_t>(in.Byte() % (1u << (FloatFormatBits(format) - 1)));
    float v = DecodeFloatCode(format, code);
    if (!std::isfinite(v)) v = FloatFormatMax(format);
    if (kind & 1) {
      const float next = DecodeFloatCode(format, static_cast<uint8_t>(code + 1));
      v = std::isfinite(next) ? (v + next) / 2 : v * 1.0625f;
    }
    v *= scale;
    for (int ulps = static_cast<int8_t>(in.Byte()) % 4; ulps != 0; ulps += ulps > 0 ? -1 : 1) {
      v = std::nextafter(v, ulps > 0 ? INFINITY : -INFINITY);
    }
    x.push_back(kind & 2 ? -v : v);
  }
  return x;
}

template <class Run>
void Expect(const char* what, bool want_throws, const Run& run) {
  ForEachTarget([&](const Target& t) {
    try {
      run(t);
      if (want_throws) Mismatch(what, t, 0);
    } catch (const std::invalid_argument&) {
      if (!want_throws) Mismatch(what, t, 0);
    }
  });
}

void CheckFloat(FuzzInput& in) {
  FloatCodeSpec spec;
  spec.format = static_cast<FloatFormat>(in.Byte() % 8);  // 7: invalid
  spec.overflow = in.Bool() ? Overflow::kInfOrNaN : Overflow::kSaturate;
  spec.mode = in.Bool() ? QuantizeMode::kReciprocal : QuantizeMode::kDivide;
  spec.packed = in.Bool();
  const size_t group = in.Byte() % 40 + 1;
  std::vector<float> scales(64);
  for (float& s : scales) {
    s = in.Byte() < 8 ? in.Float() : std::fabs(FuzzInput::FromBits((in.U32() & 0x3FFFFFFF) | 0x30000000));
  }
  const FloatFormat steer = static_cast<uint8_t>(spec.format) < 7 ? spec.format : FloatFormat::kE4M3FN;
  const std::vector<float> x = Values(in, steer, scales[0]);
  const size_t n = x.size();
  const Layout layout = group > n || n / group > 60 ? Layout::PerTensor(n)
                                                    : Layout::PerGroup(1, n, group);
  const size_t bytes = static_cast<uint8_t>(spec.format) < 7 ? FloatCodeBytes(n, spec) : n;
  std::vector<uint8_t> want(bytes);
  bool want_throws = false;
  try {
    reference::EncodeFloat(x.data(), layout, scales.data(), spec, want.data());
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  // The reference has no checks of its own: the library's decide.
  try {
    std::vector<uint8_t> probe(bytes);
    RestrictToTarget("");
    EncodeFloat(x.data(), layout, scales.data(), spec, probe.data());
  } catch (const std::invalid_argument&) {
    want_throws = true;
  }
  Expect("EncodeFloat", want_throws, [&](const Target& t) {
    std::vector<uint8_t> got(bytes);
    EncodeFloat(x.data(), layout, scales.data(), spec, got.data());
    for (size_t i = 0; i < bytes; ++i) {
      if (got[i] != want[i]) Mismatch("EncodeFloat", t, i);
    }
  });
  if (want_throws) return;
  std::vector<float> y_want(n);
  reference::DecodeFloat(want.data(), layout, scales.data(), spec, y_want.data());
  Expect("DecodeFloat", false, [&](const Target& t) {
    std::vector<float> y(n);
    DecodeFloat(want.data(), layout, scales.data(), spec, y.data());
    for (size_t i = 0; i < n; ++i) {
      if (!SameBits(y[i], y_want[i])) Mismatch("DecodeFloat", t, i);
    }
  });
}

void CheckBlocks(FuzzInput& in) {
  const bool nv = in.Byte() % 7 == 6;
  const auto format = static_cast<MxFormat>(in.Byte() % 6);
  const auto rule = in.Bool() ? MxScaleRule::kRoundUp : MxScaleRule::kFloor;
  const size_t cols = in.Bool() ? 32 * (in.Byte() % 4 + 1) : in.Byte() % 70 + 1;
  const float t = NvFp4TensorScale(std::fabs(FuzzInput::FromBits((in.U32() & 0x3FFFFFFF) | 0x30000000)));
  std::vector<float> x = Values(in, nv ? FloatFormat::kE2M1 : FloatFormat::kE4M3FN, 1.0f);
  const size_t rows = x.size() / cols;
  x.resize(rows * cols);
  const size_t n = x.size();
  const size_t scale_count = nv ? NvFp4ScaleCount(rows, cols) : MxScaleCount(rows, cols);
  const size_t bytes = nv ? PackedBytes(n, 4) : MxElementBytes(format, n);
  std::vector<uint8_t> scales(scale_count), elements(bytes);
  bool want_throws = false;
  try {
    if (nv) {
      EncodeNvFp4(x.data(), rows, cols, t, scales.data(), elements.data());
    } else {
      EncodeMx(x.data(), rows, cols, format, scales.data(), elements.data(), rule);
    }
  } catch (const std::invalid_argument&) {
    want_throws = true;  // NVFP4 with NaN or Inf
  }
  std::vector<uint8_t> want_s(scale_count), want(bytes);
  if (!want_throws) {
    if (nv) {
      reference::EncodeNvFp4(x.data(), rows, cols, t, want_s.data(), want.data());
    } else {
      reference::EncodeMx(x.data(), rows, cols, format, want_s.data(), want.data(), rule);
    }
  }
  Expect(nv ? "EncodeNvFp4" : "EncodeMx", want_throws, [&](const Target& tg) {
    std::vector<uint8_t> s(scale_count), e(bytes);
    if (nv) {
      EncodeNvFp4(x.data(), rows, cols, t, s.data(), e.data());
    } else {
      EncodeMx(x.data(), rows, cols, format, s.data(), e.data(), rule);
    }
    if (s != want_s) Mismatch("block scales", tg, 0);
    if (e != want) Mismatch("block elements", tg, 0);
  });
  if (want_throws) return;
  std::vector<float> y_want(n);
  if (nv) {
    reference::DecodeNvFp4(want_s.data(), want.data(), rows, cols, t, y_want.data());
  } else {
    reference::DecodeMx(want_s.data(), want.data(), rows, cols, format, y_want.data());
  }
  Expect("block decode", false, [&](const Target& tg) {
    std::vector<float> y(n);
    if (nv) {
      DecodeNvFp4(want_s.data(), want.data(), rows, cols, t, y.data());
    } else {
      DecodeMx(want_s.data(), want.data(), rows, cols, format, y.data());
    }
    for (size_t i = 0; i < n; ++i) {
      if (!SameBits(y[i], y_want[i])) Mismatch("block decode", tg, i);
    }
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  if (in.Bool()) {
    CheckFloat(in);
  } else {
    CheckBlocks(in);
  }
  return 0;
}
