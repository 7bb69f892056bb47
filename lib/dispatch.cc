// Target listing and restriction. Compiled with the same target policy as the
// kernels, so HWY_TARGETS here is the set of targets every kernel has.
#include <stdlib.h>

#include <string>
#include <vector>

#include "hwy/targets.h"
#include "lib/internal.h"
#include "simdquant/targets.h"

namespace simdquant {
namespace {

Target TargetOf(int64_t bits) { return {bits, hwy::TargetName(bits)}; }

// Each set bit of `targets` that the library was compiled for, best first
// (Highway numbers better targets with lower bits).
std::vector<Target> ListTargets(int64_t targets) {
  std::vector<Target> list;
  for (int64_t rest = targets & HWY_TARGETS; rest != 0; rest &= rest - 1) {
    list.push_back(TargetOf(rest & -rest));
  }
  return list;
}

// What the CPU supports, read before any restriction is set.
int64_t CpuTargets() {
  static const int64_t cpu_targets = hwy::SupportedTargets();
  return cpu_targets;
}

std::string Names(const std::vector<Target>& targets) {
  std::string names;
  for (const Target& t : targets) names += (names.empty() ? "" : " ") + t.name;
  return names;
}

void Restrict(const std::string& name, const char* function) {
  if (name.empty()) {
    hwy::SetSupportedTargetsForTest(0);
    return;
  }
  for (const Target& t : AvailableTargets()) {
    if (t.name == name) {
      hwy::SetSupportedTargetsForTest(t.bits);
      return;
    }
  }
  internal::Fail(function, "target \"" + name +
                               "\" is not available; available: " +
                               Names(AvailableTargets()));
}

}  // namespace

std::vector<Target> AvailableTargets() { return ListTargets(CpuTargets()); }

Target ActiveTarget() {
  internal::InitDispatch();
  const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return TargetOf(targets & -targets);
}

void RestrictToTarget(const std::string& name) {
  internal::InitDispatch();  // Else a later first call would apply the
                             // environment over this explicit choice.
  Restrict(name, "RestrictToTarget");
}

namespace internal {

void InitDispatch() {
  // A throwing initializer is retried on the next call, so a bad value keeps
  // failing loudly instead of being ignored after the first error.
  static const bool initialized = [] {
    CpuTargets();
    const char* name = getenv("SIMDQUANT_TARGET");
    if (name != nullptr && name[0] != '\0') {
      Restrict(name, "SIMDQUANT_TARGET");
    }
    return true;
  }();
  (void)initialized;
}

}  // namespace internal
}  // namespace simdquant
