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

// Dispatch every kernel to `name` (one of AvailableTargets(), in any case;
// "SCALAR" and "EMU128" both name the fallback) until the next call. An empty
// name restores the default, the best available target. Throws
// std::invalid_argument for a name that is not available.
//
// Process-wide, kept by simdquant (not in Highway's shared state, which other
// threads and libraries rewrite): every kernel call that starts after this
// returns runs `name`. A call running concurrently may use either target; both
// produce the same results.
//
// The environment variable SIMDQUANT_TARGET=<name>, read at the first kernel
// call, does the same. A value that names no available target makes every
// kernel call throw (naming the variable) until it is fixed or this function
// chooses a target.
void RestrictToTarget(const std::string& name);

}  // namespace simdquant

#endif  // SIMDQUANT_TARGETS_H_
