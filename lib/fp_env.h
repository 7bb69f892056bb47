// The x86 floating-point environment (MXCSR) around the kernels that leave
// NaN and subnormal inputs to the hardware instead of masking them per
// vector, and check afterwards, once per chunk, whether they had any.
#ifndef SIMDQUANT_LIB_FP_ENV_H_
#define SIMDQUANT_LIB_FP_ENV_H_

#include "hwy/base.h"

#if HWY_ARCH_X86
#include <xmmintrin.h>

#include <limits>

namespace simdquant {
namespace internal {

// MXCSR fields (Intel SDM vol. 1, 10.2.3).
constexpr unsigned kMxcsrInvalidFlag = 0x0001;
// Every exception masked, round to nearest even, flags clear.
constexpr unsigned kMxcsrDefault = 0x1F80;
// Denormals are zeros (inputs) and flush to zero (results).
constexpr unsigned kMxcsrDazFtz = 0x8040;

// True if this CPU reports the invalid-operation flag of vminps on a NaN.
// Every x86 CPU does; Valgrind does not model MXCSR's flags (its stmxcsr
// returns them clear), and the unchecked kernels would then keep the codes
// of NaN lanes. Tested once per process.
inline bool InvalidFlagIsReported() {
  static const bool reported = [] {
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(kMxcsrDefault);
    volatile float nan = std::numeric_limits<float>::quiet_NaN();
    volatile float sink =
        _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(nan), _mm_set_ss(1.0f)));
    (void)sink;
    const unsigned flags = _mm_getcsr();
    _mm_setcsr(saved);
    return (flags & kMxcsrInvalidFlag) != 0;
  }();
  return reported;
}

// While alive, MXCSR is round to nearest even with every exception masked
// (and DAZ + FTZ if flush_subnormals); the caller's MXCSR comes back when it
// dies. Usage: ClearFlags(), call the kernel (an out-of-line call, so that
// no floating-point operation moves across the MXCSR accesses), then
// InvalidRaised().
class KernelMxcsr {
 public:
  explicit KernelMxcsr(bool flush_subnormals)
      : saved_(_mm_getcsr()),
        kernel_(kMxcsrDefault | (flush_subnormals ? kMxcsrDazFtz : 0u)) {}
  ~KernelMxcsr() { _mm_setcsr(saved_); }
  KernelMxcsr(const KernelMxcsr&) = delete;
  KernelMxcsr& operator=(const KernelMxcsr&) = delete;

  void ClearFlags() const { _mm_setcsr(kernel_); }
  // A NaN operand of vminps/vmaxps, a NaN or out-of-range conversion to
  // int32, or a signaling NaN anywhere since ClearFlags.
  bool InvalidRaised() const {
    return (_mm_getcsr() & kMxcsrInvalidFlag) != 0;
  }

 private:
  unsigned saved_;
  unsigned kernel_;
};

// Runs unchecked() (a kernel without its per-vector NaN handling, called out
// of line) under KernelMxcsr and returns true if it raised no invalid flag,
// that is if its results stand; false, without running it, where the flag
// is not reported: the caller then runs the checked kernel.
template <class Unchecked>
bool RanWithoutInvalid(bool flush_subnormals, const Unchecked& unchecked) {
  if (!InvalidFlagIsReported()) return false;
  const KernelMxcsr mxcsr(flush_subnormals);
  mxcsr.ClearFlags();
  unchecked();
  return !mxcsr.InvalidRaised();
}

}  // namespace internal
}  // namespace simdquant

#endif  // HWY_ARCH_X86
#endif  // SIMDQUANT_LIB_FP_ENV_H_
