#include "ocspcache/util/timer_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ocspcache {
namespace {

TEST(TimerQueue, RunsWhatIsDueInOrderAndNothingEarly) {
  ManualClock clock;
  TimerQueue q(clock);
  std::vector<std::string> ran;
  q.after(Millis{300}, [&] { ran.push_back("c"); });
  q.after(Millis{100}, [&] { ran.push_back("a"); });
  q.after(Millis{200}, [&] { ran.push_back("b"); });
  EXPECT_EQ(q.next_due_in(), Millis{100});
  EXPECT_EQ(q.run_due(), 0u);
  clock.advance_ms(99);
  EXPECT_EQ(q.run_due(), 0u) << "1 ms early";
  clock.advance_ms(150);
  EXPECT_EQ(q.run_due(), 2u);
  EXPECT_EQ(ran, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q.next_due_in(), Millis{51});
  clock.advance_ms(1000);
  EXPECT_EQ(q.next_due_in(), Millis{0}) << "overdue";
  q.run_due();
  EXPECT_EQ(ran.back(), "c");
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.next_due_in());
}

TEST(TimerQueue, PeriodicTimersRepeatWithoutCatchingUp) {
  ManualClock clock;
  TimerQueue q(clock);
  int n = 0;
  q.every(Millis{5'000}, [&] { ++n; });
  clock.advance_seconds(5);
  q.run_due();
  EXPECT_EQ(n, 1);
  clock.advance_seconds(60);  // the loop was busy for 12 periods
  EXPECT_EQ(q.run_due(), 1u) << "one run, not twelve";
  EXPECT_EQ(q.next_due_in(), Millis{5'000});
}

TEST(TimerQueue, CancelFromACallbackAndScheduleFromOne) {
  ManualClock clock;
  TimerQueue q(clock);
  int self = 0, other = 0, later = 0;
  TimerQueue::TimerId other_id = 0;
  TimerQueue::TimerId self_id = 0;
  self_id = q.every(Millis{10}, [&] {
    ++self;
    q.cancel(self_id);
    q.cancel(other_id);
    q.after(Millis{0}, [&] { ++later; });
  });
  other_id = q.after(Millis{10}, [&] { ++other; });
  clock.advance_ms(10);
  EXPECT_EQ(q.run_due(), 1u);
  EXPECT_EQ(self, 1);
  EXPECT_EQ(other, 0) << "cancelled by the timer due at the same time, before it ran";
  EXPECT_EQ(later, 0) << "scheduled for now by a callback: the next call";
  q.run_due();
  EXPECT_EQ(later, 1);
  clock.advance_ms(100);
  q.run_due();
  EXPECT_EQ(self, 1);
  q.cancel(12345);  // unknown ids are harmless
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace ocspcache

namespace ocspcache {
namespace {

// A timeout per Redis command, cancelled by its reply: thousands a second.
// Cancelled timers must leave nothing behind for next_due_in() to walk.
TEST(TimerQueue, CancelledTimersLeaveNothingInTheIndex) {
  ManualClock clock;
  TimerQueue q(clock);
  const auto keep = q.after(Millis{500}, [] {});
  for (int i = 0; i < 10'000; ++i) q.cancel(q.after(Millis{250}, [] {}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.index_size(), 1u);
  EXPECT_EQ(q.next_due_in(), Millis{500});
  q.cancel(keep);
  q.cancel(keep);  // idempotent
  EXPECT_EQ(q.index_size(), 0u);
  EXPECT_FALSE(q.next_due_in());
}

}  // namespace
}  // namespace ocspcache
