#include "ocspcache/util/log_limiter.h"

#include <gtest/gtest.h>

#include "ocspcache/util/clock.h"

namespace ocspcache {
namespace {

class LogLimiterTest : public ::testing::Test {
 protected:
  void advance(int64_t seconds) { clock.advance_seconds(seconds); }
  ManualClock clock;
};

TEST_F(LogLimiterTest, OncePerIntervalThenReportsWhatWasSuppressed) {
  log::Limiter limiter(Millis{10'000}, clock);
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.allow("http://r\ntimeout", &suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.allow("http://r\ntimeout", &suppressed));
  advance(9);
  EXPECT_FALSE(limiter.allow("http://r\ntimeout", &suppressed));
  advance(1);  // 10 s after the last line written
  EXPECT_TRUE(limiter.allow("http://r\ntimeout", &suppressed));
  EXPECT_EQ(suppressed, 6u);
  advance(60);
  EXPECT_TRUE(limiter.allow("http://r\ntimeout", &suppressed));
  EXPECT_EQ(suppressed, 0u) << "the count restarts after each line written";
}

TEST_F(LogLimiterTest, KeysAreIndependent) {
  log::Limiter limiter(Millis{10'000}, clock);
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.allow("http://a\ntimeout", &suppressed));
  EXPECT_TRUE(limiter.allow("http://a\nhttp_error", &suppressed));
  EXPECT_TRUE(limiter.allow("http://b\ntimeout", &suppressed));
  EXPECT_FALSE(limiter.allow("http://a\ntimeout", &suppressed));
}

TEST_F(LogLimiterTest, ZeroIntervalLetsEverythingThrough) {
  log::Limiter limiter(Millis{0}, clock);
  uint64_t suppressed = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("k", &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

}  // namespace
}  // namespace ocspcache
