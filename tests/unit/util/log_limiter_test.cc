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

// warn(): the same limit, with the count of lines held back appended to
// the one that gets through.
TEST_F(LogLimiterTest, WarnWritesOnceAndSaysHowManyWereHeldBack) {
  log::Limiter limiter(Millis{10'000}, clock);
  testing::internal::CaptureStderr();
  limiter.warn("k", "thing_failed", "reason=\"x\"");
  limiter.warn("k", "thing_failed", "reason=\"y\"");
  limiter.warn("k", "thing_failed", "reason=\"z\"");
  advance(10);
  limiter.warn("k", "thing_failed", "reason=\"w\"");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("event=thing_failed reason=\"x\"\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("reason=\"y\""), std::string::npos) << out;
  EXPECT_NE(out.find("event=thing_failed reason=\"w\" suppressed=2\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace ocspcache
