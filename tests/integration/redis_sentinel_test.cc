// Redis Sentinel (issue 11): the daemon asks the sentinels where the
// primary is, and follows it across a failover (one primary, one replica,
// three sentinels on loopback), writing to the new primary afterwards.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/json.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/prometheus_text.h"
#include "harness/redis_server.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

const std::string kMaster = "ocspcache-test";

class RedisSentinelTest : public ProxyTest {
 protected:
  double metric(const std::string& name) {
    HttpClient admin(daemon->admin_port());
    return metric_sum(admin.get("/metrics").body, name);
  }
  int status_of(const std::filesystem::path& cert) {
    HttpClient http(daemon->port());
    auto r = http.post("/", make_request_der(cert, pki.intermediate()));
    auto parsed = parse(r, cert);
    return parsed.has_single ? parsed.cert_status : -1;
  }
  // One primary, one replica in sync with it, three sentinels that know both.
  void SetUp() override {
    // A replica syncs only after repl-diskless-sync-delay (5 s by default).
    primary_server =
        std::make_unique<RedisServer>(std::vector<std::string>{"--repl-diskless-sync-delay", "0"});
    replica_server = std::make_unique<RedisServer>(std::vector<std::string>{
        "--replicaof", "127.0.0.1", std::to_string(primary_server->port())});
    ASSERT_TRUE(wait_until(
        [&] {
          return replica_server->cli({"INFO", "replication"}).find("master_link_status:up") !=
                 std::string::npos;
        },
        15s, 50ms));
    for (int i = 0; i < 3; ++i) {
      sentinels.push_back(std::make_unique<RedisSentinel>(primary_server->port(), kMaster));
    }
    // Each sentinel learns of the replica from the primary's INFO.
    for (auto& s : sentinels) {
      ASSERT_TRUE(wait_until(
          [&] {
            return s->cli({"SENTINEL", "replicas", kMaster})
                       .find(std::to_string(replica_server->port())) != std::string::npos;
          },
          20s, 100ms));
    }
  }
  // The daemon, with the sentinels in place of redis.url.
  void start_daemon() {
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
    std::string list;
    for (auto& s : sentinels) {
      list += (list.empty() ? "\"" : ", \"") + std::string("127.0.0.1:") +
              std::to_string(s->port()) + "\"";
    }
    options.extra_toml =
        "[cache]\nbackend = \"redis\"\n[redis]\nkey_prefix = \"t:\"\nmaster_name = \"" + kMaster +
        "\"\nsentinels = [" + list + "]\n";
    daemon = std::make_unique<Daemon>(std::move(options));
  }
  std::string primary_port(const RedisSentinel& s) {
    const std::string out = s.cli({"SENTINEL", "get-master-addr-by-name", kMaster});
    const size_t nl = out.find('\n');
    return nl == std::string::npos ? "" : out.substr(nl + 1);
  }

  std::unique_ptr<RedisServer> primary_server, replica_server;
  std::vector<std::unique_ptr<RedisSentinel>> sentinels;
  OpensslResponder responder;
};

TEST_F(RedisSentinelTest, FollowsThePrimaryAcrossAFailover) {
  RedisServer& primary = *primary_server;
  RedisServer& replica = *replica_server;
  start_daemon();
  ASSERT_TRUE(wait_until([&] { return metric("ocspcache_redis_up") == 1; }, 10s, 20ms));
  HttpClient admin(daemon->admin_port());
  EXPECT_NE(admin.get("/status").body.find(
                "\"address\":\"127.0.0.1:" + std::to_string(primary.port()) + "\""),
            std::string::npos)
      << admin.get("/status").body;

  ASSERT_EQ(status_of(pki.good()), kGood);
  ASSERT_TRUE(wait_until([&] { return primary.keys("t:r:*").size() == 1; }, 5s));

  ASSERT_EQ(sentinels[0]->cli({"SENTINEL", "FAILOVER", kMaster}), "OK");
  // Clients are answered all through the failover.
  const auto until = std::chrono::steady_clock::now() + 20s;
  bool moved = false;
  int asked = 0;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(status_of(pki.good()), kGood);
    ++asked;
    moved = primary_port(*sentinels[0]) == std::to_string(replica.port()) &&
            replica.cli({"ROLE"}).starts_with("master");
    if (moved) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(moved) << "the failover did not happen";

  // A new answer is written to the new primary.
  ASSERT_TRUE(wait_until(
      [&] {
        return admin.get("/status").body.find(
                   "\"address\":\"127.0.0.1:" + std::to_string(replica.port()) + "\"") !=
                   std::string::npos &&
               metric("ocspcache_redis_up") == 1;
      },
      15s, 50ms))
      << admin.get("/status").body;
  // (Whether the answer written before the failover reached the replica in
  // time is Redis's replication, not ours: count only the new one.)
  const size_t before = replica.keys("t:r:*").size();
  ASSERT_EQ(status_of(pki.revoked()), kRevoked);
  EXPECT_TRUE(wait_until([&] { return replica.keys("t:r:*").size() == before + 1; }, 5s))
      << "the new answer was not written to the new primary";
  EXPECT_GT(asked, 0);
}

// No client asks anything while the primary freezes (SIGSTOP: no error, no
// dropped connection, nothing times out) and the sentinels fail over: the
// daemon still moves to the new primary, told by "+switch-master".
TEST_F(RedisSentinelTest, SwitchMasterIsFollowedWithoutWaitingForAnError) {
  RedisServer& primary = *primary_server;
  RedisServer& replica = *replica_server;
  start_daemon();
  ASSERT_TRUE(wait_until([&] { return metric("ocspcache_redis_up") == 1; }, 10s, 20ms));
  HttpClient admin(daemon->admin_port());
  const std::string new_address =
      "\"address\":\"127.0.0.1:" + std::to_string(replica.port()) + "\"";

  primary.pause();  // the sentinels see it down after 1 s and fail over
  EXPECT_TRUE(wait_until(
      [&] { return admin.get("/status").body.find(new_address) != std::string::npos; }, 30s, 100ms))
      << admin.get("/status").body;
  EXPECT_TRUE(daemon->log().find("event=redis_switch_master") != std::string::npos)
      << daemon->log();
  EXPECT_TRUE(wait_until([&] { return metric("ocspcache_redis_up") == 1; }, 10s, 50ms));
  ASSERT_EQ(status_of(pki.good()), kGood);
  EXPECT_TRUE(wait_until([&] { return replica.keys("t:r:*").size() == 1; }, 5s));
  primary.resume();
}

}  // namespace
}  // namespace ocspcache::it
