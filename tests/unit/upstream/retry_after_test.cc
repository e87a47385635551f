#include "ocspcache/upstream/retry_after.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

constexpr int64_t kNow = 784'111'777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(retry_after_seconds("120", kNow), 120);
  EXPECT_EQ(retry_after_seconds(" 7 ", kNow), 7);
  EXPECT_EQ(retry_after_seconds("0", kNow), 0);
}

TEST(RetryAfter, HttpDateIsMadeRelativeToNow) {
  EXPECT_EQ(retry_after_seconds("Sun, 06 Nov 1994 08:50:37 GMT", kNow), 60);
  EXPECT_EQ(retry_after_seconds("Sunday, 06-Nov-94 08:49:47 GMT", kNow), 10);  // RFC 850 form
  EXPECT_EQ(retry_after_seconds("Sun, 06 Nov 1994 08:49:00 GMT", kNow), 0);    // past
}

TEST(RetryAfter, GarbageAndAbsenceGiveZero) {
  for (const char* bad : {"", "  ", "soon", "-5", "1.5", "12abc", "Sun, 99 Nov 1994 08:49:37 GMT"}) {
    EXPECT_EQ(retry_after_seconds(bad, kNow), 0) << bad;
  }
}

TEST(RetryAfter, HugeValuesAreCappedAtADay) {
  EXPECT_EQ(retry_after_seconds("99999999999999999999999", kNow), kMaxRetryAfterSeconds);
  EXPECT_EQ(retry_after_seconds("Fri, 01 Jan 2100 00:00:00 GMT", kNow), kMaxRetryAfterSeconds);
}

}  // namespace
}  // namespace ocspcache
