// Redis Cluster (issue 11): three primaries on loopback made with
// `redis-cli --cluster create`. Answers spread over the shards, an instance
// seeded with one node finds every key, and requests keep succeeding while
// `redis-cli --cluster reshard` moves slots (MOVED and ASK followed).
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus_text.h"
#include "harness/redis_server.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class RedisClusterTest : public ProxyTest {
 protected:
  // A connection per node per worker, and the refresher's per node.
  static constexpr unsigned kThreads = 2;
  static constexpr unsigned kConnectionsPerNode = kThreads + 1;
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      nodes.push_back(std::make_unique<RedisServer>(
          std::vector<std::string>{"--cluster-enabled", "yes", "--cluster-config-file",
                                   "nodes.conf", "--cluster-node-timeout", "5000"}));
    }
    std::vector<std::string> argv = {"redis-cli", "--cluster", "create"};
    for (auto& n : nodes) argv.push_back("127.0.0.1:" + std::to_string(n->port()));
    argv.insert(argv.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    CommandResult r = run_command(argv, 30s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (auto& n : nodes) {
      ASSERT_TRUE(wait_until(
          [&] {
            return n->cli({"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos;
          },
          15s, 50ms));
    }
  }
  std::unique_ptr<Daemon> instance(const std::string& responder) {
    DaemonOptions o;
    o.issuers.push_back({.cert = pki.intermediate(), .responders = {responder}});
    o.upstream_toml = "negative_ttl = \"0s\"\n";
    o.threads = kThreads;
    // One seed: the rest of the cluster is learned from CLUSTER SLOTS.
    o.extra_toml =
        "[cache]\nbackend = \"redis\"\n[redis]\nkey_prefix = \"t:\"\ncluster = [\"127.0.0.1:" +
        std::to_string(nodes[0]->port()) + "\"]\n";
    return std::make_unique<Daemon>(std::move(o));
  }
  static double metric(Daemon& d, const std::string& name,
                       const std::map<std::string, std::string>& labels = {}) {
    HttpClient admin(d.admin_port());
    return metric_sum(admin.get("/metrics").body, name, labels);
  }
  static int status_of(Daemon& d, const std::string& request) {
    HttpClient http(d.port());
    const HttpResponse r = http.post("/", request);
    return r.status == 200 ? response_status_of(r.body) : -1;
  }
  size_t keys_on(size_t i) { return nodes[i]->keys("t:r:*").size(); }

  std::vector<std::unique_ptr<RedisServer>> nodes;
};

TEST_F(RedisClusterTest, AnswersSpreadOverTheShardsAndSurviveAReshard) {
  OpensslResponder responder;
  const auto requests = make_requests_for_serials(pki.intermediate(), 0x5000, 60);
  daemon = instance(responder.url());
  ASSERT_TRUE(wait_until(
      [&] {
        return metric(*daemon, "ocspcache_redis_up") == 1 &&
               metric(*daemon, "ocspcache_redis_connections") == 3 * kConnectionsPerNode;
      },
      10s, 20ms))
      << "the other two nodes were not learned from the seed";
  for (const auto& req : requests) ASSERT_EQ(status_of(*daemon, req), kSuccessful);
  ASSERT_TRUE(
      wait_until([&] { return keys_on(0) + keys_on(1) + keys_on(2) == requests.size(); }, 5s))
      << keys_on(0) << " " << keys_on(1) << " " << keys_on(2);
  int shards_used = 0;
  for (size_t i = 0; i < 3; ++i) shards_used += keys_on(i) > 0;
  EXPECT_EQ(shards_used, 3) << "60 keys not spread over the three shards";

  // A second instance, its memory empty, its responder stopped: every key is
  // found on its shard.
  responder.stop();
  std::unique_ptr<Daemon> reader = instance(responder.url());
  ASSERT_TRUE(wait_until([&] { return metric(*reader, "ocspcache_redis_up") == 1; }, 10s, 20ms));
  for (size_t i = 0; i < requests.size() / 2; ++i)
    ASSERT_EQ(status_of(*reader, requests[i]), kSuccessful);
  EXPECT_EQ(metric(*reader, "ocspcache_redis_lookups_total", {{"result", "hit"}}),
            requests.size() / 2);

  // Move every slot of the first node to the second while the reader asks
  // for the other half: each is still found (following MOVED and ASK). Of
  // the 30 keys the reader has not asked for yet, some live on the first
  // node but for a chance of (2/3)^30: their slots move under the reader.
  ASSERT_GT(keys_on(0), 0u);
  const std::string from = nodes[0]->cli({"CLUSTER", "MYID"});
  const std::string to = nodes[1]->cli({"CLUSTER", "MYID"});
  auto reshard = std::async(std::launch::async, [&] {
    return run_command(
        {"redis-cli", "--cluster", "reshard", "127.0.0.1:" + std::to_string(nodes[0]->port()),
         "--cluster-from", from, "--cluster-to", to, "--cluster-slots", "5461", "--cluster-yes"},
        120s);
  });
  size_t round = 0;
  while (reshard.wait_for(0s) != std::future_status::ready) {
    const auto& req = requests[requests.size() / 2 + round % (requests.size() / 2)];
    EXPECT_EQ(status_of(*reader, req), kSuccessful);
    ++round;
    if (round == requests.size() / 2) break;  // each of the other half asked once
    std::this_thread::sleep_for(20ms);
  }
  const CommandResult moved = reshard.get();
  ASSERT_EQ(moved.exit_code, 0) << moved.out.substr(
                                       moved.out.size() > 2000 ? moved.out.size() - 2000 : 0)
                                << moved.err;
  for (size_t i = requests.size() / 2 + round; i < requests.size(); ++i) {
    EXPECT_EQ(status_of(*reader, requests[i]), kSuccessful);
  }
  EXPECT_EQ(metric(*reader, "ocspcache_redis_lookups_total", {{"result", "hit"}}), requests.size());
  EXPECT_EQ(metric(*reader, "ocspcache_upstream_requests_total"), 0);
  EXPECT_EQ(keys_on(0), 0u) << "the reshard left keys on the first node";
  // After the reshard, a fresh reader finds every key at its new place.
  std::unique_ptr<Daemon> after = instance(responder.url());
  ASSERT_TRUE(wait_until([&] { return metric(*after, "ocspcache_redis_up") == 1; }, 10s, 20ms));
  for (const auto& req : requests) EXPECT_EQ(status_of(*after, req), kSuccessful);
  EXPECT_EQ(metric(*after, "ocspcache_redis_lookups_total", {{"result", "hit"}}), requests.size());
  EXPECT_EQ(reader->stop(), 0);
  EXPECT_EQ(after->stop(), 0);
}

}  // namespace
}  // namespace ocspcache::it
