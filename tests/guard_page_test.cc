// Every kernel on every target with its inputs and outputs placed against an
// inaccessible (PROT_NONE) page: first ending right before one, then starting
// right after one. Any read or write outside [ptr, ptr + n) crashes.
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>
#include <string.h>

#include <vector>

#include "gtest/gtest.h"
#include "simdquant/calibrate.h"
#include "simdquant/reference.h"
#include "simdquant/simdquant.h"
#include "tests/test_util.h"

namespace simdquant {
namespace test {
namespace {

// `bytes` of read-write memory flush against a PROT_NONE page: after it if
// !at_start (the buffer's last byte is followed by the guard), before it if
// at_start (its first byte is preceded by the guard).
class GuardedPage {
 public:
  GuardedPage(size_t bytes, bool at_start) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (bytes + page - 1) / page + 1;
    size_ = (data_pages + 1) * page;
    base_ = static_cast<unsigned char*>(mmap(nullptr, size_,
                                             PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) abort();
    if (at_start) {
      mprotect(base_, page, PROT_NONE);
      data_ = base_ + page;
    } else {
      mprotect(base_ + data_pages * page, page, PROT_NONE);
      data_ = base_ + data_pages * page - bytes;
    }
  }
  ~GuardedPage() { munmap(base_, size_); }
  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(data_);
  }

 private:
  unsigned char* base_;
  unsigned char* data_;
  size_t size_;
};

template <typename T>
void QuantizeAndDequantize(const float* x, size_t n, bool at_start) {
  const QuantParams p = std::is_signed<T>::value
                            ? ChooseSymmetricParams(-2.0f, 2.0f, 8 * sizeof(T))
                            : ChooseAsymmetricParams(-2.0f, 2.0f, 8 * sizeof(T));
  GuardedPage q_page(n * sizeof(T), at_start);
  GuardedPage y_page(n * sizeof(float), at_start);
  T* q = q_page.as<T>();
  float* y = y_page.as<float>();
  for (QuantizeMode mode : {QuantizeMode::kDivide, QuantizeMode::kReciprocal}) {
    Quantize(x, n, p, q, mode);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(int32_t{q[i]}, reference::QuantizeOne(x[i], p, mode)) << i;
    }
  }
  Dequantize(q, n, p, y);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(y[i], reference::DequantizeOne(q[i], p)) << i;
  }
}

class GuardPageTest : public PerTarget {};
SIMDQUANT_INSTANTIATE_PER_TARGET(GuardPageTest);

TEST_P(GuardPageTest, NoKernelTouchesPastItsBuffers) {
  for (bool at_start : {false, true}) {
    for (size_t n = 0; n <= 5 * kMaxLanes + 3; ++n) {
      const std::vector<float> values = NormalWithOutliers(n, 3);
      GuardedPage x_page(n * sizeof(float), at_start);
      float* x = x_page.as<float>();
      if (n != 0) memcpy(x, values.data(), n * sizeof(float));
      if (n != 0) {
        EXPECT_EQ(MinMax(x, n).max, reference::MinMax(x, n).max);
        EXPECT_EQ(AbsMax(x, n), reference::AbsMax(x, n));
        const QuantParams p = ChooseAsymmetricParams(-1.0f, 1.0f, 4);
        EXPECT_EQ(MeasureError(x, n, p).max_abs_error,
                  reference::MeasureError(x, n, p).max_abs_error);
        EXPECT_EQ(PercentileRange(x, n, 10.0, 90.0).max,
                  reference::PercentileRange(x, n, 10.0, 90.0).max);
      }
      QuantizeAndDequantize<uint8_t>(x, n, at_start);
      QuantizeAndDequantize<int8_t>(x, n, at_start);
      QuantizeAndDequantize<uint16_t>(x, n, at_start);
      QuantizeAndDequantize<int16_t>(x, n, at_start);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace simdquant
