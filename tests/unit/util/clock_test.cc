#include "ocspcache/util/clock.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

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
