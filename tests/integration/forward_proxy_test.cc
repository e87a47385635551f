// Forward-proxy mode (upstream.allow_hosts) end to end: the daemon between a
// client that names its responder (absolute URI or Host header) and real
// `openssl ocsp` responders. Allowed hosts are asked and their answers
// cached by CertID; everything else is refused and counted: hosts not on the
// list, IP literals not listed, names resolving to loopback, https, CONNECT.
// Issuer routing keeps working beside it.
#include <string>

#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class ForwardProxyTest : public ProxyTest {
 protected:
  // `configured`: the issuer's own responder (issuer routing);
  // `allow`: the allow_hosts TOML array.
  void start(const std::string& allow, std::vector<std::string> configured,
             bool with_issuer = true) {
    DaemonOptions options;
    if (with_issuer) {
      options.issuers.push_back({.cert = pki.intermediate(), .responders = std::move(configured)});
    }
    options.upstream_toml = "allow_hosts = " + allow + "\n";
    daemon = std::make_unique<Daemon>(std::move(options));
  }

  // One raw request on a new connection: `line` is the request line.
  HttpResponse raw(const std::string& line, const std::string& host, const std::string& body = {}) {
    std::string bytes = line + "\r\nHost: " + host + "\r\nConnection: close\r\n";
    if (!body.empty()) {
      bytes += "Content-Type: application/ocsp-request\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n";
    }
    bytes += "\r\n" + body;
    HttpClient http(daemon->port());
    return http.raw(bytes);
  }
  HttpResponse forward_post(const std::string& url, const std::filesystem::path& cert) {
    const std::string authority = url.substr(7, url.find('/', 7) - 7);
    return raw("POST " + url + " HTTP/1.1", authority, make_request_der(cert, pki.intermediate()));
  }

  double upstream(const std::string& responder) {
    return metric_sum(metrics(), "ocspcache_upstream_requests_total", {{"responder", responder}});
  }
  double refused(const std::string& reason) {
    return metric_sum(metrics(), "ocspcache_forward_refused_total", {{"reason", reason}});
  }
};

TEST_F(ForwardProxyTest, AllowedHostIsAskedCachedAndIssuerRoutingStillWorks) {
  OpensslResponder configured;
  OpensslResponder named;
  start(R"(["127.0.0.1"])", {configured.url()});
  const std::string named_url = named.url();  // "http://127.0.0.1:PORT/"

  auto first = forward_post(named_url, pki.good());
  ASSERT_EQ(first.status, 200) << first.raw;
  auto parsed = parse(first, pki.good());
  EXPECT_EQ(parsed.cert_status, kGood);
  EXPECT_TRUE(parsed.signature_ok);
  EXPECT_EQ(upstream(named_url), 1) << metrics();
  EXPECT_EQ(upstream(configured.url()), 0) << "the named responder, not the issuer's";

  // Cached by CertID: with the named responder gone, the answer still comes.
  named.stop();
  auto again = forward_post(named_url, pki.good());
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(parse(again, pki.good()).cert_status, kGood);
  EXPECT_EQ(upstream(named_url), 1) << "served from the cache";

  // Issuer routing beside it: Host names ocspcache itself.
  auto own = ask(pki.revoked());
  EXPECT_EQ(own.cert_status, "revoked") << own.out << own.err;
  EXPECT_EQ(upstream(configured.url()), 1);
}

TEST_F(ForwardProxyTest, GetWithAbsoluteUriAndHostHeaderRoutingAreForwarded) {
  OpensslResponder named;
  start(R"(["127.0.0.1"])", {"http://127.0.0.1:1/"});  // the issuer's own: never answers
  const std::string authority = "127.0.0.1:" + std::to_string(named.port());
  const auto der = make_request_der(pki.revoked(), pki.intermediate());
  const std::string b64 = base64(der);

  auto get = raw("GET http://" + authority + "/" + b64 + " HTTP/1.1", authority);
  ASSERT_EQ(get.status, 200) << get.raw;
  EXPECT_EQ(parse(get, pki.revoked()).cert_status, kRevoked);

  // Origin-form, the responder named by the Host header.
  auto by_host = raw("POST / HTTP/1.1", authority, make_request_der(pki.good(), pki.intermediate()));
  ASSERT_EQ(by_host.status, 200) << by_host.raw;
  EXPECT_EQ(parse(by_host, pki.good()).cert_status, kGood);
  EXPECT_EQ(upstream(named.url()), 2) << metrics();
}

TEST_F(ForwardProxyTest, EverythingElseIsRefusedAndCounted) {
  OpensslResponder named;
  start(R"(["127.0.0.1"])", {named.url()});
  const std::string port = std::to_string(named.port());
  const auto der = make_request_der(pki.good(), pki.intermediate());

  auto not_listed = raw("POST http://ocsp.example.net/ HTTP/1.1", "ocsp.example.net", der);
  EXPECT_EQ(not_listed.status, 403) << not_listed.raw;
  EXPECT_NE(not_listed.body.find("not in upstream.allow_hosts"), std::string::npos)
      << not_listed.body;
  auto literal = raw("POST http://127.0.0.2:" + port + "/ HTTP/1.1", "127.0.0.2:" + port, der);
  EXPECT_EQ(literal.status, 403) << literal.raw;
  auto v6 = raw("POST http://[::1]:" + port + "/ HTTP/1.1", "[::1]:" + port, der);
  EXPECT_EQ(v6.status, 403) << v6.raw;
  auto https = raw("POST https://127.0.0.1:" + port + "/ HTTP/1.1", "127.0.0.1:" + port, der);
  EXPECT_EQ(https.status, 403) << https.raw;
  auto connect = raw("CONNECT 127.0.0.1:" + port + " HTTP/1.1", "127.0.0.1:" + port);
  EXPECT_EQ(connect.status, 405) << connect.raw;
  EXPECT_NE(connect.raw.find("Connection: close"), std::string::npos) << "never a tunnel";

  EXPECT_EQ(refused("not_allowed"), 1) << metrics();
  EXPECT_EQ(refused("ip_literal"), 2);
  EXPECT_EQ(refused("https"), 1);
  EXPECT_EQ(refused("connect"), 1);
  EXPECT_EQ(metric_sum(metrics(), "ocspcache_upstream_requests_total"), 0)
      << "no responder was asked";
}

// A listed name is vetted where it leads: "localhost" is loopback, which is
// reached only when the address is listed too.
TEST_F(ForwardProxyTest, NamesResolvingToLoopbackNeedTheirAddressListed) {
  OpensslResponder named;
  const std::string url = "http://localhost:" + std::to_string(named.port()) + "/";
  start(R"(["localhost"])", {named.url()});
  auto refused_answer = forward_post(url, pki.good());
  EXPECT_EQ(refused_answer.status, 403) << refused_answer.raw;
  EXPECT_NE(refused_answer.body.find("private or loopback"), std::string::npos);
  EXPECT_EQ(refused("private_address"), 1) << metrics();
  EXPECT_EQ(metric_sum(metrics(), "ocspcache_upstream_requests_total"), 0);
  EXPECT_EQ(daemon->stop(), 0);

  start(R"(["localhost", "127.0.0.1"])", {named.url()});
  auto allowed = forward_post(url, pki.good());
  ASSERT_EQ(allowed.status, 200) << allowed.raw;
  EXPECT_EQ(parse(allowed, pki.good()).cert_status, kGood);
  EXPECT_EQ(upstream(url), 1) << metrics();
}

// DESIGN.md step 6: the signature is checked whenever the issuer is
// configured. A responder signing with another CA's key is refused then, and
// accepted for an unconfigured issuer (trust rests on the allow-list).
TEST_F(ForwardProxyTest, SignatureIsCheckedExactlyWhenTheIssuerIsConfigured) {
  OpensslResponder foreign(ResponderOptions::wrong_signer());
  start(R"(["127.0.0.1"])", {"http://127.0.0.1:1/"});
  auto checked = forward_post(foreign.url(), pki.good());
  ASSERT_EQ(checked.status, 200) << checked.raw;
  EXPECT_EQ(response_status_of(checked.body), kTryLater) << "bad signature: not served";
  EXPECT_EQ(metric_sum(metrics(), "ocspcache_upstream_requests_total",
                       {{"responder", foreign.url()}, {"outcome", "invalid"}}),
            1);
  EXPECT_EQ(daemon->stop(), 0);

  start(R"(["127.0.0.1"])", {}, /*with_issuer=*/false);
  auto unchecked = forward_post(foreign.url(), pki.good());
  ASSERT_EQ(unchecked.status, 200) << unchecked.raw;
  auto parsed = parse(unchecked, pki.good());
  EXPECT_EQ(parsed.response_status, kSuccessful);
  EXPECT_EQ(parsed.cert_status, kGood);
  // Without an issuer there is no route for an ordinary request.
  auto own = post_for(pki.revoked());
  EXPECT_EQ(response_status_of(own.body), kUnauthorized);
}

}  // namespace
}  // namespace ocspcache::it
