#include "ocspcache/util/loop_mailbox.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ocspcache {
namespace {

struct BaseFree {
  void operator()(event_base* b) const { event_base_free(b); }
};
using BasePtr = std::unique_ptr<event_base, BaseFree>;

BasePtr make_base() {
  // Cross-thread wake-ups need libevent's locking, as in the daemon.
  static const int threads = evthread_use_pthreads();
  EXPECT_EQ(threads, 0);
  return BasePtr(event_base_new());
}

void run_ready(event_base* base) { event_base_loop(base, EVLOOP_NONBLOCK); }

TEST(LoopMailbox, RunsClosuresOnTheLoopInOrderWithOneBeforeBatchPerBatch) {
  auto base = make_base();
  std::string log;
  LoopMailbox mailbox(base.get(), [&] { log += "|"; });
  mailbox.post([&] { log += "a"; });
  mailbox.post([&] { log += "b"; });
  EXPECT_EQ(log, "");  // nothing runs until the loop does
  run_ready(base.get());
  EXPECT_EQ(log, "|ab");
  mailbox.post([&] { log += "c"; });
  run_ready(base.get());
  EXPECT_EQ(log, "|ab|c");
  run_ready(base.get());  // nothing queued: no empty batch
  EXPECT_EQ(log, "|ab|c");
}

TEST(LoopMailbox, AClosurePostedByAClosureRunsInALaterBatch) {
  auto base = make_base();
  std::string log;
  LoopMailbox mailbox(base.get(), [&] { log += "|"; });
  mailbox.post([&] {
    log += "a";
    mailbox.post([&] { log += "c"; });
  });
  mailbox.post([&] { log += "b"; });
  event_base_dispatch(base.get());  // returns once no event is pending or active
  EXPECT_EQ(log, "|ab|c");
}

TEST(LoopMailbox, ClearDropsWhatHasNotRun) {
  auto base = make_base();
  auto token = std::make_shared<int>(0);
  int ran = 0;
  LoopMailbox mailbox(base.get());
  mailbox.post([&ran, token] { ++ran; });
  EXPECT_EQ(token.use_count(), 2);
  mailbox.clear();
  EXPECT_EQ(token.use_count(), 1);  // the closure and its captures are gone
  run_ready(base.get());
  EXPECT_EQ(ran, 0);
}

TEST(LoopMailbox, PostsFromOtherThreadsWakeTheLoopAndNoneIsLost) {
  auto base = make_base();
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  int ran = 0;
  std::vector<int> last(kThreads, -1);
  bool in_order = true;
  LoopMailbox mailbox(base.get());
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        mailbox.post([&, t, i] {
          in_order = in_order && last[t] == i - 1;  // each thread's posts stay in order
          last[t] = i;
          ++ran;
        });
      }
    });
  }
  // Blocks in epoll until a post wakes it (the mailbox's event is never
  // added, only made active): a lost wake-up hangs here and the test times
  // out rather than passes.
  while (ran < kThreads * kEach) {
    event_base_loop(base.get(), EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY);
  }
  for (auto& p : posters) p.join();
  EXPECT_EQ(ran, kThreads * kEach);
  EXPECT_TRUE(in_order);
}

TEST(LoopMailbox, WithoutALoopItSaysSo) {
  EXPECT_THROW(LoopMailbox(nullptr), std::runtime_error);
}

}  // namespace
}  // namespace ocspcache
