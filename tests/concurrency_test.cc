// Many threads call every kernel at once while another thread keeps
// switching the dispatch target; every result must still equal the
// reference (all targets compute the same thing). Run under ThreadSanitizer
// by tests/run.sh.
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

TEST(ConcurrencyTest, KernelsWhileTargetsChange) {
  const size_t n = 4099;
  const std::vector<float> x = NormalWithOutliers(n, 17);
  const QuantParams p = ChooseAsymmetricParams(-3.0f, 3.0f, 8);
  std::vector<uint8_t> want_q(n);
  reference::Quantize(x.data(), n, p, want_q.data());
  std::vector<float> want_y(n);
  reference::Dequantize(want_q.data(), n, p, want_y.data());
  const MinMaxResult want_range = reference::MinMax(x.data(), n);
  const ErrorStats want_error = reference::MeasureError(x.data(), n, p);

  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0};
  std::thread switcher([&] {
    const std::vector<Target> targets = AvailableTargets();
    for (int round = 0; !stop.load(); ++round) {
      RestrictToTarget(targets[static_cast<size_t>(round) % targets.size()].name);
    }
    RestrictToTarget("");
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      std::vector<uint8_t> q(n);
      std::vector<float> y(n);
      for (int iter = 0; iter < 3000; ++iter) {
        Quantize(x.data(), n, p, q.data());
        Dequantize(q.data(), n, p, y.data());
        const MinMaxResult r = MinMax(x.data(), n);
        const ErrorStats e = MeasureError(x.data(), n, p);
        if (q != want_q || y != want_y || r.min != want_range.min ||
            r.max != want_range.max || e.mse != want_error.mse) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  stop = true;
  switcher.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace test
}  // namespace simdquant
