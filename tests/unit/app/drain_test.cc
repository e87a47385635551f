#include "ocspcache/app/drain.h"

#include <gtest/gtest.h>

#include <vector>

namespace ocspcache {
namespace {

struct FakeWorker {
  bool begun = false, stopped = false, busy = true;
  DrainTarget target() {
    return {[this] { begun = true; }, [this] { return !busy || stopped; }, [this] { stopped = true; }};
  }
};

TEST(DrainSequence, EndsAsSoonAsEveryWorkerIsDone) {
  ManualClock clock;
  FakeWorker a, b;
  DrainSequence d({a.target(), b.target()}, clock, Millis{10'000});
  EXPECT_FALSE(d.poll()) << "not begun";
  d.begin();
  EXPECT_TRUE(a.begun && b.begun);
  EXPECT_FALSE(d.poll());
  a.busy = false;
  clock.advance_ms(3'000);
  EXPECT_FALSE(d.poll());
  b.busy = false;
  EXPECT_TRUE(d.poll());
  EXPECT_EQ(d.cut_off(), 0u);
  EXPECT_FALSE(a.stopped || b.stopped) << "nobody was cut off";
}

TEST(DrainSequence, AtTheDeadlineTheBusyOnesAreStopped) {
  ManualClock clock;
  FakeWorker a, b;
  DrainSequence d({a.target(), b.target()}, clock, Millis{10'000});
  d.begin();
  a.busy = false;
  clock.advance_ms(9'999);
  EXPECT_FALSE(d.poll()) << "1 ms before the deadline";
  clock.advance_ms(1);
  EXPECT_TRUE(d.poll());
  EXPECT_EQ(d.cut_off(), 1u);
  EXPECT_FALSE(a.stopped) << "finished in time";
  EXPECT_TRUE(b.stopped);
  EXPECT_TRUE(d.poll()) << "done stays done";
}

TEST(DrainSequence, AZeroTimeoutStopsAtTheFirstPoll) {
  ManualClock clock;
  FakeWorker a;
  DrainSequence d({a.target()}, clock, Millis{0});
  d.begin();
  EXPECT_TRUE(d.poll());
  EXPECT_TRUE(a.stopped);
}

}  // namespace
}  // namespace ocspcache
