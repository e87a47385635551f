#include "ocspcache/http/response_writer.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "ocspcache/util/http_date.h"

namespace ocspcache {
namespace {

const CachedResponse& sample() {
  static const EntryPtr e = [] {
    const uint8_t der[] = {0x30, 0x03, 0x0a, 0x01, 0x00};
    CachedResponse::Facts f;
    f.this_update = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
    f.next_update = 784111777 + 7200;
    // ETag = first 8 bytes of SHA-256 of these DER bytes, as a little-endian
    // integer in hex: 42260e3e6f964742.
    return CachedResponse::make(ocsp::CacheKey{}, der, f);
  }();
  return *e;
}

std::string s(const std::vector<char>& v) { return std::string(v.begin(), v.end()); }

TEST(HttpDate, FormatsAndParsesImfFixdate) {
  char buf[kHttpDateLen];
  format_http_date(784111777, buf);
  EXPECT_EQ(std::string(buf, kHttpDateLen), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_FALSE(parse_http_date("yesterday"));
}

TEST(ResponseWriter, HitCarriesRfc5019Headers) {
  std::vector<char> out;
  ReplyContext ctx{784111777 + 3600, 86400, true, false, false};
  append_ocsp_hit(out, sample(), ctx);
  const std::string r = s(out);
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(r.find("Content-Type: application/ocsp-response\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(r.find("Cache-Control: max-age=3600, public, no-transform, must-revalidate\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), std::string::npos);
  EXPECT_NE(r.find("Expires: Sun, 06 Nov 1994 10:49:37 GMT\r\n"), std::string::npos);
  EXPECT_NE(r.find("ETag: \"42260e3e6f964742\"\r\n"), std::string::npos);
  EXPECT_EQ(r.find("Connection:"), std::string::npos);  // HTTP/1.1 keep-alive is the default
  EXPECT_EQ(r.substr(r.size() - 9), std::string("\r\n\r\n\x30\x03\x0a\x01\x00", 9));
}

TEST(ResponseWriter, MaxAgeIsCappedAndNeverNegative) {
  std::vector<char> out;
  append_ocsp_hit(out, sample(), ReplyContext{784111777, 600, true, false, false});
  EXPECT_NE(s(out).find("max-age=600,"), std::string::npos);
  out.clear();
  append_ocsp_hit(out, sample(), ReplyContext{784111777 + 9000, 600, true, false, false});
  EXPECT_NE(s(out).find("max-age=0,"), std::string::npos);
}

TEST(ResponseWriter, Http10KeepAliveAndCloseAreExplicit) {
  std::vector<char> out;
  append_ocsp_hit(out, sample(), ReplyContext{784111777, 600, true, true, false});
  EXPECT_NE(s(out).find("Connection: keep-alive\r\n"), std::string::npos);
  out.clear();
  append_ocsp_hit(out, sample(), ReplyContext{784111777, 600, false, false, false});
  EXPECT_NE(s(out).find("Connection: close\r\n"), std::string::npos);
}

TEST(ResponseWriter, HeadHasHeadersButNoBody) {
  std::vector<char> out;
  append_ocsp_hit(out, sample(), ReplyContext{784111777, 600, true, false, true});
  const std::string r = s(out);
  EXPECT_NE(r.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
}

TEST(ResponseWriter, ErrorAnswersAreOcspResponsesNotCacheable) {
  std::vector<char> out;
  append_ocsp_error(out, ocsp::ResponseCode::kTryLater, ReplyContext{1, 60, true, false, false});
  const std::string r = s(out);
  EXPECT_NE(r.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 5), std::string("\x30\x03\x0a\x01\x03", 5));
}

TEST(ResponseWriter, EtagMatching) {
  const CachedResponse& e = sample();
  EXPECT_TRUE(etag_matches("\"42260e3e6f964742\"", e));
  EXPECT_TRUE(etag_matches("W/\"42260e3e6f964742\"", e));
  EXPECT_TRUE(etag_matches("\"x\", \"42260e3e6f964742\"", e));
  EXPECT_TRUE(etag_matches("*", e));
  EXPECT_FALSE(etag_matches("\"42260e3e6f964743\"", e));
  EXPECT_FALSE(etag_matches("42260e3e6f964742", e));
  EXPECT_FALSE(etag_matches("", e));
}

TEST(ResponseWriter, ConditionalRequestDecision) {
  const CachedResponse& e = sample();  // thisUpdate Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_FALSE(not_modified("", "", e));
  EXPECT_TRUE(not_modified("", "Sun, 06 Nov 1994 08:49:37 GMT", e));   // equal
  EXPECT_TRUE(not_modified("", "Mon, 07 Nov 1994 00:00:00 GMT", e));   // later
  EXPECT_FALSE(not_modified("", "Sun, 06 Nov 1994 08:49:36 GMT", e));  // a second earlier
  EXPECT_FALSE(not_modified("", "not a date", e));
  EXPECT_FALSE(not_modified("", std::string(80, 'x'), e));  // longer than any date
  // RFC 9110 §13.2.2: If-None-Match decides when present.
  EXPECT_FALSE(not_modified("\"other\"", "Mon, 07 Nov 1994 00:00:00 GMT", e));
  EXPECT_TRUE(not_modified("\"42260e3e6f964742\"", "Sun, 06 Nov 1994 08:49:36 GMT", e));
}

TEST(ResponseWriter, NotModifiedHasValidatorsAndNoBody) {
  std::vector<char> out;
  append_not_modified(out, sample(), ReplyContext{784111777, 600, true, false, false});
  const std::string r = s(out);
  EXPECT_EQ(r.rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0u);
  EXPECT_NE(r.find("ETag: \"42260e3e6f964742\"\r\n"), std::string::npos);
  EXPECT_EQ(r.find("Content-Length"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace ocspcache

namespace ocspcache {
namespace {

TEST(HttpDate, AgreesWithGmtimeOverFourCenturies) {
  for (int64_t t = -2208988800; t < 32503680000; t += 86400 * 37 + 3671) {  // 1900..3000
    char got[kHttpDateLen];
    format_http_date(t, got);
    const time_t tt = static_cast<time_t>(t);
    tm g{};
    gmtime_r(&tt, &g);
    char want[64];
    strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &g);
    ASSERT_EQ(std::string(got, kHttpDateLen), std::string(want)) << t;
  }
}

}  // namespace
}  // namespace ocspcache
