// The circuit breaker on its own: when it opens, what it lets through while
// open and half-open, how its back-off grows and is spread. Time is passed
// in (monotonic ms), so nothing sleeps.
#include "ocspcache/upstream/breaker.h"

#include <gtest/gtest.h>

#include <set>

namespace ocspcache {
namespace {

BreakerPolicy exact(uint32_t failures, int64_t backoff_ms, int64_t max_ms) {
  return {failures, Millis{backoff_ms}, Millis{max_ms}, 0.0};
}

TEST(CircuitBreaker, OpensOnlyAfterTheConfiguredFailuresInARow) {
  CircuitBreaker b(exact(3, 1000, 60'000));
  b.on_failure(0);
  b.on_failure(0);
  b.on_success();  // a success in between starts the count again
  b.on_failure(0);
  b.on_failure(0);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.admit(0));
  b.on_failure(10);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.open_until_ms(), 1010);
  EXPECT_FALSE(b.admit(10));
  EXPECT_FALSE(b.admit(1009));
}

TEST(CircuitBreaker, OneProbeAfterTheBackoffAndItsSuccessCloses) {
  CircuitBreaker b(exact(1, 1000, 60'000));
  b.on_failure(0);
  ASSERT_FALSE(b.admit(999));
  EXPECT_TRUE(b.admit(1000)) << "the probe";
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.admit(1000)) << "nobody else while the probe is out";
  EXPECT_FALSE(b.admit(50'000));
  b.on_success();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 0u);
  EXPECT_TRUE(b.admit(50'000));
  EXPECT_TRUE(b.admit(50'000));
}

TEST(CircuitBreaker, AFailedProbeDoublesTheWaitUpToTheCap) {
  CircuitBreaker b(exact(1, 1000, 5000));
  int64_t now = 0;
  b.on_failure(now);
  std::vector<int64_t> waits;
  for (int i = 0; i < 5; ++i) {
    const int64_t until = b.open_until_ms();
    waits.push_back(until - now);
    now = until;
    ASSERT_TRUE(b.admit(now));
    b.on_failure(now);  // the probe failed
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 4000, 5000, 5000}));
  // A success resets the back-off: the next opening waits the base again.
  now = b.open_until_ms();
  ASSERT_TRUE(b.admit(now));
  b.on_success();
  b.on_failure(now);
  EXPECT_EQ(b.open_until_ms() - now, 1000);
}

TEST(CircuitBreaker, ALateFailureDoesNotExtendAnOpenPeriod) {
  CircuitBreaker b(exact(1, 1000, 60'000));
  b.on_failure(0);
  b.on_failure(500);  // an exchange that started before it opened
  EXPECT_EQ(b.open_until_ms(), 1000);
}

TEST(CircuitBreaker, ZeroFailuresMeansNeverOpen) {
  CircuitBreaker b(exact(0, 1000, 60'000));
  for (int i = 0; i < 100; ++i) b.on_failure(i);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.admit(100));
}

TEST(CircuitBreaker, TurningItOffClosesAnOpenBreaker) {
  CircuitBreaker b(exact(1, 1000, 60'000));
  b.on_failure(0);
  ASSERT_FALSE(b.admit(1));
  b.set_policy(exact(0, 1000, 60'000));
  EXPECT_TRUE(b.admit(1));
}

TEST(CircuitBreaker, JitterSpreadsPeriodsWithinItsBounds) {
  std::set<int64_t> seen;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    CircuitBreaker b({1, Millis{1000}, Millis{60'000}, 0.2}, seed);
    b.on_failure(0);
    const int64_t wait = b.open_until_ms();
    EXPECT_GE(wait, 800);
    EXPECT_LE(wait, 1200);
    seen.insert(wait);
  }
  EXPECT_GT(seen.size(), 10u) << "breakers with different seeds probe at different times";
}

}  // namespace
}  // namespace ocspcache
