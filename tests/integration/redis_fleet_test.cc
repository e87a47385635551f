// cache.backend = "redis" (issue 11) on real redis-server processes: a fleet
// of daemons shares answers through Redis, what Redis holds is validated
// before it is served, a fleet never moves a CertID backwards, and a Redis
// that dies, hangs or restarts costs clients at most one redis.timeout.
#include <signal.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/prometheus_text.h"
#include "harness/redis_server.h"
#include "harness/response_forge.h"
#include "harness/temp_dir.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using Clock = std::chrono::steady_clock;

class RedisFleetTest : public ProxyTest {
 protected:
  void SetUp() override { redis = std::make_unique<RedisServer>(); }

  std::unique_ptr<Daemon> instance(const std::string& responder,
                                   const std::string& redis_timeout = "250ms",
                                   const std::string& cache_toml = "") {
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder}});
    options.upstream_toml = "negative_ttl = \"0s\"\n";
    options.extra_toml = "[cache]\nbackend = \"redis\"\n" + cache_toml + "[redis]\nurl = \"" +
                         redis->url() + "\"\nkey_prefix = \"t:\"\ntimeout = \"" + redis_timeout +
                         "\"\n";
    return std::make_unique<Daemon>(std::move(options));
  }
  HttpResponse ask(Daemon& d, const std::filesystem::path& cert) {
    HttpClient http(d.port());
    return http.post("/", make_request_der(cert, pki.intermediate()));
  }
  int status_of(const HttpResponse& r, const std::filesystem::path& cert) {
    auto parsed = parse(r, cert);
    return parsed.has_single ? parsed.cert_status : -1;
  }
  static double metric(Daemon& d, const std::string& name,
                       const std::map<std::string, std::string>& labels = {}) {
    HttpClient admin(d.admin_port());
    return metric_sum(admin.get("/metrics").body, name, labels);
  }
  bool wait_redis_up(Daemon& d, double want) {
    return wait_until([&] { return metric(d, "ocspcache_redis_up") == want; }, 10s, 20ms);
  }
  std::string only_key(const std::string& pattern) {
    auto keys = redis->keys(pattern);
    return keys.size() == 1 ? keys.front() : "";
  }

  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<Daemon> other;
  TempDir dir{"ocspcache-redis-fleet"};
  void TearDown() override {
    if (other) {
      EXPECT_EQ(other->stop(), 0) << "the second instance did not drain and exit 0";
      if (HasFailure()) std::cerr << "---- second instance stderr\n" << other->log() << "----\n";
    }
    ProxyTest::TearDown();
  }
};

// Fetched once through A, served by B with the responder stopped: B never
// asks a responder, and what it serves are A's bytes. The key layout and
// the expiry at nextUpdate are DESIGN.md's.
TEST_F(RedisFleetTest, AnAnswerFetchedByOneInstanceIsServedByAnother) {
  OpensslResponder responder;
  daemon = instance(responder.url());
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  const HttpResponse good = ask(*daemon, pki.good());
  const HttpResponse revoked = ask(*daemon, pki.revoked());
  ASSERT_EQ(status_of(good, pki.good()), kGood) << good.error;
  ASSERT_EQ(status_of(revoked, pki.revoked()), kRevoked) << revoked.error;
  ASSERT_TRUE(wait_until([&] { return redis->keys("t:r:*").size() == 2; }, 5s));
  for (const std::string& key : redis->keys("t:r:*")) {
    EXPECT_EQ(key.size(), std::string("t:r:").size() + 64) << key;
    // openssl ocsp -ndays 1: nextUpdate a day after thisUpdate.
    const long ttl = std::stol(redis->cli({"TTL", key}));
    EXPECT_GT(ttl, 86400 - 120) << key;
    EXPECT_LE(ttl, 86400) << key;
  }
  EXPECT_TRUE(redis->keys("t:lock:*").empty()) << "fetch locks left behind";

  responder.stop();
  other = instance(responder.url());
  ASSERT_TRUE(wait_redis_up(*other, 1));
  const HttpResponse good_b = ask(*other, pki.good());
  const HttpResponse revoked_b = ask(*other, pki.revoked());
  EXPECT_TRUE(good_b.body == good.body) << "B did not serve A's bytes";
  EXPECT_TRUE(revoked_b.body == revoked.body) << "B did not serve A's bytes";
  EXPECT_EQ(metric(*other, "ocspcache_upstream_requests_total"), 0);
  EXPECT_EQ(metric(*other, "ocspcache_redis_lookups_total", {{"result", "hit"}}), 2);
  // Now in B's memory: asked again, Redis is not asked again.
  EXPECT_TRUE(ask(*other, pki.good()).body == good.body);
  EXPECT_EQ(metric(*other, "ocspcache_redis_lookups_total"), 2);
}

// What Redis holds is untrusted: garbage, a truncated answer and another
// certificate's answer stored under a key are not served (the instance asks
// its responder, here dead: tryLater), are counted, and the next good fetch
// overwrites them.
TEST_F(RedisFleetTest, ValuesThatAreNotValidAnswersAreNeitherServedNorKept) {
  OpensslResponder responder;
  daemon = instance(responder.url());
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  const HttpResponse good = ask(*daemon, pki.good());
  const HttpResponse revoked = ask(*daemon, pki.revoked());
  ASSERT_EQ(status_of(good, pki.good()), kGood);
  ASSERT_TRUE(wait_until([&] { return redis->keys("t:r:*").size() == 2; }, 5s));
  std::string good_key;
  for (const std::string& key : redis->keys("t:r:*")) {
    if (redis->get_binary(key) == good.body) good_key = key;
  }
  ASSERT_FALSE(good_key.empty());

  PortReservation dead;  // nobody listens: the responder of B is down
  other = instance("http://127.0.0.1:" + std::to_string(dead.port()) + "/");
  ASSERT_TRUE(wait_redis_up(*other, 1));
  const std::string values[] = {"not an OCSP response at all",
                                good.body.substr(0, good.body.size() / 2), revoked.body};
  double invalid = 0;
  for (const std::string& value : values) {
    redis->set_binary(good_key, value);
    const HttpResponse r = ask(*other, pki.good());
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body != value) << "served what Redis held";
    EXPECT_TRUE(r.body == std::string("\x30\x03\x0a\x01\x03", 5)) << "expected tryLater";
    EXPECT_EQ(metric(*other, "ocspcache_redis_lookups_total", {{"result", "invalid"}}), ++invalid);
  }
  // An instance whose responder works replaces the bad value with a good one.
  const std::string bad = values[2];
  redis->set_binary(good_key, bad);
  std::unique_ptr<Daemon> third = instance(responder.url());
  ASSERT_TRUE(wait_redis_up(*third, 1));
  const HttpResponse fresh = ask(*third, pki.good());
  EXPECT_EQ(status_of(fresh, pki.good()), kGood);
  EXPECT_TRUE(wait_until([&] { return redis->get_binary(good_key) == fresh.body; }, 5s))
      << "the bad value was not overwritten";
  EXPECT_EQ(third->stop(), 0);
}

// Instance B is fetching a good answer (slow responder) when a newer
// revoked answer for the same CertID lands in Redis (another instance's
// write, here redis-cli): B's older answer does not replace it.
TEST_F(RedisFleetTest, AnOlderAnswerNeverReplacesANewerRevokedOne) {
  OpensslResponder responder;
  FaultServer slow;
  slow.forward_to(responder.port(), 1500ms);
  daemon = instance(slow.url());
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  auto pending = std::async(std::launch::async, [&] { return ask(*daemon, pki.good()); });
  // B holds the fleet's fetch lock for the key while it fetches.
  std::string lock;
  ASSERT_TRUE(wait_until([&] { return !(lock = only_key("t:lock:*")).empty(); }, 5s));
  const std::string key = "t:r:" + lock.substr(std::string("t:lock:").size());
  // Signed properly, thisUpdate a minute ahead of the answer B will get.
  const std::string newer_revoked =
      forge_response({.status = kRevoked, .this_update = std::chrono::seconds(60)});
  redis->set_binary(key, newer_revoked);
  const HttpResponse b = pending.get();
  EXPECT_EQ(status_of(b, pki.good()), kGood) << "B answers with what it fetched";
  ASSERT_TRUE(wait_until(
      [&] {
        return metric(*daemon, "ocspcache_redis_writes_total", {{"result", "kept_newer"}}) == 1;
      },
      5s));
  EXPECT_TRUE(redis->get_binary(key) == newer_revoked) << "the newer revoked answer was replaced";
  EXPECT_EQ(metric(*daemon, "ocspcache_redis_writes_total", {{"result", "stored"}}), 0);
  // A new instance serves the revoked answer from Redis.
  responder.stop();
  other = instance(slow.url());
  ASSERT_TRUE(wait_redis_up(*other, 1));
  const HttpResponse c = ask(*other, pki.good());
  EXPECT_EQ(status_of(c, pki.good()), kRevoked);
}

// Two instances asked about the same new CertID at once: one fetch for the
// fleet (the other waits on the lock for its answer).
TEST_F(RedisFleetTest, TwoInstancesAskingAtOnceFetchOnce) {
  OpensslResponder responder;
  FaultServer counting;
  counting.forward_to(responder.port(), 300ms);
  daemon = instance(counting.url());
  other = instance(counting.url());
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  ASSERT_TRUE(wait_redis_up(*other, 1));
  auto a = std::async(std::launch::async, [&] { return ask(*daemon, pki.good()); });
  auto b = std::async(std::launch::async, [&] { return ask(*other, pki.good()); });
  const HttpResponse ra = a.get(), rb = b.get();
  EXPECT_EQ(status_of(ra, pki.good()), kGood);
  EXPECT_EQ(status_of(rb, pki.good()), kGood);
  EXPECT_EQ(counting.request_count(), 1u);
  EXPECT_EQ(metric(*daemon, "ocspcache_redis_lock_waits_total", {{"result", "answered"}}) +
                metric(*other, "ocspcache_redis_lock_waits_total", {{"result", "answered"}}),
            1);
}

// Redis killed, hung, then back: every request is answered, none waits
// more than one redis.timeout, /readyz stays 200 (degraded), and writes
// resume once Redis is back.
TEST_F(RedisFleetTest, RedisFaultsCostAtMostOneTimeoutAndWritesResume) {
  OpensslResponder responder;
  daemon = instance(responder.url(), "300ms");
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  ASSERT_EQ(status_of(ask(*daemon, pki.good()), pki.good()), kGood);

  // Hung: up as far as TCP goes, answering nothing.
  redis->pause();
  int slow = 0;
  for (const auto& cert : {pki.revoked(), pki.unknown(), pki.good(), pki.revoked()}) {
    const auto start = Clock::now();
    const HttpResponse r = ask(*daemon, cert);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_NE(status_of(r, cert), -1) << "not answered with a certificate status";
    if (ms >= 300) ++slow;
    EXPECT_LT(ms, 1500);
  }
  EXPECT_LE(slow, 2) << "more than one wait on the hung Redis per worker";
  EXPECT_EQ(metric(*daemon, "ocspcache_redis_up"), 0);
  HttpClient admin(daemon->admin_port());
  const HttpResponse ready = admin.get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("degraded"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("redis"), std::string::npos) << ready.body;
  redis->resume();

  // Killed: the connection ends, nothing waits.
  redis->kill();
  const auto start = Clock::now();
  const HttpResponse r = ask(*daemon, pki.unknown());
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(),
            1500);
  EXPECT_EQ(metric(*daemon, "ocspcache_redis_up"), 0);

  // Back (empty): the next fetch is written, with its expiry.
  redis->start();
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  HttpClient http(daemon->port());
  const std::string sha256_good = make_request_der(pki.good(), pki.intermediate(), true);
  const HttpResponse fetched = http.post("/", sha256_good);
  EXPECT_EQ(parse(fetched, pki.good(), true).cert_status, kGood);
  ASSERT_TRUE(wait_until([&] { return redis->keys("t:r:*").size() == 1; }, 5s));
  EXPECT_GT(std::stol(redis->cli({"TTL", redis->keys("t:r:*").front()})), 86400 - 120);
  EXPECT_GE(metric(*daemon, "ocspcache_redis_reconnects_total"), 1);
}

// The redis.url forms of DESIGN.md beyond host:port: a password (AUTH, here
// with ':', '/' and '@' in it) and a database (SELECT). A wrong password is
// a login refused: logged, Redis skipped, clients still served.
TEST_F(RedisFleetTest, PasswordAndDatabaseForms) {
  redis.reset();
  redis = std::make_unique<RedisServer>(std::vector<std::string>{"--requirepass", "s3cret:/@x"});
  OpensslResponder responder;
  auto with_url = [&](const std::string& url) {
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
    options.extra_toml =
        "[cache]\nbackend = \"redis\"\n[redis]\nurl = \"" + url + "\"\nkey_prefix = \"t:\"\n";
    return std::make_unique<Daemon>(std::move(options));
  };
  auto keys_in = [&](int db) {
    return redis->cli(
        {"-a", "s3cret:/@x", "--no-auth-warning", "-n", std::to_string(db), "DBSIZE"});
  };
  daemon = with_url("redis://:s3cret:/@x@127.0.0.1:" + std::to_string(redis->port()) + "/3");
  ASSERT_TRUE(wait_redis_up(*daemon, 1)) << daemon->log();
  ASSERT_EQ(status_of(ask(*daemon, pki.good()), pki.good()), kGood);
  EXPECT_TRUE(wait_until([&] { return keys_in(3) == "1"; }, 5s)) << keys_in(3);
  EXPECT_EQ(keys_in(0), "0");
  ASSERT_EQ(daemon->stop(), 0);

  daemon = with_url("redis://:wrong@127.0.0.1:" + std::to_string(redis->port()) + "/0");
  EXPECT_TRUE(daemon->wait_for_log("event=redis_login_failed")) << daemon->log();
  EXPECT_EQ(metric(*daemon, "ocspcache_redis_up"), 0);
  EXPECT_EQ(status_of(ask(*daemon, pki.revoked()), pki.revoked()), kRevoked)
      << "not served without Redis";
}

TEST_F(RedisFleetTest, UnixSocketForm) {
  const std::string sock = (dir / "redis.sock").string();
  redis.reset();
  redis = std::make_unique<RedisServer>(
      std::vector<std::string>{"--unixsocket", sock, "--unixsocketperm", "700"});
  OpensslResponder responder;
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.extra_toml =
      "[cache]\nbackend = \"redis\"\n[redis]\nurl = \"unix:" + sock + "\"\nkey_prefix = \"t:\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  ASSERT_TRUE(wait_redis_up(*daemon, 1)) << daemon->log();
  ASSERT_EQ(status_of(ask(*daemon, pki.good()), pki.good()), kGood);
  EXPECT_TRUE(wait_until([&] { return redis->keys("t:r:*").size() == 1; }, 5s));
  HttpClient admin(daemon->admin_port());
  EXPECT_NE(admin.get("/status").body.find("\"address\":\"unix:" + sock + "\""), std::string::npos);
}

// Issue 12 with Redis: two instances hold the same one-minute answer
// (-nmin 1, refreshed after ~6 s with refresh_ahead 0.1); no client asks.
// Each refresh reaches the responder once, from whichever instance comes
// due first; the other takes its answer from Redis. Without the fleet's
// schedule and locks both would ask each round (upstream = 1 + 2 x rounds).
TEST_F(RedisFleetTest, EachDueRefreshReachesTheResponderOnceAcrossTheFleet) {
  OpensslResponder responder(ResponderOptions{.nmin = 1});
  daemon = instance(responder.url(), "250ms", "refresh_ahead = 0.1\n");
  other = instance(responder.url(), "250ms", "refresh_ahead = 0.1\n");
  ASSERT_TRUE(wait_redis_up(*daemon, 1));
  ASSERT_TRUE(wait_redis_up(*other, 1));
  const auto first = parse(ask(*daemon, pki.good()), pki.good());
  ASSERT_TRUE(first.has_single) << first.error;
  ASSERT_TRUE(wait_until([&] { return redis->keys("t:r:*").size() == 1; }, 5s));
  ASSERT_EQ(status_of(ask(*other, pki.good()), pki.good()), kGood);
  ASSERT_EQ(metric(*other, "ocspcache_redis_lookups_total", {{"result", "hit"}}), 1);

  const auto upstream = [&] {
    return metric(*daemon, "ocspcache_upstream_requests_total") +
           metric(*other, "ocspcache_upstream_requests_total");
  };
  const auto refreshes = [&](const char* result) {
    return metric(*daemon, "ocspcache_refreshes_total", {{"result", result}}) +
           metric(*other, "ocspcache_refreshes_total", {{"result", result}});
  };
  ASSERT_TRUE(wait_until([&] { return refreshes("refreshed") >= 3; }, 45s, 100ms))
      << daemon->log() << other->log();
  // Settled between rounds: every exchange made one new generation.
  EXPECT_TRUE(wait_until([&] { return upstream() == 1 + refreshes("refreshed"); }, 5s, 50ms))
      << "upstream " << upstream() << " refreshed " << refreshes("refreshed") << "\n"
      << daemon->log() << other->log();
  EXPECT_GE(refreshes("fleet"), refreshes("refreshed") - 1)
      << "the other instance takes each round from Redis";
  EXPECT_EQ(refreshes("failed"), 0);
  EXPECT_EQ(
      metric(*daemon, "ocspcache_requests_total") + metric(*other, "ocspcache_requests_total"), 2)
      << "no client asked after the first two";

  // DESIGN.md's layout: the fleet's next time for the key in `due`.
  const std::string key = only_key("t:r:*");
  ASSERT_FALSE(key.empty());
  const std::string hex = key.substr(std::string("t:r:").size());
  const std::string score = redis->cli({"ZSCORE", "t:due", hex});
  ASSERT_FALSE(score.empty()) << "no refresh time in t:due";
  EXPECT_GT(std::stod(score), static_cast<double>(first.this_update));
  EXPECT_EQ(redis->keys("*").size(), 2u) << "t:r:<hex> and t:due, no locks left";

  // Both serve a refreshed answer, newer than the first, as hits.
  const auto a_now = parse(ask(*daemon, pki.good()), pki.good());
  const auto b_now = parse(ask(*other, pki.good()), pki.good());
  EXPECT_GT(a_now.this_update, first.this_update);
  EXPECT_GT(b_now.this_update, first.this_update);
}

}  // namespace
}  // namespace ocspcache::it
