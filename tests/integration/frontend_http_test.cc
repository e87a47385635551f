// The front end's HTTP/1.x beyond one request per connection (README "Front
// end"): pipelining with a slow upstream answer in the middle, HTTP/1.0 as
// nginx's ssl_stapling_responder speaks it, chunked bodies, Expect:
// 100-continue, requests with several CertIDs, and the legal but unusual
// forms clients send (lower-case names, weak and listed ETags, absolute-form
// targets). Everything goes over raw sockets so the framing itself is checked.
#include <chrono>
#include <thread>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/process.h"
#include "harness/prometheus_text.h"
#include "harness/raw_connection.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

// RFC 6960 §4.2.1: OCSPResponse { responseStatus malformedRequest(1) }.
const std::string kMalformed("\x30\x03\x0a\x01\x01", 5);

class FrontendHttpTest : public ProxyTest {
 protected:
  // The real responder behind a FaultServer, so a test can slow misses down.
  void SetUp() override {
    responder = std::make_unique<OpensslResponder>();
    upstream = std::make_unique<FaultServer>();
    upstream->forward_to(responder->port());
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {upstream->url()}});
    // Small, so an oversized body fits in one read (see ChunkedBodyOverMaxBodyIs413).
    options.server_toml = "max_body = \"1KiB\"\n";
    daemon = std::make_unique<Daemon>(std::move(options));
  }

  std::string der_for(const std::filesystem::path& cert, bool sha256 = false) {
    return make_request_der(cert, pki.intermediate(), sha256);
  }
  std::string get_path(const std::filesystem::path& cert, std::string_view prefix = "/") {
    return std::string(prefix) + url_escape(base64(der_for(cert)));
  }
  // Asks once through HttpClient so the answer is cached.
  void warm(const std::filesystem::path& cert) {
    auto r = post_for(cert);
    ASSERT_EQ(r.status, 200) << r.error;
    ASSERT_TRUE(parse(r, cert).has_single);
  }
  void expect_status(const HttpResponse& r, const std::filesystem::path& cert, int want,
                     const std::string& what) {
    EXPECT_EQ(r.status, 200) << what << ": " << r.error;
    auto parsed = parse(r, cert);
    EXPECT_TRUE(parsed.has_single) << what << ": " << parsed.error;
    EXPECT_EQ(parsed.cert_status, want) << what;
    EXPECT_TRUE(parsed.signature_ok) << what;
  }

  std::unique_ptr<OpensslResponder> responder;
  std::unique_ptr<FaultServer> upstream;
};

// Seven requests in one send(), two of them misses that wait 300 ms upstream:
// every answer comes back in request order (RFC 9112 §9.3.2), each for its
// own CertID, and the connection stays usable afterwards.
TEST_F(FrontendHttpTest, PipelinedRequestsAreAnsweredInOrderAroundASlowMiss) {
  warm(pki.good());
  upstream->forward_to(responder->port(), 300ms);
  size_t fetched_before = upstream->request_count();

  std::string other = make_request_der(pki.other_leaf(), pki.other_ca());
  std::string batch = get_request(get_path(pki.good())) +                // 1 hit
                      post_request(der_for(pki.revoked())) +             // 2 miss, slow
                      "HEAD " + get_path(pki.good()) +                   // 3 hit, HEAD
                      " HTTP/1.1\r\nHost: x\r\n\r\n" +                   //
                      post_request(der_for(pki.unknown())) +             // 4 miss, slow
                      get_request("/ocsp/" + base64("not a request")) +  // 5 malformed
                      post_request(other) +                              // 6 unauthorized
                      get_request(get_path(pki.revoked(), "/a/b/"));     // 7 hit (filled by 2)
  RawConnection conn(daemon->port(), 15s);
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send(batch));

  expect_status(conn.read_response(), pki.good(), kGood, "1 GET good");
  expect_status(conn.read_response(), pki.revoked(), kRevoked, "2 POST revoked");
  auto head = conn.read_response(/*head=*/true);
  EXPECT_EQ(head.status, 200) << "3 HEAD: " << head.error;
  EXPECT_EQ(head.header("content-type"), "application/ocsp-response") << "3 HEAD";
  EXPECT_FALSE(head.header("etag").empty()) << "3 HEAD";
  expect_status(conn.read_response(), pki.unknown(), kUnknown, "4 POST unknown");
  auto malformed = conn.read_response();
  EXPECT_EQ(malformed.status, 200) << "5: " << malformed.error;
  EXPECT_EQ(malformed.body, kMalformed) << "5 GET garbage";
  auto unauthorized = conn.read_response();
  EXPECT_EQ(unauthorized.status, 200) << "6: " << unauthorized.error;
  EXPECT_EQ(response_status_of(unauthorized.body), kUnauthorized) << "6 other CA";
  expect_status(conn.read_response(), pki.revoked(), kRevoked, "7 GET revoked");

  // Nothing more than seven answers, and the connection still serves.
  ASSERT_TRUE(conn.send(get_request(get_path(pki.good()))));
  expect_status(conn.read_response(), pki.good(), kGood, "8 after the batch");
  EXPECT_EQ(upstream->request_count() - fetched_before, 2u);
}

// A batch whose last request says Connection: close: all answered, then EOF.
TEST_F(FrontendHttpTest, PipelineEndingInConnectionCloseIsAnsweredThenClosed) {
  std::string batch = post_request(der_for(pki.good())) + get_request(get_path(pki.revoked())) +
                      get_request(get_path(pki.good()), "Connection: close\r\n");
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(batch));
  expect_status(conn.read_response(), pki.good(), kGood, "1");
  expect_status(conn.read_response(), pki.revoked(), kRevoked, "2");
  auto last = conn.read_response();
  expect_status(last, pki.good(), kGood, "3");
  EXPECT_EQ(last.header("connection"), "close");
  auto closing = conn.wait_closed(5s);
  EXPECT_TRUE(closing.closed);
  EXPECT_EQ(closing.data, "");
}

// A client that writes its whole batch and half-closes (shutdown(SHUT_WR),
// as `nc -N` does) still reads every answer, the slow one included, before
// the server closes; and an HTTP error in a batch comes after the answers to
// the requests before it.
TEST_F(FrontendHttpTest, PipelineThenHalfCloseGetsEveryAnswer) {
  upstream->forward_to(responder->port(), 300ms);
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(get_request(get_path(pki.good())) + post_request(der_for(pki.revoked())) +
                        get_request(get_path(pki.good()))));
  conn.shutdown_write();
  expect_status(conn.read_response(), pki.good(), kGood, "1");
  expect_status(conn.read_response(), pki.revoked(), kRevoked, "2");
  expect_status(conn.read_response(), pki.good(), kGood, "3");
  auto end = conn.wait_closed(5s);
  EXPECT_TRUE(end.closed);
  EXPECT_EQ(end.data, "");

  RawConnection broken(daemon->port());
  ASSERT_TRUE(broken.send(get_request(get_path(pki.good())) + post_request(der_for(pki.unknown())) +
                          "NOT HTTP AT ALL\r\n\r\n"));
  expect_status(broken.read_response(), pki.good(), kGood, "before the error, hit");
  expect_status(broken.read_response(), pki.unknown(), kUnknown, "before the error, slow miss");
  auto error = broken.read_response();
  EXPECT_EQ(error.status, 400) << error.error << error.raw;
  EXPECT_TRUE(broken.wait_closed(5s).closed);
}

// HTTP/1.0 without keep-alive (what nginx sends): Connection: close and the
// server closes after the answer, on a miss (answered after the upstream
// fetch) and on a hit.
TEST_F(FrontendHttpTest, Http10WithoutKeepAliveIsClosedAfterTheAnswer) {
  for (const char* what : {"miss", "hit"}) {
    RawConnection conn(daemon->port());
    ASSERT_TRUE(conn.send(get_request(get_path(pki.revoked(), "/ocsp/"), "", "HTTP/1.0")));
    auto r = conn.read_response();
    expect_status(r, pki.revoked(), kRevoked, what);
    EXPECT_EQ(r.header("connection"), "close") << what << "\n" << r.raw;
    auto closing = conn.wait_closed(5s);
    EXPECT_TRUE(closing.closed) << what << ": the server kept an HTTP/1.0 connection open";
    EXPECT_EQ(closing.data, "") << what;
  }
  // POST too.
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(post_request(der_for(pki.good()), "", "HTTP/1.0")));
  auto r = conn.read_response();
  expect_status(r, pki.good(), kGood, "POST/1.0");
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(conn.wait_closed(5s).closed);
}

// HTTP/1.0 with Connection: keep-alive: the answer says keep-alive (a 1.0
// client closes otherwise) and the connection serves the next request, miss
// and hit, GET and POST.
TEST_F(FrontendHttpTest, Http10KeepAliveStaysOpen) {
  RawConnection conn(daemon->port());
  const char* keep = "Connection: keep-alive\r\n";
  ASSERT_TRUE(conn.send(get_request(get_path(pki.revoked()), keep, "HTTP/1.0")));
  auto miss = conn.read_response();
  expect_status(miss, pki.revoked(), kRevoked, "miss");
  EXPECT_EQ(miss.header("connection"), "keep-alive") << miss.raw;

  ASSERT_TRUE(conn.send(get_request(get_path(pki.revoked()), keep, "HTTP/1.0")));
  auto hit = conn.read_response();
  expect_status(hit, pki.revoked(), kRevoked, "hit");
  EXPECT_EQ(hit.header("connection"), "keep-alive") << hit.raw;

  ASSERT_TRUE(
      conn.send(post_request(der_for(pki.good()), "Connection: Keep-Alive\r\n", "HTTP/1.0")));
  auto post = conn.read_response();
  expect_status(post, pki.good(), kGood, "POST");
  EXPECT_EQ(post.header("connection"), "keep-alive") << post.raw;

  // The last one without keep-alive ends the connection.
  ASSERT_TRUE(conn.send(get_request(get_path(pki.good()), "", "HTTP/1.0")));
  auto last = conn.read_response();
  expect_status(last, pki.good(), kGood, "last");
  EXPECT_EQ(last.header("connection"), "close");
  EXPECT_TRUE(conn.wait_closed(5s).closed);
}

// Transfer-Encoding: chunked, the chunks sent in separate writes, with a
// chunk extension and a trailer field (RFC 9112 §7.1), on one keep-alive
// connection.
TEST_F(FrontendHttpTest, ChunkedPostBodyIsReassembled) {
  RawConnection conn(daemon->port());
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (const auto& [cert, status] :
       {std::pair{pki.good(), kGood}, std::pair{pki.revoked(), kRevoked}}) {
    std::string der = der_for(cert);
    ASSERT_TRUE(conn.send(head));
    std::string body = chunked(der, 3);
    size_t first = body.find("\r\n");
    body.insert(first, ";name=value");  // a chunk extension on the first chunk
    body.erase(body.size() - 2);        // trailer section: one field, then the end
    body += "X-Trailer: yes\r\n\r\n";
    for (size_t at = 0; at < body.size(); at += 40) ASSERT_TRUE(conn.send(body.substr(at, 40)));
    expect_status(conn.read_response(), cert, status, "chunked " + cert.filename().string());
  }
}

TEST_F(FrontendHttpTest, ChunkedBodyOverMaxBodyIs413) {
  // Over server.max_body (1 KiB here) in chunks none of which is large
  // alone. All of it in one write that the daemon takes in one read: bytes
  // left unread when it closes would reset the connection and could destroy
  // the 413 before the client reads it.
  std::string body = der_for(pki.good()) + std::string(2000, 'A');
  RawConnection conn(daemon->port());
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                "Transfer-Encoding: chunked\r\n\r\n" +
                chunked(body, 4)));
  auto r = conn.read_response();
  EXPECT_EQ(r.status, 413) << r.error << r.raw.substr(0, 300);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(conn.wait_closed(5s).closed);
  // A body at the limit is fine.
  RawConnection ok(daemon->port());
  ASSERT_TRUE(
      ok.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
              "Transfer-Encoding: chunked\r\n\r\n" +
              chunked(der_for(pki.good()), 4)));
  expect_status(ok.read_response(), pki.good(), kGood, "small chunked body");
}

// Expect: 100-continue (RFC 9110 §10.1.1): the client waits for 100 Continue
// before sending the body, then gets the answer; with the body sent at once
// (as curl does after its wait) it gets 100 then the answer.
TEST_F(FrontendHttpTest, ExpectContinueGets100ThenTheAnswer) {
  RawConnection conn(daemon->port());
  std::string der = der_for(pki.revoked());
  ASSERT_TRUE(
      conn.send("POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                "Content-Length: " +
                std::to_string(der.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = conn.read_response();
  ASSERT_EQ(interim.status, 100) << interim.error << interim.raw;
  ASSERT_TRUE(conn.send(der));
  expect_status(conn.read_response(), pki.revoked(), kRevoked, "after 100");

  // Headers and body in one write, on the same connection; chunked this time.
  std::string good = der_for(pki.good());
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                "Transfer-Encoding: chunked\r\nexpect: 100-Continue\r\n\r\n" +
                chunked(good, 2)));
  // The 100 may be left out when the body is already there (RFC 9110 §10.1.1).
  auto second = conn.read_response();
  if (second.status == 100) second = conn.read_response();
  expect_status(second, pki.good(), kGood, "body sent at once");
}

// Content-Length over server.max_body: 413 and close, and the body is never
// read as HTTP. Here the body is itself a complete GET request; a server
// that skipped the body instead of refusing it would answer that GET
// (request smuggling through the size limit).
TEST_F(FrontendHttpTest, BodyOverMaxBodyIs413AndNeverParsedAsARequest) {
  std::string smuggled = "GET " + get_path(pki.good()) + " HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  smuggled += std::string(1100 - smuggled.size() - 4, 'p') + "\r\n\r\n";  // 1100 > 1 KiB
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(post_request(smuggled)));  // one write, taken in one read
  auto r = conn.read_response();
  EXPECT_EQ(r.status, 413) << r.error << r.raw;
  auto end = conn.wait_closed(5s);
  EXPECT_TRUE(end.closed) << "connection kept open after an oversized body";
  EXPECT_TRUE(end.data.empty()) << "the body was answered as a request of its own:\n"
                                << end.data.substr(0, end.data.find("\r\n\r\n"));
}

// A client that does not wait for an answer (no Expect: 100-continue, as
// most do) is still sending its oversized body when the 413 goes out. Had
// the daemon closed at once, the bytes still arriving would make its
// kernel reset the connection, and the reset discards the 413 on the
// client's side before it is read. It lingers instead: the answer, a FIN,
// and what follows read and dropped until the client closes.
TEST_F(FrontendHttpTest, OversizedBodyStillBeingSentGetsThe413NotAReset) {
  RawConnection conn(daemon->port());
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                "Content-Length: 4000000\r\n\r\n"));
  const std::string piece(64 * 1024, 'A');
  size_t sent = 0;
  for (int i = 0; i < 20; ++i) {  // ~1.3 MB over ~1 s, long after the 413 was sent
    ASSERT_TRUE(conn.send(piece)) << "the daemon reset the connection after " << sent << " bytes";
    sent += piece.size();
    std::this_thread::sleep_for(50ms);
  }
  auto r = conn.read_response();
  EXPECT_EQ(r.status, 413) << r.error << r.raw.substr(0, 300);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(conn.wait_closed(2s).closed) << "the daemon's side of the connection was not closed";
  conn.close();
  // The lingering connection ends when the client closes, not at its 5 s cap.
  bool gone = false;
  for (int i = 0; i < 40 && !gone; ++i) {
    gone = metric_sum(metrics(), "ocspcache_connections_open") == 0;  // admin is apart
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(gone) << metrics();
}

// A body announced over server.max_body is refused before it is sent: the
// final 413 instead of 100 Continue (RFC 9110 §10.1.1 allows exactly that).
TEST_F(FrontendHttpTest, ExpectContinueWithTooLargeABodyGets413Not100) {
  RawConnection conn(daemon->port());
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = conn.read_response();
  EXPECT_EQ(r.status, 413) << r.error << r.raw;
  EXPECT_TRUE(conn.wait_closed(5s).closed);
}

// RFC 9110 §10.1.1: "A server that receives a 100-continue expectation in an
// HTTP/1.0 request MUST ignore that expectation." An HTTP/1.0 client knows
// no 1xx and would take a 100 for the answer.
TEST_F(FrontendHttpTest, ExpectContinueFromHttp10IsIgnored) {
  RawConnection conn(daemon->port());
  ASSERT_TRUE(
      conn.send(post_request(der_for(pki.revoked()), "Expect: 100-continue\r\n", "HTTP/1.0")));
  auto r = conn.read_response();
  EXPECT_NE(r.status, 100) << "100 Continue sent to an HTTP/1.0 client:\n" << r.raw;
  if (r.status == 100) r = conn.read_response();
  expect_status(r, pki.revoked(), kRevoked, "HTTP/1.0 POST with Expect");
}

// `openssl ocsp -cert good -cert revoked`: one request, two CertIDs. The
// client prints both statuses; the same request again is a cache hit and
// does not reach the responder.
TEST_F(FrontendHttpTest, RequestWithTwoCertIdsIsAnsweredAndCached) {
  auto ask_both = [&] {
    return run_command({"openssl", "ocsp", "-issuer", pki.intermediate().string(), "-cert",
                        pki.good().string(), "-cert", pki.revoked().string(), "-url", daemon->url(),
                        "-CAfile", pki.root().string(), "-no_nonce", "-timeout", "10"},
                       15s);
  };
  auto first = ask_both();
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find(pki.good().string() + ": good"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find(pki.revoked().string() + ": revoked"), std::string::npos) << first.out;
  EXPECT_NE(first.err.find("Response verify OK"), std::string::npos) << first.err;

  std::string before = metrics();
  size_t fetched = upstream->request_count();
  auto second = ask_both();
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find(pki.good().string() + ": good"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find(pki.revoked().string() + ": revoked"), std::string::npos) << second.out;
  std::string after = metrics();
  EXPECT_EQ(upstream->request_count(), fetched) << "the second request went upstream";
  EXPECT_EQ(metric_sum(after, "ocspcache_upstream_requests_total"),
            metric_sum(before, "ocspcache_upstream_requests_total"));
  EXPECT_EQ(metric_sum(after, "ocspcache_requests_total", {{"result", "hit"}}),
            metric_sum(before, "ocspcache_requests_total", {{"result", "hit"}}) + 1)
      << after;
}

// Header names are case-insensitive (RFC 9110 §5.1); a body framed by a
// lower-case content-length, values with extra whitespace.
TEST_F(FrontendHttpTest, LowerAndUpperCaseHeaderNames) {
  std::string der = der_for(pki.good());
  RawConnection conn(daemon->port());
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/ocsp-request\r\n"
                "content-length: " +
                std::to_string(der.size()) + "\r\n\r\n" + der));
  expect_status(conn.read_response(), pki.good(), kGood, "lower-case");
  ASSERT_TRUE(
      conn.send("POST / HTTP/1.1\r\nHOST: x\r\nCONTENT-TYPE: application/ocsp-request\r\n"
                "CONTENT-LENGTH:   " +
                std::to_string(der.size()) + "  \r\n\r\n" + der));
  expect_status(conn.read_response(), pki.good(), kGood, "upper-case, padded value");
}

// If-None-Match (RFC 9110 §13.1.2): a list, weak tags (weak comparison),
// "*", the field repeated, any case; no match among them means 200.
TEST_F(FrontendHttpTest, IfNoneMatchListsWeakTagsAndStar) {
  std::string path = get_path(pki.good());
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(get_request(path)));
  auto first = conn.read_response();
  expect_status(first, pki.good(), kGood, "first");
  std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());

  struct Case {
    std::string headers;
    int status;
  } cases[] = {
      {"If-None-Match: " + etag + "\r\n", 304},
      {"if-none-match: W/" + etag + "\r\n", 304},
      {"If-None-Match: \"other\", W/\"x\",  " + etag + " \r\n", 304},
      {"If-None-Match: \"other\",W/" + etag + "\r\n", 304},
      {"If-None-Match: *\r\n", 304},
      {"If-None-Match: \"other\"\r\nIF-NONE-MATCH: " + etag + "\r\n", 304},
      {"If-None-Match: \"other\", W/\"x\"\r\n", 200},
      // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
      {"If-None-Match: \"other\"\r\nIf-Modified-Since: " + first.header("last-modified") + "\r\n",
       200},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(conn.send(get_request(path, c.headers)));
    auto r = conn.read_response();
    EXPECT_EQ(r.status, c.status) << c.headers << r.error << r.raw;
    if (c.status == 304) {
      EXPECT_TRUE(r.body.empty()) << c.headers;
      EXPECT_EQ(r.header("etag"), etag) << c.headers;
    } else {
      expect_status(r, pki.good(), kGood, c.headers);
    }
  }
}

// RFC 9110 §13.1.3: If-Modified-Since is ignored on POST, and §13.1.2: a
// matching If-None-Match on a POST is not a 304. A POST gets the answer.
TEST_F(FrontendHttpTest, ConditionalHeadersOnPostAreIgnored) {
  RawConnection conn(daemon->port());
  ASSERT_TRUE(conn.send(get_request(get_path(pki.good()))));
  auto first = conn.read_response();
  expect_status(first, pki.good(), kGood, "first");
  const std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  const std::string der = make_request_der(pki.good(), pki.intermediate());
  for (const std::string& headers :
       {"If-None-Match: " + etag + "\r\n", std::string("If-None-Match: *\r\n"),
        "If-Modified-Since: " + first.header("last-modified") + "\r\n",
        "If-None-Match: " + etag + "\r\nIf-Modified-Since: " + first.header("last-modified") + "\r\n"}) {
    ASSERT_TRUE(conn.send(post_request(der, headers)));
    auto r = conn.read_response();
    EXPECT_EQ(r.status, 200) << headers << r.raw;
    expect_status(r, pki.good(), kGood, headers);
  }
}

// RFC 9112 §3.2.2: "A server MUST accept the absolute-form in requests",
// and a query string is part of the target, not of the base64.
TEST_F(FrontendHttpTest, AbsoluteFormTargetsAndQueries) {
  std::string authority = "http://127.0.0.1:" + std::to_string(daemon->port());
  RawConnection conn(daemon->port());
  struct Case {
    std::string request;
    std::filesystem::path cert;
    int status;
  } cases[] = {
      {get_request(authority + get_path(pki.good())), pki.good(), kGood},
      {get_request(authority + get_path(pki.revoked(), "/ocsp/")), pki.revoked(), kRevoked},
      {get_request(authority + "/" + base64(der_for(pki.unknown()))), pki.unknown(), kUnknown},
      {get_request("HTTP://127.0.0.1" + get_path(pki.good())), pki.good(), kGood},
      {post_request(der_for(pki.revoked()), "", "HTTP/1.1", authority + "/"), pki.revoked(),
       kRevoked},
      {post_request(der_for(pki.good()), "", "HTTP/1.1", authority), pki.good(), kGood},
      {get_request(get_path(pki.good()) + "?source=test&x=/y"), pki.good(), kGood},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(conn.send(c.request));
    std::string line = c.request.substr(0, c.request.find("\r\n"));
    expect_status(conn.read_response(), c.cert, c.status, line);
  }
}

}  // namespace
}  // namespace ocspcache::it
