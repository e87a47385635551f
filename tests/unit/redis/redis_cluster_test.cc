// Key slots of Redis Cluster (CRC16/XMODEM mod 16384, hash tags), as the
// cluster computes them: the values are those Redis's CLUSTER KEYSLOT gives.
#include "ocspcache/redis/redis_cluster.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

TEST(RedisCluster, KeySlotsAreThoseOfRedis) {
  EXPECT_EQ(cluster_slot("123456789"), 0x31C3 & 16383);  // the CRC16/XMODEM check value
  EXPECT_EQ(cluster_slot("foo"), 12182);
  EXPECT_EQ(cluster_slot("bar"), 5061);
  EXPECT_EQ(cluster_slot(""), 0);
}

TEST(RedisCluster, OnlyTheHashTagCounts) {
  EXPECT_EQ(cluster_slot("{user1000}.following"), cluster_slot("user1000"));
  EXPECT_EQ(cluster_slot("{user1000}.followers"), cluster_slot("{user1000}.following"));
  // An empty tag or no closing brace: the whole key.
  EXPECT_EQ(cluster_slot("foo{}{bar}"), cluster_slot(std::string_view("foo{}{bar}")));
  EXPECT_NE(cluster_slot("foo{}{bar}"), cluster_slot("bar"));
  EXPECT_EQ(cluster_slot("foo{{bar}}zap"), cluster_slot("{bar"));
  EXPECT_EQ(cluster_slot("{abc"), cluster_slot(std::string_view("{abc")));
}

}  // namespace
}  // namespace ocspcache
