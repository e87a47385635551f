#include "ocspcache/upstream/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ocspcache {
namespace {

TEST(SingleFlight, OneLeaderManyWaitersAcrossThreads) {
  SingleFlight f;
  ocsp::CacheKey k;
  k.bytes[0] = 1;
  std::atomic<int> leaders{0}, delivered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (f.join(k, [&](const FetchOutcome& o) {
            EXPECT_EQ(o.code, ocsp::ResponseCode::kTryLater);
            ++delivered;
          })) {
        ++leaders;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(leaders.load(), 1);
  EXPECT_EQ(f.in_flight(), 1u);
  f.complete(k, FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
  EXPECT_EQ(delivered.load(), 16);
  EXPECT_EQ(f.in_flight(), 0u);
  // A new request after completion starts a new flight.
  EXPECT_TRUE(f.join(k, [](const FetchOutcome&) {}));
}

}  // namespace
}  // namespace ocspcache
