#include "ocspcache/util/result.h"

#include <gtest/gtest.h>

#include <string>

#include "ocspcache/util/clock.h"

namespace ocspcache {
namespace {

enum class E { kBad };

Result<std::string, E> half(int x) {
  if (x % 2) return Err{E::kBad};
  return std::to_string(x / 2);
}

TEST(Result, CarriesValueOrError) {
  auto a = half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "2");
  auto b = half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), E::kBad);
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c(1000, 5'500);
  EXPECT_EQ(c.unix_seconds(), 1000);
  c.advance_ms(400);  // 5.5 s -> 5.9 s: no whole second crossed
  EXPECT_EQ(c.unix_seconds(), 1000);
  EXPECT_EQ(c.monotonic_ms(), 5'900);
  c.advance_ms(100);  // crosses 6 s
  EXPECT_EQ(c.unix_seconds(), 1001);
  c.advance_seconds(60);
  EXPECT_EQ(c.unix_seconds(), 1061);
  EXPECT_EQ(c.monotonic_ms(), 66'000);
}

TEST(Clock, SystemClockIsNow) {
  EXPECT_GT(system_clock().unix_seconds(), 1'700'000'000);
  const int64_t a = system_clock().monotonic_ms();
  EXPECT_GE(system_clock().monotonic_ms(), a);
}

}  // namespace
}  // namespace ocspcache
