// Upstream answers the daemon must not pass on as good (DESIGN step 6), and
// failover across the responders of an issuer. A response that fails
// validation is never cached: the client gets tryLater, now and later.
#include <chrono>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/response_forge.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using Clock = std::chrono::steady_clock;

class UpstreamFaultTest : public ProxyTest {
 protected:
  // Asks twice: neither answer may be good, and both are tryLater.
  void expect_try_later_twice(const std::filesystem::path& cert) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto r = ask(cert);
      EXPECT_NE(r.cert_status, "good") << "attempt " << attempt << "\n" << r.out << r.err;
      EXPECT_EQ(r.responder_error, "trylater") << "attempt " << attempt << "\n" << r.out << r.err;
    }
    auto http = post_for(cert);
    EXPECT_EQ(http.status, 200) << http.error;
    EXPECT_EQ(response_status_of(http.body), kTryLater);
  }
};

TEST_F(UpstreamFaultTest, ResponseSignedByTheWrongKeyIsRejected) {
  OpensslResponder wrong(ResponderOptions::wrong_signer());
  start_daemon({wrong.url()});
  expect_try_later_twice(pki.good());
}

TEST_F(UpstreamFaultTest, ResponseForAnotherSerialIsRejected) {
  FaultServer upstream;
  upstream.reply(forge_response({.leaf = pki.revoked()}));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
  EXPECT_GE(upstream.request_count(), 1u);
}

TEST_F(UpstreamFaultTest, ExpiredResponseIsRejected) {
  FaultServer upstream;
  upstream.reply(forge_response(
      {.this_update = -std::chrono::hours(48), .next_update = -std::chrono::hours(1)}));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

TEST_F(UpstreamFaultTest, ResponseWithoutNextUpdateIsRejected) {
  FaultServer upstream;
  upstream.reply(forge_response({.omit_next_update = true}));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

// Beyond the allowed clock skew (5 minutes by default).
TEST_F(UpstreamFaultTest, ResponseFromTheFutureIsRejected) {
  FaultServer upstream;
  upstream.reply(forge_response(
      {.this_update = std::chrono::hours(2), .next_update = std::chrono::hours(26)}));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

// Signed by the other CA's signer but otherwise perfect: only the signature
// check can catch it (the responder-started variant above also differs in
// other ways the daemon might notice first).
TEST_F(UpstreamFaultTest, ForgedResponseWithStrangersSignatureIsRejected) {
  FaultServer upstream;
  upstream.reply(forge_response(ForgeSpec{}.wrong_signer()));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

TEST_F(UpstreamFaultTest, GarbageFromUpstreamIsRejected) {
  FaultServer upstream;
  upstream.reply("this is not DER");
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

// Control for the cases above: the same forge, valid, is served as good, so
// they fail for the reason they name and not because forged answers never work.
TEST_F(UpstreamFaultTest, ValidForgedResponseIsServed) {
  FaultServer upstream;
  upstream.reply(forge_response({}));
  start_daemon({upstream.url()});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_TRUE(r.verify_ok) << r.err;
}

TEST_F(UpstreamFaultTest, FailsOverFromAClosedPort) {
  OpensslResponder good;
  PortReservation closed;  // bound, never listening: connections are refused
  start_daemon({"http://127.0.0.1:" + std::to_string(closed.port()) + "/", good.url()});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
}

TEST_F(UpstreamFaultTest, FailsOverFromHttp500) {
  OpensslResponder good;
  FaultServer broken;
  broken.reply_status(500);
  start_daemon({broken.url(), good.url()});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_GE(broken.request_count(), 1u);
}

TEST_F(UpstreamFaultTest, FailsOverFromAConnectionClosedWithoutAnswer) {
  OpensslResponder good;
  FaultServer rude;
  rude.close_immediately();
  start_daemon({rude.url(), good.url()});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
}

TEST_F(UpstreamFaultTest, FailsOverFromAHangingResponder) {
  OpensslResponder good;
  FaultServer hanging;
  hanging.hang();
  start_daemon({hanging.url(), good.url()}, "1s");
  auto r = ask(pki.good(), {.nonce = false, .timeout = 10s});
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_EQ(hanging.request_count(), 1u);
}

TEST_F(UpstreamFaultTest, AllRespondersFailingGivesTryLaterWithinTheTimeout) {
  FaultServer broken, hanging;
  broken.reply_status(500);
  hanging.hang();
  PortReservation closed;  // bound, never listening: connections are refused
  start_daemon(
      {"http://127.0.0.1:" + std::to_string(closed.port()) + "/", broken.url(), hanging.url()},
      "1s");
  auto started = Clock::now();
  HttpClient http(daemon->port(), false, 10s);
  auto r = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  auto elapsed = Clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(response_status_of(r.body), kTryLater);
  // upstream.timeout plus a margin for a loaded 2-core machine.
  EXPECT_LT(elapsed, 1s + 1500ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  EXPECT_GE(broken.request_count(), 1u);
  EXPECT_EQ(hanging.request_count(), 1u);
}

// Upstream says tryLater itself: nothing to cache, the client hears tryLater.
TEST_F(UpstreamFaultTest, UpstreamTryLaterIsPassedOnNotCached) {
  FaultServer upstream;
  upstream.reply(error_response(kTryLater));
  start_daemon({upstream.url()});
  expect_try_later_twice(pki.good());
}

// upstream.deadline bounds the whole miss, however many responders hang:
// the first gets all of it (its upstream.timeout is longer), the second is
// never asked, and the client hears tryLater after about 1 s, not 10. The
// failure is then remembered for the CertID.
TEST_F(UpstreamFaultTest, TwoHangingRespondersCostAClientAtMostTheDeadline) {
  FaultServer first, second;
  first.hang();
  second.hang();
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {first.url(), second.url()}});
  options.upstream_timeout = "5s";
  options.upstream_toml = "deadline = \"1s\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  auto started = Clock::now();
  HttpClient http(daemon->port(), false, 15s);
  auto r = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  auto elapsed = Clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(response_status_of(r.body), kTryLater);
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 1s + 1500ms)  // the deadline plus a margin for a loaded 2-core machine
      << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 0u);

  // The next client for the same CertID within upstream.negative_ttl (30s
  // by default) costs nothing: tryLater at once, no responder asked.
  started = Clock::now();
  auto again = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  elapsed = Clock::now() - started;
  ASSERT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(response_status_of(again.body), kTryLater);
  EXPECT_LT(elapsed, 500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                            << " ms";
  EXPECT_EQ(first.request_count(), 1u);
  EXPECT_EQ(second.request_count(), 0u);
  EXPECT_NE(metrics().find("ocspcache_upstream_failures_remembered_total 1"), std::string::npos);
}

// After upstream.breaker_failures failures in a row a responder is passed
// over: the next misses go straight to the next responder, the broken one
// sees nothing more until its back-off ends, and the metrics, /status and
// /readyz say so.
TEST_F(UpstreamFaultTest, AnOpenBreakerCostsClientsNothing) {
  OpensslResponder good;
  FaultServer broken;
  broken.reply_status(503);
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {broken.url(), good.url()}});
  options.upstream_toml = "breaker_failures = 2\nbreaker_backoff = \"10m\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
  ASSERT_EQ(broken.request_count(), 2u) << "asked first for each miss until its breaker opened";
  auto r = ask(pki.unknown());
  EXPECT_EQ(r.cert_status, "unknown") << r.out << r.err;
  EXPECT_EQ(broken.request_count(), 2u) << "an open breaker: not asked";
  const std::string m = metrics();
  EXPECT_NE(m.find("ocspcache_responder_breaker_open{responder=\"" + broken.url() + "\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("ocspcache_responder_breaker_open{responder=\"" + good.url() + "\"} 0"),
            std::string::npos)
      << m;
  HttpClient admin(daemon->admin_port());
  const std::string status = admin.get("/status").body;
  EXPECT_NE(status.find("\"breaker\":{\"state\":\"open\",\"consecutiveFailures\":2}"),
            std::string::npos)
      << status;
  const std::string ready = admin.get("/readyz").body;
  EXPECT_NE(ready.find(broken.url() + " down (http_error (HTTP 503)), breaker open"),
            std::string::npos)
      << ready;
}

}  // namespace
}  // namespace ocspcache::it
