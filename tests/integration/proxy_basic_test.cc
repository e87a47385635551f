// The foundation issue end to end: the real openssl client and plain HTTP
// against the daemon in front of the real openssl responder. Covers POST and
// GET (RFC 5019), the caching headers, 304s, keep-alive, serving from cache
// while the responder is down, single-flight, and unknown issuers.
#include <chrono>
#include <cstdlib>
#include <latch>
#include <thread>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus_text.h"
#include "harness/temp_dir.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class ProxyBasicTest : public ProxyTest {
 protected:
  void SetUp() override {
    responder = std::make_unique<OpensslResponder>();
    start_daemon({responder->url()});
  }
  std::unique_ptr<OpensslResponder> responder;
};

TEST_F(ProxyBasicTest, OpensslClientSeesEachStatus) {
  struct Case {
    std::filesystem::path cert;
    const char* status;
  } cases[] = {{pki.good(), "good"}, {pki.revoked(), "revoked"}, {pki.unknown(), "unknown"}};
  for (const auto& c : cases) {
    auto r = ask(c.cert);
    EXPECT_EQ(r.exit_code, 0) << c.cert << "\n" << r.out << r.err;
    EXPECT_EQ(r.cert_status, c.status) << r.out << r.err;
    EXPECT_TRUE(r.verify_ok) << r.err;
  }
}

// A nonce never reaches the cache key (DESIGN step 2): the second client,
// with its own nonce, gets the cached answer, and that answer must not carry
// the first client's nonce (the openssl client rejects a mismatched one but
// only warns about a missing one).
TEST_F(ProxyBasicTest, ClientsWithNoncesShareOneCachedAnswer) {
  for (int i = 0; i < 2; ++i) {
    auto r = ask(pki.good(), {.nonce = true});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
    EXPECT_TRUE(r.verify_ok) << r.err;
    EXPECT_EQ(r.err.find("Nonce Verify error"), std::string::npos) << r.err;
  }
  auto revoked = ask(pki.revoked(), {.nonce = true});
  EXPECT_EQ(revoked.cert_status, "revoked") << revoked.out << revoked.err;
}

TEST_F(ProxyBasicTest, Sha256CertIdIsAnsweredForThatCertId) {
  auto good = ask(pki.good(), {.nonce = false, .sha256 = true});
  EXPECT_EQ(good.cert_status, "good") << good.out << good.err;
  EXPECT_TRUE(good.verify_ok) << good.err;
  auto revoked = ask(pki.revoked(), {.nonce = false, .sha256 = true});
  EXPECT_EQ(revoked.cert_status, "revoked") << revoked.out << revoked.err;
  // SHA-1 and SHA-256 CertIDs of one certificate are different cache keys.
  auto sha1 = post_for(pki.good(), false);
  EXPECT_EQ(parse(sha1, pki.good(), false).cert_status, kGood);
  auto sha256 = post_for(pki.good(), true);
  auto parsed = parse(sha256, pki.good(), true);
  EXPECT_TRUE(parsed.has_single) << parsed.error;
  EXPECT_EQ(parsed.cert_status, kGood);
}

TEST_F(ProxyBasicTest, PostAnswerCarriesRfc5019Headers) {
  auto r = post_for(pki.good());
  ASSERT_EQ(r.status, 200) << r.error;
  auto parsed = parse(r, pki.good());
  EXPECT_EQ(parsed.response_status, kSuccessful);
  EXPECT_EQ(parsed.cert_status, kGood);
  EXPECT_TRUE(parsed.signature_ok);
  EXPECT_EQ(r.header("content-type"), "application/ocsp-response");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
}

// The request DER as `openssl ocsp -reqout` writes it, base64, URL-escaped.
std::string request_path_segment(const Pki& pki, const std::filesystem::path& cert) {
  TempDir dir;
  auto out = dir / "req.der";
  auto r = run_command({"openssl", "ocsp", "-issuer", pki.intermediate().string(), "-cert",
                        cert.string(), "-no_nonce", "-reqout", out.string()});
  if (r.exit_code != 0) throw std::runtime_error("openssl ocsp -reqout: " + r.err);
  return url_escape(base64(read_file(out)));
}

int max_age_of(const std::string& cache_control) {
  auto at = cache_control.find("max-age=");
  return at == std::string::npos ? -1 : std::atoi(cache_control.c_str() + at + 8);
}

TEST_F(ProxyBasicTest, GetWithCurlAtRootAndUnderAPrefix) {
  TempDir dir;
  for (const std::string prefix : {"/", "/ocsp/", "/a/b/"}) {
    for (const auto& [cert, status] :
         {std::pair{pki.good(), kGood}, std::pair{pki.revoked(), kRevoked}}) {
      auto body = dir / "resp.der";
      std::string url = daemon->url() + prefix + request_path_segment(pki, cert);
      auto r = run_command({"curl", "-s", "-o", body.string(), "-w", "%{http_code} %{content_type}",
                            "--max-time", "10", url});
      EXPECT_EQ(r.exit_code, 0) << url << r.err;
      EXPECT_EQ(r.out, "200 application/ocsp-response") << url;
      // Decoded the way an operator would check it by hand.
      auto text =
          run_command({"openssl", "ocsp", "-respin", body.string(), "-resp_text", "-noverify"});
      EXPECT_NE(text.out.find("OCSP Response Status: successful (0x0)"), std::string::npos)
          << url << "\n"
          << text.out << text.err;
      auto parsed = parse_response(read_file(body), cert, pki.intermediate(), pki.root());
      EXPECT_EQ(parsed.cert_status, status) << url << " " << parsed.error;
      EXPECT_TRUE(parsed.signature_ok) << url;
    }
  }
}

TEST_F(ProxyBasicTest, GetAcceptsUnescapedBase64) {
  std::string b64 = base64(make_request_der(pki.good(), pki.intermediate()));
  HttpClient http(daemon->port());
  auto r = http.get("/" + b64);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(parse(r, pki.good()).cert_status, kGood) << "GET /" << b64;
}

TEST_F(ProxyBasicTest, GetAnswerIsCacheableAndRevalidates) {
  std::string path = "/ocsp/" + request_path_segment(pki, pki.good());
  HttpClient http(daemon->port());
  auto r = http.get(path);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(parse(r, pki.good()).cert_status, kGood);
  EXPECT_EQ(r.header("content-type"), "application/ocsp-response");

  // RFC 5019 §6.2: max-age up to nextUpdate (one day here), and the directives.
  std::string cc = r.header("cache-control");
  int max_age = max_age_of(cc);
  EXPECT_GT(max_age, 0) << cc;
  EXPECT_LE(max_age, 86400) << cc;
  for (const char* directive : {"public", "no-transform", "must-revalidate"}) {
    EXPECT_NE(cc.find(directive), std::string::npos) << directive << " missing in " << cc;
  }
  EXPECT_FALSE(r.header("last-modified").empty());
  EXPECT_FALSE(r.header("expires").empty());
  std::string etag = r.header("etag");
  ASSERT_FALSE(etag.empty());

  auto not_modified = http.get(path, {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304) << not_modified.raw;
  EXPECT_TRUE(not_modified.body.empty());

  auto since = http.get(path, {{"If-Modified-Since", r.header("last-modified")}});
  EXPECT_EQ(since.status, 304) << since.raw;

  auto other_tag = http.get(path, {{"If-None-Match", "\"something-else\""}});
  EXPECT_EQ(other_tag.status, 200) << other_tag.raw;
  EXPECT_EQ(parse(other_tag, pki.good()).cert_status, kGood);
}

// HEAD gets GET's headers and no body, on a miss and on a hit; the next GET
// on the same connection proves the framing (no stray body bytes).
TEST_F(ProxyBasicTest, HeadHasHeadersButNoBody) {
  std::string path = "/" + request_path_segment(pki, pki.revoked());
  HttpClient http(daemon->port(), /*keep_alive=*/true);
  for (int i = 0; i < 2; ++i) {
    auto head = http.request("HEAD", path, "");
    ASSERT_EQ(head.status, 200) << head.error;
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("content-type"), "application/ocsp-response");
    EXPECT_FALSE(head.header("etag").empty());
  }
  auto get = http.get(path);
  ASSERT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(parse(get, pki.revoked()).cert_status, kRevoked);
  EXPECT_EQ(http.connections(), 1);
}

TEST_F(ProxyBasicTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpClient http(daemon->port(), /*keep_alive=*/true);
  for (int i = 0; i < 3; ++i) {
    auto r =
        http.post("/", make_request_der(i == 1 ? pki.revoked() : pki.good(), pki.intermediate()));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(parse(r, i == 1 ? pki.revoked() : pki.good()).cert_status, i == 1 ? kRevoked : kGood);
  }
  EXPECT_EQ(http.connections(), 1);
}

TEST_F(ProxyBasicTest, CachedAnswersOutliveTheResponder) {
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
  responder->stop();
  ASSERT_FALSE(is_listening(responder->port()));
  auto good = ask(pki.good());
  EXPECT_EQ(good.cert_status, "good") << good.out << good.err;
  EXPECT_TRUE(good.verify_ok) << good.err;
  auto revoked = ask(pki.revoked());
  EXPECT_EQ(revoked.cert_status, "revoked") << revoked.out << revoked.err;
  // Never asked before: nothing cached, nobody to ask.
  auto unknown = ask(pki.unknown());
  EXPECT_EQ(unknown.responder_error, "trylater") << unknown.out << unknown.err;
}

TEST_F(ProxyBasicTest, UnknownIssuerIsUnauthorized) {
  auto r = openssl_client(daemon->url(), pki.other_leaf(), pki.other_ca(), pki.other_ca(),
                          {.nonce = false});
  EXPECT_EQ(r.responder_error, "unauthorized") << r.out << r.err;
  HttpClient http(daemon->port());
  auto res = http.post("/", make_request_der(pki.other_leaf(), pki.other_ca()));
  ASSERT_EQ(res.status, 200) << res.error;
  EXPECT_EQ(response_status_of(res.body), kUnauthorized);
}

TEST_F(ProxyBasicTest, AdminEndpointsAndRequestCounters) {
  HttpClient admin(daemon->admin_port());
  EXPECT_EQ(admin.get("/healthz").status, 200);
  EXPECT_EQ(admin.get("/readyz").status, 200);

  EXPECT_EQ(parse(post_for(pki.good()), pki.good()).cert_status, kGood);  // miss
  EXPECT_EQ(parse(post_for(pki.good()), pki.good()).cert_status, kGood);  // hit
  HttpClient http(daemon->port());
  std::string path = "/" + url_escape(base64(make_request_der(pki.good(), pki.intermediate())));
  EXPECT_EQ(parse(http.get(path), pki.good()).cert_status, kGood);  // hit

  auto m = admin.get("/metrics");
  ASSERT_EQ(m.status, 200) << m.error;
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  const std::string& text = m.body;
  EXPECT_EQ(
      metric_value(text, "ocspcache_requests_total", {{"method", "POST"}, {"result", "miss"}}), 1);
  EXPECT_EQ(metric_value(text, "ocspcache_requests_total", {{"method", "POST"}, {"result", "hit"}}),
            1);
  EXPECT_EQ(metric_value(text, "ocspcache_requests_total", {{"method", "GET"}, {"result", "hit"}}),
            1);
  EXPECT_EQ(metric_value(text, "ocspcache_upstream_requests_total",
                         {{"responder", responder->url()}, {"outcome", "good"}}),
            1)
      << text;
  EXPECT_EQ(metric_value(text, "ocspcache_cache_entries"), 1);
}

// 200 clients ask at once for one CertID nobody has asked before: one
// upstream fetch (DESIGN step 5), 200 good answers.
TEST(ProxySingleFlightTest, ConcurrentMissesFetchOnce) {
  const Pki& pki = Pki::get();
  OpensslResponder responder;
  FaultServer slow;
  slow.forward_to(responder.port(), 300ms);
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {slow.url()}});
  Daemon daemon(options);

  constexpr int kClients = 200;
  std::string request = make_request_der(pki.good(), pki.intermediate());
  std::vector<HttpResponse> responses(kClients);
  std::latch ready(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      HttpClient http(daemon.port(), false, 15s);
      ready.arrive_and_wait();
      responses[i] = http.post("/", request);
    });
  }
  for (auto& t : clients) t.join();

  int good = 0;
  for (const auto& r : responses) {
    auto parsed = parse_response(r.body, pki.good(), pki.intermediate(), pki.root());
    if (r.status == 200 && parsed.cert_status == kGood) ++good;
  }
  EXPECT_EQ(good, kClients);
  EXPECT_EQ(slow.request_count(), 1u);
  HttpClient admin(daemon.admin_port());
  std::string text = admin.get("/metrics").body;
  EXPECT_EQ(metric_sum(text, "ocspcache_upstream_requests_total"), 1) << text;
  EXPECT_EQ(metric_sum(text, "ocspcache_requests_total"), kClients) << text;
  int status = daemon.stop();
  EXPECT_EQ(status, 0);
  if (::testing::Test::HasFailure()) std::cerr << daemon.log();
}

}  // namespace
}  // namespace ocspcache::it
