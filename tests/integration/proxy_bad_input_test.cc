// Hostile and broken input on the front end: the daemon answers
// malformedRequest (an OCSPResponse, HTTP 200) for bad OCSP and a 4xx for
// misused HTTP, never hangs, never crashes, and still answers good after.
#include <openssl/ocsp.h>
#include <unistd.h>

#include <string>

#include "harness/openssl_responder.h"
#include "harness/pem.h"
#include "ocspcache/util/ssl_handles.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

// RFC 6960 §4.2.1: OCSPResponse { responseStatus malformedRequest(1) }.
const std::string kMalformed("\x30\x03\x0a\x01\x01", 5);

class BadInputTest : public ProxyTest {
 protected:
  void SetUp() override {
    responder = std::make_unique<OpensslResponder>();
    start_daemon({responder->url()});
  }
  void TearDown() override {
    // Whatever came before, the daemon is up and answers.
    if (daemon && daemon->running()) {
      auto r = ask(pki.good());
      EXPECT_EQ(r.cert_status, "good") << "after bad input:\n" << r.out << r.err;
    }
    ProxyTest::TearDown();
  }
  void expect_malformed(const HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 200) << what << ": " << r.error << r.raw.substr(0, 200);
    EXPECT_EQ(r.body, kMalformed) << what;
    EXPECT_EQ(r.header("content-type"), "application/ocsp-response") << what;
  }
  std::unique_ptr<OpensslResponder> responder;
};

TEST_F(BadInputTest, GarbagePostBodies) {
  expect_malformed(post("hello, world"), "text body");
  expect_malformed(post(std::string(100, '\0')), "zero bytes");
  expect_malformed(post(std::string("\x30\x82\xff\xff", 4)), "DER header claiming 64 KiB");
  expect_malformed(post(std::string("\x30\x03\x02\x01\x01", 5)), "DER of something else");
}

TEST_F(BadInputTest, TruncatedDer) {
  std::string der = make_request_der(pki.good(), pki.intermediate());
  for (size_t cut : {size_t{1}, der.size() / 2, der.size() - 1}) {
    expect_malformed(post(der.substr(0, cut)), "first " + std::to_string(cut) + " bytes");
  }
  expect_malformed(post(der + "trailing"), "trailing bytes after the DER");
}

TEST_F(BadInputTest, EmptyBody) {
  expect_malformed(post(""), "empty body");
}

TEST_F(BadInputTest, RequestWithoutCertIds) {
  // A well-formed OCSPRequest listing no certificate asks nothing.
  OcspRequestPtr empty(OCSP_REQUEST_new());
  expect_malformed(post(to_der(empty.get(), i2d_OCSP_REQUEST)), "empty requestList");
}

TEST_F(BadInputTest, OversizedBodyIsRefused) {
  std::string der = make_request_der(pki.good(), pki.intermediate());
  std::string big = der + std::string(17 * 1024, 'A');
  // Past server.max_body_bytes (16 KiB in this fixture): refused by its
  // Content-Length before the body is read.
  auto r = post(big);
  EXPECT_EQ(r.status, 413) << r.error << r.raw.substr(0, 200);

  // Far past it: the answer is still 413, read while the client is still
  // sending (the daemon closes without reading the 4 MiB).
  auto huge = post(der + std::string(4 * 1024 * 1024, 'A'));
  EXPECT_EQ(huge.status, 413) << huge.error << huge.raw.substr(0, 200);
}

TEST_F(BadInputTest, GarbageGetPaths) {
  HttpClient http(daemon->port());
  expect_malformed(http.get("/not-base64!!"), "GET /not-base64!!");
  expect_malformed(http.get("/ocsp/" + base64("hello, world")), "GET base64 of text");
  std::string der = make_request_der(pki.good(), pki.intermediate());
  expect_malformed(http.get("/" + url_escape(base64(der.substr(0, der.size() / 2)))),
                   "GET truncated request");
  expect_malformed(http.get("/%ZZ%"), "GET with broken escapes");
}

TEST_F(BadInputTest, MisusedHttpGets4xx) {
  HttpClient http(daemon->port());
  auto put = http.request("PUT", "/", make_request_der(pki.good(), pki.intermediate()));
  EXPECT_EQ(put.status, 405) << put.error;

  auto broken = http.raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(broken.status, 400) << broken.error;

  auto huge_header =
      http.raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'x') + "\r\n\r\n");
  EXPECT_EQ(huge_header.status, 431) << huge_header.error;

  auto huge_target = http.raw("GET /" + std::string(64 * 1024, 'A') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(huge_target.status, 414) << huge_target.error;
}

TEST_F(BadInputTest, ClientThatDisconnectsMidRequest) {
  // Half a request, then gone: the daemon must shrug it off.
  int fd = connect_loopback(daemon->port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST / HTTP/1.1\r\nContent-Length: 500\r\n\r\n0123");
  close(fd);
  auto r = post_for(pki.revoked());
  EXPECT_EQ(parse(r, pki.revoked()).cert_status, kRevoked);
}

}  // namespace
}  // namespace ocspcache::it
