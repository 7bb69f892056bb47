// Target listing, restriction and simdquant's own dispatch state.
//
// Kernels are still compiled and tabled by Highway (foreach_target.h and
// HWY_EXPORT), but they are called through SIMDQUANT_DISPATCH with an index
// kept here, not through Highway's process-wide ChosenTarget: another thread's
// first Highway call (ours or another library's) rewrites that global from the
// CPU's targets, and silently undid RestrictToTarget.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "lib/dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <ctype.h>
#include <stdlib.h>

#include <atomic>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "lib/internal.h"
#include "simdquant/targets.h"

HWY_BEFORE_NAMESPACE();
namespace simdquant {
namespace HWY_NAMESPACE {

int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace simdquant
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace simdquant {
namespace internal {

std::atomic<size_t> dispatch_index{0};

}  // namespace internal
namespace {

HWY_EXPORT(CompiledTarget);

constexpr int64_t kFallbacks = HWY_SCALAR | HWY_EMU128;

Target TargetOf(int64_t bits) { return {bits, hwy::TargetName(bits)}; }

// What the CPU supports, read once. Highway's answer is masked by
// hwy::SetSupportedTargetsForTest, which simdquant never calls.
int64_t CpuTargets() {
  static const int64_t cpu_targets = hwy::SupportedTargets();
  return cpu_targets;
}

// Each target compiled in and supported by the CPU, best first (Highway
// numbers better targets with lower bits); the fallback (SCALAR or EMU128,
// whichever this compiler built) last.
const std::vector<Target>& Available() {
  static const std::vector<Target> list = [] {
    std::vector<Target> targets;
    for (int64_t rest = CpuTargets() & HWY_TARGETS; rest != 0;
         rest &= rest - 1) {
      targets.push_back(TargetOf(rest & -rest));
    }
    return targets;
  }();
  return list;
}

// The slot of `bits` in the tables HWY_EXPORT makes: slot 0 is Highway's
// initializer, then one per dynamic target in bit order, the fallback last
// (the layout HWY_CHOSEN_TARGET_SHIFT and ChosenTarget::GetIndex encode).
size_t IndexOf(int64_t bits) {
  if (bits & kFallbacks) return HWY_MAX_DYNAMIC_TARGETS + 1;
  return hwy::Num0BitsBelowLS1Bit_Nonzero64(
      static_cast<uint64_t>(HWY_CHOSEN_TARGET_SHIFT(bits)));
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Names() {
  std::string names;
  for (const Target& t : Available()) {
    names += (names.empty() ? "" : " ") + t.name;
  }
  return names;
}

// The available target called `name` (any case; SCALAR and EMU128 both name
// the fallback, so that one value works with every compiler), or nullptr.
const Target* Find(const std::string& name) {
  const std::string want = Upper(name);
  const bool fallback = want == "SCALAR" || want == "EMU128";
  for (const Target& t : Available()) {
    if (t.name == want || (fallback && (t.bits & kFallbacks))) return &t;
  }
  return nullptr;
}

}  // namespace

std::vector<Target> AvailableTargets() { return Available(); }

Target ActiveTarget() {
  const size_t index = internal::DispatchIndex();
  for (const Target& t : Available()) {
    if (IndexOf(t.bits) == index) return t;
  }
  return Available().back();  // Unreachable: every index set is one of them.
}

void RestrictToTarget(const std::string& name) {
  const Target* target = name.empty() ? &Available().front() : Find(name);
  if (target == nullptr) {
    internal::Fail("RestrictToTarget", "target \"" + name +
                                           "\" is not available; available: " +
                                           Names());
  }
  // A plain store: it also overrides a concurrent first call's choice
  // (InitDispatch only fills an unset index) and a bad SIMDQUANT_TARGET.
  internal::dispatch_index.store(IndexOf(target->bits),
                                 std::memory_order_release);
}

namespace internal {

size_t InitDispatch() {
  const Target* target = &Available().front();
  const char* name = getenv("SIMDQUANT_TARGET");
  if (name != nullptr && name[0] != '\0') {
    target = Find(name);
    // Left unset, so every kernel call reports it until the variable is
    // fixed or RestrictToTarget chooses.
    if (target == nullptr) {
      Fail("SIMDQUANT_TARGET",
           std::string("the environment variable SIMDQUANT_TARGET=\"") + name +
               "\" names no available target; available: " + Names() +
               " (unset it, or call simdquant::RestrictToTarget)");
    }
  }
  size_t expected = 0;
  // Only if still unset: a RestrictToTarget that won the race stays.
  dispatch_index.compare_exchange_strong(expected, IndexOf(target->bits),
                                         std::memory_order_acq_rel);
  return dispatch_index.load(std::memory_order_acquire);
}

int64_t DispatchedTarget() { return SIMDQUANT_DISPATCH(CompiledTarget)(); }

}  // namespace internal
}  // namespace simdquant
#endif  // HWY_ONCE
