// The upstream transport (HttpUpstreamClient) against real servers on
// loopback: keep-alive reuse and its limits, the keep-alive race, DNS via
// /etc/hosts, https:// with verified certificates, and the outbound proxy;
// first the client alone on a test-owned event loop, then the daemon in
// front of a real `openssl ocsp` responder.
#include <event2/event.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/fault_server.h"
#include "harness/forward_proxy.h"
#include "harness/keepalive_server.h"
#include "harness/ocsp_tools.h"
#include "harness/openssl_responder.h"
#include "harness/pki.h"
#include "harness/ports.h"
#include "harness/temp_dir.h"
#include "ocspcache/upstream/http_client.h"
#include "ocspcache/util/net_address.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

HttpUrl url_of(const std::string& text) {
  auto url = parse_http_url(text);
  EXPECT_TRUE(url) << text;
  return url.value_or(HttpUrl{});
}

const TransportStats::Row* row_of(const std::vector<TransportStats::Row>& rows,
                                  const std::string& origin) {
  for (const auto& r : rows) {
    if (r.origin == origin) return &r;
  }
  return nullptr;
}

// The client on its own loop, driven by the test thread.
class ClientTest : public ::testing::Test {
 protected:
  const Pki& pki = Pki::get();
  TempDir dir{"ocspcache-transport"};
  std::unique_ptr<event_base, void (*)(event_base*)> base{event_base_new(), event_base_free};
  std::unique_ptr<HttpUpstreamClient> client;

  // As the daemon does (app.cc): a peer's close is an error value, not a signal.
  void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }

  void make_client(HttpClientOptions options = {}) {
    client = std::make_unique<HttpUpstreamClient>(base.get(), std::move(options));
  }

  // Posts and runs the loop until the answer; `done` must never run inside post().
  UpstreamReply post(const std::string& url, Millis timeout = Millis{3'000},
                     std::string_view request = "\x30\x03\x02\x01\x01",
                     AddressPolicy policy = AddressPolicy::kAny) {
    std::optional<UpstreamReply> reply;
    const std::vector<uint8_t> body(request.begin(), request.end());
    client->post(url_of(url), body, timeout, policy, [&](UpstreamReply r) { reply = std::move(r); });
    EXPECT_FALSE(reply) << "done ran inside post()";
    while (!reply) event_base_loop(base.get(), EVLOOP_ONCE);
    return std::move(*reply);
  }

  // Runs the loop for D (timers, closes noticed).
  void run_for(Millis d) {
    const timeval tv = to_timeval(d);
    event_base_loopexit(base.get(), &tv);
    event_base_dispatch(base.get());
  }

  const TransportStats::Row* stats(const std::string& origin) {
    rows = client->stats().snapshot();
    return row_of(rows, origin);
  }
  std::vector<TransportStats::Row> rows;
};

TEST_F(ClientTest, KeepAliveConnectionIsReusedAcrossExchanges) {
  KeepAliveServer server({.body = "first"});
  make_client();
  for (int i = 0; i < 3; ++i) {
    UpstreamReply r = post(server.url());
    ASSERT_EQ(r.transport, TransportStatus::kOk);
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "first");
  }
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(server.connections(), 1u);
  const auto* s = stats("http://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->opened, 1u);
  EXPECT_EQ(s->idle, 1);
  EXPECT_EQ(s->busy, 0);
  EXPECT_EQ(server.request_lines().front(), "POST / HTTP/1.1");
  EXPECT_EQ(server.host_headers().front(), "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(ClientTest, ConnectionCloseAndHttp10AreNeverReused) {
  KeepAliveServer closing({.connection_close = true});
  OpensslResponder http10;  // HTTP/1.0, closes after every reply
  // A real request: `openssl ocsp` never answers a malformed one.
  const std::string request = make_request_der(pki.good(), pki.intermediate());
  make_client();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(post(closing.url()).transport, TransportStatus::kOk);
    UpstreamReply r = post(http10.url(), Millis{3'000}, request);
    EXPECT_EQ(r.transport, TransportStatus::kOk);
    EXPECT_EQ(r.http_status, 200);
  }
  EXPECT_EQ(closing.connections(), 2u);
  EXPECT_EQ(stats(std::string("http://127.0.0.1:") + std::to_string(http10.port()))->opened, 2u);
  EXPECT_EQ(client->open_connections(), 0u);
}

// The server closes a parked connection just as the next request is
// written on it: the request is sent again, once, on a new connection.
TEST_F(ClientTest, KeepAliveRaceIsRetriedOnceOnAFreshConnection) {
  KeepAliveServer server({.body = "ok", .answers_per_connection = 1});
  make_client();
  EXPECT_EQ(post(server.url()).transport, TransportStatus::kOk);
  UpstreamReply second = post(server.url());
  ASSERT_EQ(second.transport, TransportStatus::kOk);
  EXPECT_EQ(std::string(second.body.begin(), second.body.end()), "ok");
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests(), 3u);  // the one lost in the race, and its retry
}

// A forwarded responder's exchange checks the address it connects to, not
// an earlier lookup of the name: a name rebound to loopback between the
// forwarder's check and the connect is refused here, before any byte.
TEST_F(ClientTest, PublicOnlyRefusesASpecialAddressWithoutConnecting) {
  KeepAliveServer server({.body = "ok"});
  make_client();
  const std::string port = std::to_string(server.port());
  for (const std::string& url : {server.url(), "http://localhost:" + port + "/"}) {
    UpstreamReply r = post(url, Millis{3'000}, "\x30\x03\x02\x01\x01", AddressPolicy::kPublicOnly);
    EXPECT_EQ(r.transport, TransportStatus::kConnectError) << url;
  }
  EXPECT_EQ(server.connections(), 0u);
  // The same client, asked for a configured responder: no check.
  EXPECT_EQ(post(server.url()).transport, TransportStatus::kOk);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(ClientTest, PublicOnlyConnectsToAnAddressListedInAllowHosts) {
  KeepAliveServer server({.body = "ok"});
  HttpClientOptions options;
  options.allow = HostAllowList({"127.0.0.1"});
  make_client(std::move(options));
  UpstreamReply r = post(server.url(), Millis{3'000}, "\x30\x03\x02\x01\x01", AddressPolicy::kPublicOnly);
  ASSERT_EQ(r.transport, TransportStatus::kOk);
  EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "ok");
}

// Once bytes of an answer arrived, the exchange is not repeated.
TEST_F(ClientTest, AnswerCutShortOnAReusedConnectionIsNotRetried) {
  KeepAliveServer server({.answers_per_connection = 1, .truncate_next = true});
  make_client();
  EXPECT_EQ(post(server.url()).transport, TransportStatus::kOk);
  EXPECT_EQ(post(server.url()).transport, TransportStatus::kConnectError);
  EXPECT_EQ(server.requests(), 2u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(ClientTest, IdleConnectionsCloseAfterIdleTimeoutAndMaxIdleBoundsThem) {
  KeepAliveServer server({});
  HttpClientOptions options;
  options.pool = {Millis{300}, 1};
  make_client(options);
  // Three at once need three connections; only one is kept afterwards.
  int answered = 0;
  const std::vector<uint8_t> body = {1, 2, 3};
  for (int i = 0; i < 3; ++i) {
    client->post(url_of(server.url()), body, Millis{3'000}, AddressPolicy::kAny, [&](UpstreamReply r) {
      EXPECT_EQ(r.transport, TransportStatus::kOk);
      ++answered;
    });
  }
  EXPECT_EQ(client->in_flight(), 3u);
  while (answered < 3) event_base_loop(base.get(), EVLOOP_ONCE);
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(server.connections(), 3u);
  EXPECT_EQ(client->open_connections(), 1u);
  const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(stats(origin)->idle, 1);
  run_for(Millis{700});
  EXPECT_EQ(client->open_connections(), 0u);
  EXPECT_EQ(stats(origin)->idle, 0);
  for (int i = 0; i < 100 && server.open_connections() > 0; ++i) run_for(Millis{20});
  EXPECT_EQ(server.open_connections(), 0u) << "the server never saw the idle close";
}

TEST_F(ClientTest, RetryAfterOf503IsReported) {
  KeepAliveServer delta({.status = 503, .body = "", .extra_headers = "Retry-After: 120\r\n"});
  KeepAliveServer garbage({.status = 503, .body = "", .extra_headers = "Retry-After: soon\r\n"});
  KeepAliveServer not503({.status = 500, .body = "", .extra_headers = "Retry-After: 30\r\n"});
  make_client();
  UpstreamReply r = post(delta.url());
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.retry_after_s, 120);
  EXPECT_EQ(post(garbage.url()).retry_after_s, 0);
  EXPECT_EQ(post(not503.url()).retry_after_s, 0);
}

TEST_F(ClientTest, LimitsTimeoutsAndRefusalsKeepTheirOutcomes) {
  KeepAliveServer big({.body = std::string(5000, 'x')});
  FaultServer hang;
  hang.hang();
  PortReservation dead;  // reserved, never listening: connect is refused
  HttpClientOptions options;
  options.max_response_bytes = 4096;
  make_client(options);
  EXPECT_EQ(post(big.url()).transport, TransportStatus::kHttpError);
  UpstreamReply slow = post(hang.url(), Millis{200});
  EXPECT_EQ(slow.transport, TransportStatus::kTimeout);
  EXPECT_LT(slow.seconds, 1.0);
  EXPECT_EQ(post("http://127.0.0.1:" + std::to_string(dead.port()) + "/").transport,
            TransportStatus::kConnectError);
  EXPECT_EQ(client->open_connections(), 0u);
}

TEST_F(ClientTest, DestroyedWithExchangesPendingCallsNothingBack) {
  FaultServer hang;
  hang.hang();
  make_client();
  bool called = false;
  const std::vector<uint8_t> body = {1};
  client->post(url_of(hang.url()), body, Millis{5'000}, AddressPolicy::kAny, [&](UpstreamReply) { called = true; });
  for (int i = 0; i < 100 && hang.request_count() == 0; ++i) run_for(Millis{20});
  ASSERT_EQ(hang.request_count(), 1u);
  client.reset();
  run_for(Millis{50});
  EXPECT_FALSE(called);
}

// "localhost" comes from /etc/hosts: no DNS query, Host names it.
TEST_F(ClientTest, LocalhostResolvesWithoutADnsQuery) {
  KeepAliveServer server({});
  make_client();
  EXPECT_EQ(post(server.url("localhost")).transport, TransportStatus::kOk);
  EXPECT_EQ(post(server.url("localhost")).transport, TransportStatus::kOk);
  const auto* s = stats("http://localhost:" + std::to_string(server.port()));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dns_lookups, 0u);
  EXPECT_EQ(s->opened, 1u);
  EXPECT_EQ(server.host_headers().front(), "localhost:" + std::to_string(server.port()));
}

class TlsClientTest : public ClientTest {
 protected:
  IssuedCert good = issue_server_cert(dir.path(), "localhost", "DNS:localhost,IP:127.0.0.1",
                                      pki.root(), pki.key("root"));
  HttpClientOptions trusting_root() {
    HttpClientOptions o;
    o.ca_file = pki.root().string();
    return o;
  }
};

TEST_F(TlsClientTest, HttpsIsVerifiedAndPooled) {
  KeepAliveServer server({.body = "secret", .tls_cert = good.cert, .tls_key = good.key});
  make_client(trusting_root());
  for (const std::string host : {"localhost", "localhost", "127.0.0.1"}) {
    UpstreamReply r = post(server.url(host));
    ASSERT_EQ(r.transport, TransportStatus::kOk) << host;
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "secret");
  }
  // localhost twice on one connection; 127.0.0.1 is another origin.
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(server.host_headers().front(), "localhost:" + std::to_string(server.port()));
}

TEST_F(TlsClientTest, UntrustedOrMisnamedCertificateIsRefused) {
  IssuedCert stranger = issue_server_cert(dir.path(), "stranger", "DNS:localhost",
                                          pki.other_ca(), pki.key("other-ca"));
  IssuedCert misnamed = issue_server_cert(dir.path(), "wrong.test", "DNS:wrong.test",
                                          pki.root(), pki.key("root"));
  KeepAliveServer untrusted({.tls_cert = stranger.cert, .tls_key = stranger.key});
  KeepAliveServer wrong_name({.tls_cert = misnamed.cert, .tls_key = misnamed.key});
  make_client(trusting_root());
  EXPECT_EQ(post(untrusted.url("localhost")).transport, TransportStatus::kConnectError);
  EXPECT_EQ(post(wrong_name.url("localhost")).transport, TransportStatus::kConnectError);
  EXPECT_EQ(untrusted.requests(), 0u);
  EXPECT_EQ(wrong_name.requests(), 0u);
  // The system store does not know the test root either.
  make_client();
  KeepAliveServer ours({.tls_cert = good.cert, .tls_key = good.key});
  EXPECT_EQ(post(ours.url("localhost")).transport, TransportStatus::kConnectError);
  EXPECT_EQ(ours.requests(), 0u);
}

TEST_F(TlsClientTest, ProxyCarriesHttpAsAbsoluteUriAndHttpsThroughConnect) {
  KeepAliveServer plain({.body = "plain"});
  KeepAliveServer secure({.body = "secure", .tls_cert = good.cert, .tls_key = good.key});
  ForwardProxy proxy;
  HttpClientOptions options = trusting_root();
  options.http_proxy = url_of(proxy.url());
  make_client(options);
  UpstreamReply a = post(plain.url("localhost"));
  ASSERT_EQ(a.transport, TransportStatus::kOk);
  EXPECT_EQ(std::string(a.body.begin(), a.body.end()), "plain");
  for (int i = 0; i < 2; ++i) {
    UpstreamReply b = post(secure.url("localhost"));
    ASSERT_EQ(b.transport, TransportStatus::kOk);
    EXPECT_EQ(std::string(b.body.begin(), b.body.end()), "secure");
  }
  const auto lines = proxy.request_lines();
  const std::string p = std::to_string(plain.port());
  const std::string s = std::to_string(secure.port());
  ASSERT_EQ(lines.size(), 2u) << "the tunnel is kept alive for the second https exchange";
  EXPECT_EQ(lines[0], "POST http://localhost:" + p + "/ HTTP/1.1");
  EXPECT_EQ(lines[1], "CONNECT localhost:" + s + " HTTP/1.1");
  EXPECT_EQ(secure.connections(), 1u);
  EXPECT_EQ(secure.requests(), 2u);
}

// ---- the daemon, with a real openssl responder behind the transport ----

class TransportDaemonTest : public ProxyTest {
 protected:
  TempDir dir{"ocspcache-transport"};
  OpensslResponder responder;
  IssuedCert cert = issue_server_cert(dir.path(), "localhost", "DNS:localhost,IP:127.0.0.1",
                                      pki.root(), pki.key("root"));

  void start(std::vector<std::string> responders, std::string upstream_toml = {}) {
    DaemonOptions options;
    options.threads = 1;  // one loop, one client: connection counts are exact
    options.issuers.push_back({.cert = pki.intermediate(), .responders = std::move(responders)});
    options.upstream_toml = "ca_file = \"" + pki.root().string() + "\"\n" + upstream_toml;
    daemon = std::make_unique<Daemon>(std::move(options));
  }
};

TEST_F(TransportDaemonTest, MissesShareOneKeepAliveConnection) {
  KeepAliveServer front({.forward_port = responder.port()});
  start({front.url("localhost")});
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
  EXPECT_EQ(front.requests(), 2u);
  EXPECT_EQ(front.connections(), 1u);
}

TEST_F(TransportDaemonTest, HttpsResponderAnswersGood) {
  KeepAliveServer front({.forward_port = responder.port(), .tls_cert = cert.cert,
                         .tls_key = cert.key});
  start({front.url("localhost")});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_TRUE(r.verify_ok) << r.err;
  EXPECT_EQ(front.requests(), 1u);
}

TEST_F(TransportDaemonTest, UntrustedHttpsResponderIsFailedOver) {
  IssuedCert stranger = issue_server_cert(dir.path(), "stranger", "DNS:localhost",
                                          pki.other_ca(), pki.key("other-ca"));
  KeepAliveServer bad({.forward_port = responder.port(), .tls_cert = stranger.cert,
                       .tls_key = stranger.key});
  start({bad.url("localhost"), responder.url()});
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_EQ(bad.requests(), 0u);
  EXPECT_TRUE(daemon->wait_for_log("upstream_transport_failed"));
  EXPECT_NE(daemon->log().find("stage=tls"), std::string::npos) << daemon->log();
}

TEST_F(TransportDaemonTest, LocalhostResponderAndOutboundProxy) {
  ForwardProxy proxy;
  KeepAliveServer secure({.forward_port = responder.port(), .tls_cert = cert.cert,
                          .tls_key = cert.key});
  const std::string plain = "http://localhost:" + std::to_string(responder.port()) + "/";
  start({plain}, "http_proxy = \"" + proxy.url() + "\"\n");
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  ASSERT_EQ(proxy.request_lines().size(), 1u);
  EXPECT_EQ(proxy.request_lines()[0], "POST " + plain + " HTTP/1.1");
  daemon->stop();
  daemon.reset();
  start({secure.url("localhost")}, "http_proxy = \"" + proxy.url() + "\"\n");
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
  ASSERT_EQ(proxy.request_lines().size(), 2u);
  EXPECT_EQ(proxy.request_lines()[1],
            "CONNECT localhost:" + std::to_string(secure.port()) + " HTTP/1.1");
}

}  // namespace
}  // namespace ocspcache::it
