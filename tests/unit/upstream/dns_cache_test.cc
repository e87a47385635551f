#include "ocspcache/upstream/dns_cache.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "ocspcache/util/clock.h"

namespace ocspcache {
namespace {

IpAddr ip(const char* text) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::parse(text, &a)) << text;
  return a;
}

class DnsCacheTest : public ::testing::Test {
 protected:
  ManualClock clock;
  DnsCache cache{DnsPolicy{Millis{1'000}, Millis{3'600'000}, Millis{5'000}}};
  int64_t now() const { return clock.monotonic_ms(); }
};

TEST_F(DnsCacheTest, AnswerIsKeptForItsTtlThenLookedUpAgain) {
  EXPECT_EQ(cache.find("ocsp.test", now()).state, DnsCache::State::kMiss);
  cache.store("ocsp.test", {ip("192.0.2.1"), ip("192.0.2.2")}, 300, now());
  auto hit = cache.find("ocsp.test", now());
  ASSERT_EQ(hit.state, DnsCache::State::kHit);
  EXPECT_EQ(hit.addrs->front(), ip("192.0.2.1"));
  EXPECT_EQ(hit.addrs->size(), 2u);
  clock.advance_ms(299'999);
  EXPECT_EQ(cache.find("ocsp.test", now()).state, DnsCache::State::kHit);
  clock.advance_ms(1);
  EXPECT_EQ(cache.find("ocsp.test", now()).state, DnsCache::State::kMiss);
}

TEST_F(DnsCacheTest, TtlIsClampedToPolicy) {
  cache.store("zero.test", {ip("192.0.2.1")}, 0, now());
  EXPECT_EQ(cache.expires_ms("zero.test"), now() + 1'000);  // min_ttl, not a lookup per fetch
  cache.store("week.test", {ip("192.0.2.1")}, 7 * 86'400, now());
  EXPECT_EQ(cache.expires_ms("week.test"), now() + 3'600'000);  // max_ttl
  cache.store("negative.test", {ip("192.0.2.1")}, -5, now());
  EXPECT_EQ(cache.expires_ms("negative.test"), now() + 1'000);
}

TEST_F(DnsCacheTest, FailureIsRememberedBriefly) {
  cache.store_failure("dead.test", now());
  EXPECT_EQ(cache.find("dead.test", now()).state, DnsCache::State::kFailed);
  clock.advance_ms(4'999);
  EXPECT_EQ(cache.find("dead.test", now()).state, DnsCache::State::kFailed);
  clock.advance_ms(1);
  EXPECT_EQ(cache.find("dead.test", now()).state, DnsCache::State::kMiss);
  // An empty answer counts as a failure, never as a hit with no address.
  cache.store("empty.test", {}, 300, now());
  EXPECT_EQ(cache.find("empty.test", now()).state, DnsCache::State::kFailed);
}

TEST_F(DnsCacheTest, NewAnswerReplacesOld) {
  cache.store_failure("flip.test", now());
  cache.store("flip.test", {ip("2001:db8::1")}, 60, now());
  auto hit = cache.find("flip.test", now());
  ASSERT_EQ(hit.state, DnsCache::State::kHit);
  EXPECT_EQ(hit.addrs->front().family, AF_INET6);
}

TEST(IpAddr, ParsesLiteralsOnly) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::parse("127.0.0.1", &a));
  EXPECT_EQ(a.family, AF_INET);
  EXPECT_EQ(a.bytes[0], 127);
  EXPECT_TRUE(IpAddr::parse("::1", &a));
  EXPECT_EQ(a.family, AF_INET6);
  EXPECT_EQ(a.bytes[15], 1);
  for (const char* bad : {"", "localhost", "256.0.0.1", "[::1]", "1.2.3"}) {
    EXPECT_FALSE(IpAddr::parse(bad, &a)) << bad;
  }
}

}  // namespace
}  // namespace ocspcache
