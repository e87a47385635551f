#include "ocspcache/util/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ocspcache {
namespace {

struct Outcome {
  int code = 0;
};

TEST(SingleFlight, OneLeaderManyWaitersAcrossThreads) {
  SingleFlight<int, Outcome> f;
  const int k = 1;
  std::atomic<int> leaders{0}, delivered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (f.join(k, [&](const Outcome& o) {
            EXPECT_EQ(o.code, 3);
            ++delivered;
          })) {
        ++leaders;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(leaders.load(), 1);
  EXPECT_EQ(f.in_flight(), 1u);
  f.complete(k, Outcome{3});
  EXPECT_EQ(delivered.load(), 16);
  EXPECT_EQ(f.in_flight(), 0u);
  // A new request after completion starts a new flight.
  EXPECT_TRUE(f.join(k, [](const Outcome&) {}));
}

TEST(SingleFlight, KeysAreIndependentAndCompletingAnUnknownKeyIsHarmless) {
  SingleFlight<int, Outcome> f;
  int ran = 0;
  EXPECT_TRUE(f.join(1, [&](const Outcome&) { ++ran; }));
  EXPECT_TRUE(f.join(2, [&](const Outcome&) { ran += 10; }));
  f.complete(3, Outcome{});
  EXPECT_EQ(ran, 0);
  f.complete(2, Outcome{});
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(f.in_flight(), 1u);
}

}  // namespace
}  // namespace ocspcache
