#include "ocspcache/refresh/refresh_schedule.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

ocsp::CacheKey key(uint32_t n) {
  ocsp::CacheKey k;
  for (int i = 0; i < 4; ++i) k.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  return k;
}

TEST(RefreshTime, AheadOfTheWindowWithEarlierJitterAndASafetyMargin) {
  // A one-hour answer: half-way, moved earlier by at most 6 minutes.
  EXPECT_EQ(refresh_time(1000, 4600, 0.5, 0.0), 2800);
  EXPECT_EQ(refresh_time(1000, 4600, 0.5, 0.999), 2800 - 359);
  // refresh_ahead close to 1: never later than nextUpdate minus the margin
  // (a tenth of the window, at most 5 minutes).
  EXPECT_EQ(refresh_time(1000, 4600, 0.99, 0.0), 4600 - 300);
  EXPECT_EQ(refresh_time(1000, 1060, 0.99, 0.0), 1060 - 6);  // a one-minute answer
  // A week-long answer at 0.5: three and a half days on.
  EXPECT_EQ(refresh_time(0, 7 * 86'400, 0.5, 0.0), 302'400);
}

TEST(RefreshSchedule, PopsWhatIsDueEarliestFirstAndOnlyThat) {
  RefreshSchedule s;
  s.set(key(1), 300);
  s.set(key(2), 100);
  s.set(key(3), 200);
  EXPECT_EQ(s.earliest(), 100);
  EXPECT_TRUE(s.pop_due(99, 10).empty()) << "nothing due yet";
  auto due = s.pop_due(250, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].key, key(2));
  EXPECT_EQ(due[1].key, key(3));
  EXPECT_EQ(s.size(), 1u) << "popped keys leave the schedule";
  EXPECT_EQ(s.due(key(1)), 300);
  EXPECT_FALSE(s.due(key(2)));
}

TEST(RefreshSchedule, RescheduledAndErasedKeysNeverComeDueAtTheirOldTime) {
  RefreshSchedule s;
  s.set(key(1), 100);
  s.set(key(1), 500);  // a newer answer: later
  s.set(key(2), 100);
  s.erase(key(2));
  EXPECT_TRUE(s.pop_due(499, 10).empty());
  EXPECT_EQ(s.earliest(), 500);
  ASSERT_EQ(s.pop_due(500, 10).size(), 1u);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.earliest());
}

TEST(RefreshSchedule, AtMostMaxPerPopTheRestStayDue) {
  RefreshSchedule s;
  for (uint32_t i = 0; i < 10; ++i) s.set(key(i), 100 + i);
  EXPECT_EQ(s.pop_due(1000, 3).size(), 3u);
  EXPECT_EQ(s.size(), 7u);
  EXPECT_EQ(s.earliest(), 103);
}

// Stale items (rescheduled keys) do not pile up: the heap is rebuilt once
// they outnumber the live ones, so memory follows the number of answers.
TEST(RefreshSchedule, StaleItemsAreBoundedByTheLiveOnes) {
  RefreshSchedule s;
  for (uint32_t i = 0; i < 1000; ++i) s.set(key(i), 1'000'000 + i);
  for (int round = 0; round < 20; ++round) {
    for (uint32_t i = 0; i < 1000; ++i) s.set(key(i), 2'000'000 + round * 1000 + i);
  }
  EXPECT_EQ(s.size(), 1000u);
  EXPECT_LE(s.heap_items(), 2 * 1000u + 1024u + 1u);
  const auto due = s.pop_due(10'000'000, 2000);
  ASSERT_EQ(due.size(), 1000u) << "each key once, at its last time";
  for (const auto& d : due) EXPECT_GE(d.due, 2'019'000);
}

}  // namespace
}  // namespace ocspcache
