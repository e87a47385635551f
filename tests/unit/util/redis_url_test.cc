// redis.url as DESIGN.md gives it: redis://[:password@]host[:port][/db] or
// unix:/path; the one parse the config check and the connection share.
#include "ocspcache/util/net_address.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

TEST(RedisEndpoint, TheFormsOfTheDesign) {
  auto plain = parse_redis_url("redis://127.0.0.1:6379/0");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());
  EXPECT_EQ(plain->address(), "127.0.0.1:6379");

  auto full = parse_redis_url("redis://:s3cr:t@/x@cache.internal:6380/12");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->password, "s3cr:t@/x") << "the authority ends at the last '@'";
  EXPECT_EQ(full->host, "cache.internal");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 12);
  EXPECT_EQ(full->address(), "cache.internal:6380") << "never the password";

  auto default_port = parse_redis_url("redis://10.0.0.7");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->port, 6379);

  auto v6 = parse_redis_url("redis://[::1]:7000/3");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->address(), "[::1]:7000");

  auto sock = parse_redis_url("unix:/run/redis/redis.sock");
  ASSERT_TRUE(sock);
  EXPECT_EQ(sock->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(sock->address(), "unix:/run/redis/redis.sock");
}

TEST(RedisEndpoint, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "redis://:6379", "redis://h:0",
        "redis://h:65536", "redis://h:12x", "redis://h/", "redis://h/db", "redis://h/123456",
        "redis://[::1", "redis://[::1]x", "unix:", "unix:relative.sock"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace ocspcache
