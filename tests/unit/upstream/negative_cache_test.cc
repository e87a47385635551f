// Remembered failures per CertID: how long, how spread, how bounded, and
// off when the TTL is 0. Time is passed in; nothing sleeps.
#include "ocspcache/upstream/negative_cache.h"

#include <gtest/gtest.h>

#include <cstring>

namespace ocspcache {
namespace {

ocsp::CacheKey key(uint32_t n) {
  ocsp::CacheKey k{};
  std::memcpy(k.bytes.data(), &n, sizeof n);
  k.bytes[20] = static_cast<uint8_t>(n * 7);  // spread over the hash too
  return k;
}

TEST(NegativeCache, RemembersAFailureForItsTtlOnly) {
  NegativeCache c(Millis{30'000}, 0.0);
  EXPECT_FALSE(c.remembered(key(1), 0));
  c.remember(key(1), 1000);
  EXPECT_TRUE(c.remembered(key(1), 1000));
  EXPECT_TRUE(c.remembered(key(1), 30'999));
  EXPECT_FALSE(c.remembered(key(2), 2000)) << "per CertID";
  EXPECT_FALSE(c.remembered(key(1), 31'000));
  EXPECT_EQ(c.size(), 0u) << "an expired one is dropped when seen";
}

TEST(NegativeCache, TtlsAreSpreadWithinTheJitter) {
  NegativeCache d(Millis{10'000}, 0.2, 7);
  for (uint32_t i = 0; i < 200; ++i) d.remember(key(i), 0);
  size_t alive_at_8s = 0, alive_at_12s = 0, alive_at_10s = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    if (d.remembered(key(i), 7'999)) ++alive_at_8s;
  }
  for (uint32_t i = 0; i < 200; ++i) {
    if (d.remembered(key(i), 10'000)) ++alive_at_10s;
  }
  for (uint32_t i = 0; i < 200; ++i) {
    if (d.remembered(key(i), 12'000)) ++alive_at_12s;
  }
  EXPECT_EQ(alive_at_8s, 200u) << "none shorter than ttl * 0.8";
  EXPECT_GT(alive_at_10s, 40u) << "some longer than the ttl";
  EXPECT_LT(alive_at_10s, 160u) << "some shorter than the ttl";
  EXPECT_EQ(alive_at_12s, 0u) << "none longer than ttl * 1.2";
}

TEST(NegativeCache, ZeroTtlIsOffAndTurningItOffForgets) {
  NegativeCache off(Millis{0});
  off.remember(key(1), 0);
  EXPECT_FALSE(off.remembered(key(1), 0));
  NegativeCache c(Millis{30'000}, 0.0);
  c.remember(key(1), 0);
  c.set_ttl(Millis{0});
  EXPECT_FALSE(c.remembered(key(1), 1));
  c.set_ttl(Millis{5'000});
  c.remember(key(2), 0);
  EXPECT_TRUE(c.remembered(key(2), 4'999));
  EXPECT_FALSE(c.remembered(key(2), 5'000));
}

TEST(NegativeCache, BoundedExpiredOnesMakeRoomOthersAreCounted) {
  NegativeCache c(Millis{1'000}, 0.0);
  for (uint32_t i = 0; i < NegativeCache::kMaxEntries; ++i) c.remember(key(i), 0);
  EXPECT_EQ(c.size(), NegativeCache::kMaxEntries);
  c.remember(key(NegativeCache::kMaxEntries), 500);  // full, nothing expired yet
  EXPECT_FALSE(c.remembered(key(NegativeCache::kMaxEntries), 500));
  EXPECT_EQ(c.not_remembered(), 1u);
  EXPECT_EQ(c.size(), NegativeCache::kMaxEntries);
  c.remember(key(NegativeCache::kMaxEntries), 1'000);  // now all the others have expired
  EXPECT_TRUE(c.remembered(key(NegativeCache::kMaxEntries), 1'000));
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.not_remembered(), 1u);
}

}  // namespace
}  // namespace ocspcache
