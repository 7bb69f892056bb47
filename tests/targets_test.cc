// The target list, the active target and restriction.
#include <ctype.h>
#include <stdlib.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "lib/internal.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"

namespace simdquant {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(TargetsTest, ListIsBestFirstAndEndsWithTheFallback) {
  const std::vector<Target> targets = AvailableTargets();
  ASSERT_FALSE(targets.empty());
  const std::string last = targets.back().name;
  EXPECT_TRUE(last == "SCALAR" || last == "EMU128") << last;
  std::set<std::string> names;
  for (size_t i = 0; i < targets.size(); ++i) {
    names.insert(targets[i].name);
    if (i > 0) {
      EXPECT_LT(targets[i - 1].bits, targets[i].bits);
    }
  }
  EXPECT_EQ(names.size(), targets.size());
  EXPECT_EQ(ActiveTarget().name, targets.front().name);
}

TEST(TargetsTest, RestrictPinsEveryTargetAndRestores) {
  const float x[3] = {1.0f, -2.0f, 3.0f};
  for (const Target& t : AvailableTargets()) {
    RestrictToTarget(t.name);
    EXPECT_EQ(ActiveTarget().name, t.name);
    EXPECT_EQ(MinMax(x, 3).min, -2.0f);  // Dispatch works while pinned.
    EXPECT_EQ(ActiveTarget().name, t.name);
  }
  RestrictToTarget("");
  EXPECT_EQ(ActiveTarget().name, AvailableTargets().front().name);
}

TEST(TargetsTest, UnknownTargetThrowsAndListsTheAvailable) {
  EXPECT_THROW(RestrictToTarget("NEON"), std::invalid_argument);
  try {
    RestrictToTarget("AVX9");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("available:"), std::string::npos);
  }
  EXPECT_EQ(ActiveTarget().name, AvailableTargets().front().name);
}

// The kernels run the code compiled for the target ActiveTarget() names (this
// also checks the slot each target has in Highway's dispatch tables).
TEST(TargetsTest, KernelsRunTheRestrictedTarget) {
  for (const Target& t : AvailableTargets()) {
    RestrictToTarget(t.name);
    EXPECT_EQ(internal::DispatchedTarget(), t.bits) << t.name;
  }
  RestrictToTarget("");
  EXPECT_EQ(internal::DispatchedTarget(), AvailableTargets().front().bits);
}

TEST(TargetsTest, NamesIgnoreCaseAndEitherFallbackNameWorks) {
  const Target fallback = AvailableTargets().back();
  for (const char* name : {"SCALAR", "EMU128", "scalar", "emu128"}) {
    RestrictToTarget(name);
    EXPECT_EQ(ActiveTarget().name, fallback.name) << name;
  }
  for (const Target& t : AvailableTargets()) {
    RestrictToTarget(Lower(t.name));
    EXPECT_EQ(ActiveTarget().name, t.name);
  }
  RestrictToTarget("");
}

// Restriction holds while other threads start, run kernels and reinitialize
// Highway's own global dispatch state (as any Highway user's first call does):
// with Highway's state as the source of truth, kernels ran on another target
// in some rounds.
TEST(TargetsTest, RestrictionSurvivesConcurrentThreadsAndHighwayState) {
  const std::vector<Target> targets = AvailableTargets();
  std::atomic<bool> stop{false};
  std::thread highway_user([&] {
    while (!stop.load()) {
      hwy::GetChosenTarget().DeInit();
      hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    }
  });
  const float x[5] = {1.0f, -2.0f, 3.0f, 0.5f, -0.25f};
  int lost = 0;
  for (int round = 0; round < 1000; ++round) {
    const Target& want = targets[round % targets.size()];
    RestrictToTarget("");
    RestrictToTarget(want.name);
    std::vector<int64_t> ran(3, want.bits);  // Or the first other target.
    std::vector<std::thread> workers;
    for (size_t w = 0; w < ran.size(); ++w) {
      workers.emplace_back([&, w] {
        for (int call = 0; call < 200; ++call) {
          const int64_t bits = internal::DispatchedTarget();
          if (MinMax(x, 5).min != -2.0f || bits != want.bits) ran[w] = bits;
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    for (int64_t bits : ran) lost += bits != want.bits;
    lost += ActiveTarget().name != want.name;
  }
  stop.store(true);
  highway_user.join();
  RestrictToTarget("");
  EXPECT_EQ(lost, 0);
}

// A bad SIMDQUANT_TARGET fails every kernel call with a message naming the
// variable, until RestrictToTarget chooses (here, in-process: dispatch is
// reset to its state before the first call).
TEST(TargetsTest, BadEnvironmentValueIsReportedAndRecoverable) {
  const char* saved = getenv("SIMDQUANT_TARGET");
  const std::string restore = saved != nullptr ? saved : "";
  const float x[2] = {1.0f, 2.0f};
  setenv("SIMDQUANT_TARGET", "AVX9", 1);
  internal::dispatch_index.store(0);
  for (int call = 0; call < 2; ++call) {
    try {
      MinMax(x, 2);
      FAIL() << "no error";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("SIMDQUANT_TARGET=\"AVX9\""), std::string::npos)
          << what;
      EXPECT_NE(what.find("available:"), std::string::npos) << what;
    }
  }
  RestrictToTarget("");
  EXPECT_EQ(MinMax(x, 2).max, 2.0f);
  EXPECT_EQ(ActiveTarget().name, AvailableTargets().front().name);

  // The other compiler's fallback name works too.
  setenv("SIMDQUANT_TARGET",
         AvailableTargets().back().name == "SCALAR" ? "EMU128" : "SCALAR", 1);
  internal::dispatch_index.store(0);
  EXPECT_EQ(ActiveTarget().name, AvailableTargets().back().name);

  if (saved != nullptr) {
    setenv("SIMDQUANT_TARGET", restore.c_str(), 1);
  } else {
    unsetenv("SIMDQUANT_TARGET");
  }
  internal::dispatch_index.store(0);
  MinMax(x, 2);  // Back to the process's own setting.
}

// Run by ctest a second time with SIMDQUANT_TARGET set (tests/CMakeLists.txt):
// the variable pins the target; without it, dispatch picks the best.
TEST(TargetsTest, EnvironmentVariablePinsTheTarget) {
  const char* pinned = getenv("SIMDQUANT_TARGET");
  const std::string want =
      pinned != nullptr ? pinned : AvailableTargets().front().name;
  EXPECT_EQ(Lower(ActiveTarget().name), Lower(want));
}

}  // namespace
}  // namespace simdquant
