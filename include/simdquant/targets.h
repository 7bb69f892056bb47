// Which instruction sets simdquant was compiled for, which one it dispatches
// to, and a way to pin dispatch to one of them (tests, benchmarks, debugging).
#ifndef SIMDQUANT_TARGETS_H_
#define SIMDQUANT_TARGETS_H_

#include <stdint.h>

#include <string>
#include <vector>

namespace simdquant {

// One instruction set: Highway's target bit and its name ("AVX2", "SCALAR").
struct Target {
  int64_t bits;
  std::string name;
};

// Targets compiled into the library and supported by this CPU, best first.
// Ignores any restriction set below.
std::vector<Target> AvailableTargets();

// The target the kernels dispatch to now.
Target ActiveTarget();

// Dispatch every kernel to `name` (one of AvailableTargets()) until the next
// call. An empty name restores the default, the best available target.
// Throws std::invalid_argument for a name that is not available.
//
// Process-wide, like Highway's own dispatch state (which lives in libhwy and
// is shared with any other Highway user in the process). Set it between
// kernel calls: a call running concurrently may use either target, and both
// produce the same results.
//
// The environment variable SIMDQUANT_TARGET=<name>, read at the first kernel
// call, does the same.
void RestrictToTarget(const std::string& name);

}  // namespace simdquant

#endif  // SIMDQUANT_TARGETS_H_
