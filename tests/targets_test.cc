// The target list, the active target and restriction.
#include <stdlib.h>

#include <set>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"
#include "simdquant/simdquant.h"
#include "simdquant/targets.h"

namespace simdquant {
namespace {

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

// Run by ctest a second time with SIMDQUANT_TARGET set (tests/CMakeLists.txt):
// the variable pins the target; without it, dispatch picks the best.
TEST(TargetsTest, EnvironmentVariablePinsTheTarget) {
  const char* pinned = getenv("SIMDQUANT_TARGET");
  const std::string want =
      pinned != nullptr ? pinned : AvailableTargets().front().name;
  EXPECT_EQ(ActiveTarget().name, want);
}

}  // namespace
}  // namespace simdquant
