#include "ocspcache/http/client_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ocspcache {
namespace {

ClientKey client(const char* text) { return client_key(*parse_ip_literal(text)); }

TEST(ClientLimiter, EachClientHasItsOwnBudget) {
  ClientLimiter limits(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.acquire(client("192.0.2.1")));
  EXPECT_FALSE(limits.acquire(client("192.0.2.1"))) << "the fourth";
  EXPECT_EQ(limits.held(client("192.0.2.1")), 3u) << "a refusal takes nothing";
  EXPECT_TRUE(limits.acquire(client("192.0.2.2"))) << "another client is untouched";
  limits.release(client("192.0.2.1"));
  EXPECT_TRUE(limits.acquire(client("192.0.2.1"))) << "a closed connection frees its slot";
}

TEST(ClientLimiter, AClientAtZeroIsForgotten) {
  ClientLimiter limits(2);
  ASSERT_TRUE(limits.acquire(client("2001:db8::1")));
  ASSERT_TRUE(limits.acquire(client("2001:db8::2")));  // same /64
  EXPECT_FALSE(limits.acquire(client("2001:db8::3")));
  EXPECT_EQ(limits.clients(), 1u);
  limits.release(client("2001:db8::1"));
  limits.release(client("2001:db8::2"));
  EXPECT_EQ(limits.clients(), 0u) << "the table holds only clients with connections";
  limits.release(client("2001:db8::1"));  // an extra release is harmless
  EXPECT_EQ(limits.held(client("2001:db8::1")), 0u);
}

// Workers accept at once: the count is exact across threads.
TEST(ClientLimiter, ConcurrentAcquiresNeverExceedTheBudget) {
  ClientLimiter limits(100);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limits.acquire(client("198.51.100.7"))) granted.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 100);
  EXPECT_EQ(limits.held(client("198.51.100.7")), 100u);
}

}  // namespace
}  // namespace ocspcache
