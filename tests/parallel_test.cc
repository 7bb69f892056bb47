// parallel.h: every kernel on several threads equals the single-thread
// kernel byte for byte, for thread counts 1 to 8 and executors that run the
// pieces in any order, at sizes around piece boundaries, on every target;
// and the pool's and executors' errors. Run under ThreadSanitizer by
// tests/run.sh.
#include "simdquant/parallel.h"

#include <string.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/gguf.h"
#include "simdquant/reference.h"
#include "simdquant/tensor.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

constexpr size_t kMin = kMinPieceElements;

// Runs the pieces last to first on the calling thread, as if 8 threads.
class ReverseExecutor final : public Executor {
 public:
  size_t Concurrency() const override { return 8; }
  void Run(size_t count, Task task, void* context) override {
    for (size_t i = count; i-- > 0;) task(context, i);
  }
};

// A framework's pool in miniature: a thread per task.
class SpawningExecutor final : public Executor {
 public:
  size_t Concurrency() const override { return 3; }
  void Run(size_t count, Task task, void* context) override {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < count; ++i) threads.emplace_back(task, context, i);
    for (std::thread& t : threads) t.join();
  }
};

// Pools of 1 to 8 threads and the executors above.
std::vector<Executor*> Executors() {
  static std::vector<std::unique_ptr<Executor>> all = [] {
    std::vector<std::unique_ptr<Executor>> v;
    for (size_t t = 1; t <= 8; ++t) v.push_back(std::make_unique<ThreadPool>(t));
    v.push_back(std::make_unique<ReverseExecutor>());
    v.push_back(std::make_unique<SpawningExecutor>());
    return v;
  }();
  std::vector<Executor*> out;
  for (auto& e : all) out.push_back(e.get());
  return out;
}

template <typename T>
bool SameBytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

bool SameRange(MinMaxResult a, MinMaxResult b) {
  // The sign of a zero may differ (parallel.h); these data have no zeros.
  return SameFloat(a.min, b.min) && SameFloat(a.max, b.max);
}

class ParallelTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(ParallelTest);

TEST_P(ParallelTest, FlatKernelsAsOneThread) {
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  const QuantParams p16 = ChooseSymmetricParams(-3.0f, 3.0f, 12);
  // One piece; two; uneven pieces with a tail; many.
  for (size_t n : {2 * kMin - 1, 2 * kMin + 1, 3 * kMin + 513, 5 * kMin + 7}) {
    SCOPED_TRACE(n);
    const std::vector<float> x = NormalWithOutliers(n, static_cast<uint32_t>(n));
    std::vector<uint8_t> want_u8(n), got_u8(n);
    std::vector<int16_t> want_i16(n), got_i16(n);
    std::vector<float> want_y(n), got_y(n);
    Quantize(x.data(), n, p, want_u8.data(), QuantizeMode::kReciprocal);
    Quantize(x.data(), n, p16, want_i16.data());
    Dequantize(want_u8.data(), n, p, want_y.data());
    const MinMaxResult want_range = MinMax(x.data(), n);
    const float want_absmax = AbsMax(x.data(), n);
    std::vector<uint8_t> codes3(n);
    for (size_t i = 0; i < n; ++i) codes3[i] = want_u8[i] & 7;
    std::vector<uint8_t> want_packed(PackedBytes(n, 3)), got_packed(want_packed.size());
    Pack(codes3.data(), n, 3, want_packed.data());
    std::vector<int8_t> want_unpacked(n), got_unpacked(n);
    Unpack(want_packed.data(), n, 3, want_unpacked.data());
    // Many stripes of the error sums: the kernel as the reference, too.
    const ErrorStats want_error = MeasureError(x.data(), n, p16);
    const ErrorStats ref_error = reference::MeasureError(x.data(), n, p16);
    EXPECT_EQ(memcmp(&want_error, &ref_error, sizeof(ErrorStats)), 0);
    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      std::fill(got_u8.begin(), got_u8.end(), 0);
      Quantize(*e, x.data(), n, p, got_u8.data(), QuantizeMode::kReciprocal);
      EXPECT_TRUE(SameBytes(got_u8, want_u8));
      Quantize(*e, x.data(), n, p16, got_i16.data());
      EXPECT_TRUE(SameBytes(got_i16, want_i16));
      Dequantize(*e, want_u8.data(), n, p, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_y));
      EXPECT_TRUE(SameRange(MinMax(*e, x.data(), n), want_range));
      EXPECT_TRUE(SameFloat(AbsMax(*e, x.data(), n), want_absmax));
      Pack(*e, codes3.data(), n, 3, got_packed.data());
      EXPECT_TRUE(SameBytes(got_packed, want_packed));
      Unpack(*e, want_packed.data(), n, 3, got_unpacked.data());
      EXPECT_TRUE(SameBytes(got_unpacked, want_unpacked));
      const ErrorStats error = MeasureError(*e, x.data(), n, p16);
      EXPECT_EQ(memcmp(&error, &want_error, sizeof(ErrorStats)), 0);
    }
  }
}

// A NaN in the last piece only makes the merged range NaN.
TEST_P(ParallelTest, NaNInOnePieceReachesTheRange) {
  const size_t n = 4 * kMin;
  std::vector<float> x = NormalWithOutliers(n, 5);
  x[n - 3] = std::numeric_limits<float>::quiet_NaN();
  for (Executor* e : Executors()) {
    const MinMaxResult r = MinMax(*e, x.data(), n);
    EXPECT_TRUE(std::isnan(r.min) && std::isnan(r.max));
    EXPECT_TRUE(std::isnan(AbsMax(*e, x.data(), n)));
  }
}

TEST_P(ParallelTest, CalibratorsAsOneThread) {
  const size_t n = 3 * kMin + 5;
  std::vector<float> normal = NormalWithOutliers(n, 23);
  std::vector<float> relu = normal;  // half zeros: the run-counting path
  for (float& v : relu) v = v < 0.0f ? 0.0f : v;
  std::vector<float> narrow(n);  // few distinct values: gathering passes
  for (size_t i = 0; i < n; ++i) narrow[i] = 1.0f + static_cast<float>(i % 3000) * 0x1p-20f;
  QuantSpec asym, sym;
  sym.scheme = Scheme::kSymmetric;
  sym.signedness = Signedness::kSigned;
  for (const std::vector<float>* x : {&normal, &relu, &narrow}) {
    std::vector<MinMaxResult> want;
    for (double pct : {0.0, 0.1, 1.0, 50.0, 99.9, 99.99, 100.0}) {
      want.push_back(PercentileRange(x->data(), n, 100.0 - std::max(pct, 50.0),
                                     std::max(pct, 50.0)));
    }
    const QuantParams want_mse = CalibrateMse(x->data(), n, asym);
    const QuantParams want_mse_sym = CalibrateMse(x->data(), n, sym);
    const QuantParams want_pct = CalibratePercentile(x->data(), n, 99.9, asym);
    const QuantParams want_mm = CalibrateMinMax(x->data(), n, sym);
    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      size_t k = 0;
      for (double pct : {0.0, 0.1, 1.0, 50.0, 99.9, 99.99, 100.0}) {
        const MinMaxResult r = PercentileRange(*e, x->data(), n, 100.0 - std::max(pct, 50.0),
                                               std::max(pct, 50.0));
        EXPECT_TRUE(SameRange(r, want[k++])) << pct;
      }
      const auto same = [](const QuantParams& a, const QuantParams& b) {
        return SameFloat(a.scale, b.scale) && a.zero_point == b.zero_point;
      };
      EXPECT_TRUE(same(CalibrateMse(*e, x->data(), n, asym), want_mse));
      EXPECT_TRUE(same(CalibrateMse(*e, x->data(), n, sym), want_mse_sym));
      EXPECT_TRUE(same(CalibratePercentile(*e, x->data(), n, 99.9, asym), want_pct));
      EXPECT_TRUE(same(CalibrateMinMax(*e, x->data(), n, sym), want_mm));
    }
  }
}

struct LayoutCase {
  Layout layout;
  const char* name;
};

std::vector<LayoutCase> LayoutCases() {
  return {
      {Layout::PerTensor(3 * kMin + 77), "tensor"},
      {Layout::PerRow(700, 1003), "row"},            // rows in 8s (packed)
      {Layout::PerColumn(700, 1003), "column"},
      {Layout::PerColumn(3 * kMin / 3 + 5, 3), "column3"},
      {Layout::PerGroup(700, 1024, 32), "group32"},  // by whole groups
      {Layout::PerGroup(600, 1003, 32), "group32_ragged"},  // by rows
      {Layout::PerGroup(3, 300000, 128), "group128_3rows"},
  };
}

TEST_P(ParallelTest, LayoutKernelsAsOneThread) {
  QuantSpec asym;  // asymmetric u8, divide mode
  QuantSpec sym;   // ggml's Q8_0: symmetric int8 with float16 scales
  sym.scheme = Scheme::kSymmetric;
  sym.signedness = Signedness::kSigned;
  sym.mode = QuantizeMode::kReciprocal;
  QuantSpec three = asym;  // 3-bit packed codes: rows end mid-byte
  three.bits = 3;
  for (const LayoutCase& c : LayoutCases()) {
    SCOPED_TRACE(c.name);
    const Layout& l = c.layout;
    const size_t n = l.NumElements(), sets = l.NumParams();
    const std::vector<float> x = NormalWithOutliers(n, static_cast<uint32_t>(sets));
    std::vector<hwy::bfloat16_t> xb(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits;
      memcpy(&bits, &x[i], 4);
      xb[i].bits = static_cast<uint16_t>(bits >> 16);
    }
    // The single-thread results.
    std::vector<MinMaxResult> want_ranges(sets), got_ranges(sets);
    MinMax(x.data(), l, want_ranges.data());
    std::vector<float> want_scales(sets), got_scales(sets);
    std::vector<int32_t> want_zp(sets), got_zp(sets);
    std::vector<uint8_t> want_q(n), got_q(n);
    QuantizeDynamic(xb.data(), l, asym, {want_scales.data(), nullptr, want_zp.data()},
                    want_q.data());
    std::vector<hwy::float16_t> want_f16(sets), got_f16(sets);
    std::vector<int8_t> want_s(n), got_s(n);
    QuantizeDynamic(x.data(), l, sym, {nullptr, want_f16.data(), nullptr}, want_s.data());
    std::vector<float> want_scales3(sets), got_scales3(sets);
    std::vector<int32_t> want_zp3(sets), got_zp3(sets);
    std::vector<uint8_t> want_p3(PackedBytes(n, 3)), got_p3(want_p3.size());
    QuantizeDynamicPacked(x.data(), l, three,
                          {want_scales3.data(), nullptr, want_zp3.data()}, want_p3.data());
    // Given parameters: the 3-bit ones (packed), the 8-bit ones.
    GroupParams given3;
    given3.scales = want_scales3.data();
    given3.zero_points = want_zp3.data();
    given3.bits = 3;
    std::vector<float> want_y(n), got_y(n);
    DequantizePacked(want_p3.data(), l, given3, want_y.data());
    GroupParams given;
    given.scales = want_scales.data();
    given.zero_points = want_zp.data();
    std::vector<hwy::bfloat16_t> want_yb(n), got_yb(n);
    Dequantize(want_q.data(), l, given, want_yb.data());

    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      MinMax(*e, x.data(), l, got_ranges.data());
      for (size_t k = 0; k < sets; ++k) {
        ASSERT_TRUE(SameRange(got_ranges[k], want_ranges[k])) << k;
      }
      QuantizeDynamic(*e, xb.data(), l, asym, {got_scales.data(), nullptr, got_zp.data()},
                      got_q.data());
      EXPECT_TRUE(SameBytes(got_scales, want_scales) && SameBytes(got_zp, want_zp));
      EXPECT_TRUE(SameBytes(got_q, want_q));
      QuantizeDynamic(*e, x.data(), l, sym, {nullptr, got_f16.data(), nullptr},
                      got_s.data());
      EXPECT_EQ(memcmp(got_f16.data(), want_f16.data(), 2 * sets), 0);
      EXPECT_TRUE(SameBytes(got_s, want_s));
      QuantizeDynamicPacked(*e, x.data(), l, three,
                            {got_scales3.data(), nullptr, got_zp3.data()}, got_p3.data());
      EXPECT_TRUE(SameBytes(got_scales3, want_scales3) && SameBytes(got_zp3, want_zp3));
      EXPECT_TRUE(SameBytes(got_p3, want_p3));
      std::fill(got_p3.begin(), got_p3.end(), 0);
      QuantizePacked(*e, x.data(), l, given3, got_p3.data());
      EXPECT_TRUE(SameBytes(got_p3, want_p3));
      DequantizePacked(*e, want_p3.data(), l, given3, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_y));
      Dequantize(*e, want_q.data(), l, given, got_yb.data());
      EXPECT_EQ(memcmp(got_yb.data(), want_yb.data(), 2 * n), 0);
      Quantize(*e, x.data(), l, given, got_q.data());
      std::vector<uint8_t> again(n);
      Quantize(x.data(), l, given, again.data());
      EXPECT_TRUE(SameBytes(got_q, again));
    }
  }
}

// float_codes.h: FP8 per group and E2M1 packed per column, MX and NVFP4
// with whole-block rows (batched) and ragged rows (blocks cut by pieces).
TEST_P(ParallelTest, FloatCodesAsOneThread) {
  const size_t n = 3 * kMin + 4101;
  std::vector<float> x = NormalWithOutliers(n, 5);
  x[kMin + 7] = std::numeric_limits<float>::quiet_NaN();  // an MX NaN block
  std::vector<float> finite = NormalWithOutliers(n, 6);
  struct Case {
    Layout layout;
    FloatCodeSpec spec;
  };
  FloatCodeSpec e2m1;
  e2m1.format = FloatFormat::kE2M1;
  e2m1.packed = true;
  const Case cases[] = {{Layout::PerGroup(1, n, 32), FloatCodeSpec()},
                        {Layout::PerColumn(n / 97, 97), e2m1}};
  for (const Case& c : cases) {
    const size_t count = c.layout.NumElements();
    std::vector<float> scales(c.layout.NumParams(), 0.02f);
    std::vector<uint8_t> want(FloatCodeBytes(count, c.spec)), got(want.size());
    EncodeFloat(x.data(), c.layout, scales.data(), c.spec, want.data());
    std::vector<float> want_y(count), got_y(count);
    DecodeFloat(want.data(), c.layout, scales.data(), c.spec, want_y.data());
    const ErrorStats want_e = MeasureFloatError(finite.data(), c.layout, scales.data(), c.spec);
    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      EncodeFloat(*e, x.data(), c.layout, scales.data(), c.spec, got.data());
      EXPECT_TRUE(SameBytes(got, want));
      DecodeFloat(*e, want.data(), c.layout, scales.data(), c.spec, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_y));
      const ErrorStats got_e = MeasureFloatError(*e, finite.data(), c.layout, scales.data(), c.spec);
      EXPECT_EQ(got_e.mse, want_e.mse);
      EXPECT_EQ(got_e.sqnr_db, want_e.sqnr_db);
    }
  }
  // MX and NVFP4: rows of whole blocks, and rows of 1000 (blocks of 32 cut
  // by 2048-element chunks and by pieces).
  for (size_t cols : {size_t{4096}, size_t{1000}}) {
    const size_t rows = n / cols, m = rows * cols;
    std::vector<uint8_t> want_s(MxScaleCount(rows, cols)), got_s(want_s.size());
    std::vector<uint8_t> want(MxElementBytes(MxFormat::kMXFP4, m)), got(want.size());
    EncodeMx(x.data(), rows, cols, MxFormat::kMXFP4, want_s.data(), want.data());
    std::vector<float> want_y(m), got_y(m);
    DecodeMx(want_s.data(), want.data(), rows, cols, MxFormat::kMXFP4, want_y.data());
    const ErrorStats want_e = MeasureMxError(finite.data(), rows, cols, MxFormat::kMXFP4);
    std::vector<uint8_t> want_nv_s(NvFp4ScaleCount(rows, cols)), got_nv_s(want_nv_s.size());
    std::vector<uint8_t> want_nv(PackedBytes(m, 4)), got_nv(want_nv.size());
    const float t = NvFp4TensorScale(20.0f);
    EncodeNvFp4(finite.data(), rows, cols, t, want_nv_s.data(), want_nv.data());
    std::vector<float> want_nv_y(m);
    DecodeNvFp4(want_nv_s.data(), want_nv.data(), rows, cols, t, want_nv_y.data());
    const ErrorStats want_nv_e = MeasureNvFp4Error(finite.data(), rows, cols, t);
    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      EncodeMx(*e, x.data(), rows, cols, MxFormat::kMXFP4, got_s.data(), got.data());
      EXPECT_TRUE(SameBytes(got_s, want_s) && SameBytes(got, want));
      DecodeMx(*e, want_s.data(), want.data(), rows, cols, MxFormat::kMXFP4, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_y));
      EXPECT_EQ(MeasureMxError(*e, finite.data(), rows, cols, MxFormat::kMXFP4).mse,
                want_e.mse);
      EncodeNvFp4(*e, finite.data(), rows, cols, t, got_nv_s.data(), got_nv.data());
      EXPECT_TRUE(SameBytes(got_nv_s, want_nv_s) && SameBytes(got_nv, want_nv));
      DecodeNvFp4(*e, want_nv_s.data(), want_nv.data(), rows, cols, t, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_nv_y));
      EXPECT_EQ(MeasureNvFp4Error(*e, finite.data(), rows, cols, t).mse, want_nv_e.mse);
    }
  }
}

TEST_P(ParallelTest, GgufAsOneThread) {
  using gguf::BlockType;
  for (BlockType type : {BlockType::kQ8_0, BlockType::kQ4_0, BlockType::kQ4_K,
                         BlockType::kQ6_K}) {
    SCOPED_TRACE(gguf::BlockTypeName(type));
    const size_t block = gguf::BlockSize(type);
    const size_t n = (3 * kMin / block + 5) * block;  // several pieces
    const std::vector<float> x = NormalWithOutliers(n, 3);
    std::vector<uint8_t> want(gguf::RowBytes(type, n)), got(want.size());
    gguf::Encode(type, x.data(), n, want.data());
    std::vector<float> want_y(n), got_y(n);
    gguf::Decode(type, want.data(), n, want_y.data());
    // Rows with importance weights: split by rows.
    const size_t rows = 24, per_row = 16 * block;
    std::vector<float> importance(per_row);
    for (size_t i = 0; i < per_row; ++i) importance[i] = 0.5f + static_cast<float>(i % 7);
    std::vector<uint8_t> want_rows(rows * gguf::RowBytes(type, per_row)),
        got_rows(want_rows.size());
    gguf::EncodeRows(type, x.data(), rows, per_row, importance.data(), want_rows.data());
    for (Executor* e : Executors()) {
      SCOPED_TRACE(e->Concurrency());
      gguf::Encode(*e, type, x.data(), n, got.data());
      EXPECT_TRUE(SameBytes(got, want));
      gguf::EncodeRows(*e, type, x.data(), 1, n, nullptr, got.data());
      EXPECT_TRUE(SameBytes(got, want));
      gguf::Decode(*e, type, want.data(), n, got_y.data());
      EXPECT_TRUE(SameBytes(got_y, want_y));
      gguf::EncodeRows(*e, type, x.data(), rows, per_row, importance.data(),
                       got_rows.data());
      EXPECT_TRUE(SameBytes(got_rows, want_rows));
    }
  }
}

// ---------------------------------------------------------------------------
// The pool and executors.

TEST(ThreadPoolTest, ThreadCountMustBeSane) {
  EXPECT_THROW(ThreadPool(0), std::invalid_argument);
  EXPECT_THROW(ThreadPool(ThreadPool::kMaxThreads + 1), std::invalid_argument);
  EXPECT_EQ(ThreadPool(1).Concurrency(), 1u);
  EXPECT_EQ(ThreadPool(3).Concurrency(), 3u);
}

TEST(ThreadPoolTest, EveryTaskRunsOnceOnTheWorkers) {
  ThreadPool pool(4);
  for (size_t count : {0, 1, 3, 1000}) {
    std::vector<std::atomic<int>> runs(count);
    pool.Run(count, [](void* c, size_t i) {
      (*static_cast<std::vector<std::atomic<int>>*>(c))[i].fetch_add(1);
    }, &runs);
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  }
}

TEST(ThreadPoolTest, RunAfterShutdownThrows) {
  ThreadPool pool(3);
  pool.Shutdown();
  pool.Shutdown();  // idempotent
  EXPECT_THROW(pool.Run(2, [](void*, size_t) {}, nullptr), std::logic_error);
  // A kernel large enough to split reports it; a small one needs no pool.
  const size_t n = 4 * kMin;
  std::vector<float> x(n, 1.0f);
  std::vector<uint8_t> q(n);
  const QuantParams p = ChooseAsymmetricParams(-1.0f, 1.0f, 8);
  EXPECT_THROW(Quantize(pool, x.data(), n, p, q.data()), std::logic_error);
  EXPECT_NO_THROW(Quantize(pool, x.data(), 100, p, q.data()));
}

TEST(ThreadPoolTest, ThrowingTaskReachesTheCallerAndThePoolGoesOn) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.Run(64, [](void*, size_t i) {
    if (i == 40) throw std::runtime_error("task 40");
  }, nullptr), std::runtime_error);
  std::atomic<size_t> ran{0};
  pool.Run(10, [](void* c, size_t) { static_cast<std::atomic<size_t>*>(c)->fetch_add(1); },
           &ran);
  EXPECT_EQ(ran.load(), 10u);
}

// A Quantize large enough to split, with its single-thread codes.
struct QuantizeCase {
  explicit QuantizeCase(size_t n_, uint32_t seed)
      : n(n_), x(NormalWithOutliers(n, seed)), want(n) {
    Quantize(x.data(), n, p, want.data());
  }
  size_t n;
  std::vector<float> x;
  QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  std::vector<uint8_t> want;
};

// A kernel called from inside one of the pool's tasks runs on that thread.
TEST(ThreadPoolTest, NestedKernelsDoNotDeadlock) {
  ThreadPool pool(2);
  const QuantizeCase c(4 * kMin, 9);
  struct Job {
    ThreadPool* pool;
    const QuantizeCase* c;
    std::vector<std::vector<uint8_t>> out;
  } job{&pool, &c, std::vector<std::vector<uint8_t>>(3, std::vector<uint8_t>(c.n))};
  pool.Run(3, [](void* context, size_t i) {
    Job& j = *static_cast<Job*>(context);
    Quantize(*j.pool, j.c->x.data(), j.c->n, j.c->p, j.out[i].data());
  }, &job);
  for (const auto& out : job.out) EXPECT_TRUE(SameBytes(out, c.want));
}

// Several threads share one pool: their kernels take turns.
TEST(ThreadPoolTest, ManyCallersShareOnePool) {
  ThreadPool pool(3);
  const QuantizeCase c(3 * kMin, 11);
  const size_t n = c.n;
  const std::vector<float>& x = c.x;
  const QuantParams& p = c.p;
  const std::vector<uint8_t>& want = c.want;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      std::vector<uint8_t> q(n);
      for (int round = 0; round < 3; ++round) {
        Quantize(pool, x.data(), n, p, q.data());
        if (!SameBytes(q, want)) mismatches.fetch_add(1);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

class ThrowingExecutor final : public Executor {
 public:
  size_t Concurrency() const override { return 4; }
  void Run(size_t, Task, void*) override { throw std::runtime_error("no threads"); }
};

// Runs only the first task.
class ForgetfulExecutor final : public Executor {
 public:
  size_t Concurrency() const override { return 4; }
  void Run(size_t count, Task task, void* context) override {
    if (count > 0) task(context, 0);
  }
};

TEST(ExecutorTest, ExecutorErrorsReachTheCaller) {
  const QuantizeCase c(4 * kMin, 13);
  const size_t n = c.n;
  const std::vector<float>& x = c.x;
  const QuantParams& p = c.p;
  std::vector<uint8_t> q(n);
  ThrowingExecutor throwing;
  EXPECT_THROW(Quantize(throwing, x.data(), n, p, q.data()), std::runtime_error);
  ForgetfulExecutor forgetful;
  try {
    Quantize(forgetful, x.data(), n, p, q.data());
    ADD_FAILURE() << "no error for tasks that never ran";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("before running every task"), std::string::npos)
        << e.what();
  }
  // An executor claiming absurd concurrency still gets bounded pieces.
  class Huge final : public Executor {
   public:
    size_t Concurrency() const override { return ~size_t{0}; }
    void Run(size_t count, Task task, void* context) override {
      EXPECT_LE(count, 4 * ThreadPool::kMaxThreads);
      for (size_t i = 0; i < count; ++i) task(context, i);
    }
  } huge;
  Quantize(huge, x.data(), n, p, q.data());
  EXPECT_TRUE(SameBytes(q, c.want));
}

TEST(ExecutorTest, BadArgumentsAreTheSingleThreadErrors) {
  ThreadPool pool(2);
  const size_t n = 4 * kMin;
  std::vector<float> x = NormalWithOutliers(n, 15);
  std::vector<uint8_t> q(n);
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  EXPECT_THROW(Quantize(pool, static_cast<const float*>(nullptr), n, p, q.data()),
               std::invalid_argument);
  EXPECT_THROW(MinMax(pool, x.data(), 0), std::invalid_argument);
  EXPECT_THROW(Pack(pool, q.data(), n, 9, q.data()), std::invalid_argument);
  QuantParams bad = p;
  bad.scale = -1.0f;
  EXPECT_THROW(Quantize(pool, x.data(), n, bad, q.data()), std::invalid_argument);
  // A NaN in a late group: the piece that meets it throws, on this thread.
  x[n - 100] = std::numeric_limits<float>::quiet_NaN();
  const Layout l = Layout::PerGroup(1, n, 32);
  std::vector<float> scales(l.NumParams());
  std::vector<int32_t> zp(l.NumParams());
  EXPECT_THROW(QuantizeDynamic(pool, x.data(), l, QuantSpec(),
                               {scales.data(), nullptr, zp.data()}, q.data()),
               std::invalid_argument);
  EXPECT_THROW(gguf::Encode(pool, gguf::BlockType::kQ4_K, x.data(), 100, q.data()),
               std::invalid_argument);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
