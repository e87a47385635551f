// decode_get_target with the spellings real clients use (RFC 5019 §5 and
// DESIGN.md's field notes on nginx).
#include <gtest/gtest.h>

#include <string>

#include "ocspcache/util/base64.h"
#include "ocspcache/ocsp/request.h"
#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::pki;

std::string url_escape_all(const std::string& b64, bool lower = false) {
  std::string out;
  for (char c : b64) {
    if (c == '+')
      out += lower ? "%2b" : "%2B";
    else if (c == '/')
      out += lower ? "%2f" : "%2F";
    else if (c == '=')
      out += lower ? "%3d" : "%3D";
    else
      out += c;
  }
  return out;
}

// A request whose base64 has at least one '/' and some padding, so the
// tests exercise both; the serial is varied until that holds.
struct Fixture {
  std::vector<uint8_t> der;
  std::string b64;
};
const Fixture& fixture() {
  static const Fixture f = [] {
    for (int nonce = 0;; ++nonce) {
      Fixture x;
      x.der = testpki::make_request({{pki().leaf.get(), pki().ca.get()}}, true);
      x.b64 = base64::encode(x.der);
      if (x.b64.find('/') != std::string::npos && x.b64.back() == '=' &&
          x.b64.find('+') != std::string::npos)
        return x;
      if (nonce > 10000) throw std::runtime_error("no suitable nonce");
    }
  }();
  return f;
}

Result<size_t, RequestError> decode(std::string_view target, std::vector<uint8_t>& out) {
  out.assign(kMaxRequestDer, 0);
  auto r = decode_get_target(target, out);
  if (r.ok()) out.resize(*r);
  return r;
}

void expect_decodes(const std::string& target) {
  std::vector<uint8_t> out;
  auto r = decode(target, out);
  ASSERT_TRUE(r.ok()) << target << ": " << to_string(r.error());
  EXPECT_EQ(out, fixture().der) << target;
}

TEST(OcspGetTarget, RawBase64WithAndWithoutPrefix) {
  expect_decodes("/" + fixture().b64);
  expect_decodes("/ocsp/" + fixture().b64);
  expect_decodes("/a/b/c/" + fixture().b64);
}

TEST(OcspGetTarget, NginxStyleFullyEscaped) {
  expect_decodes("/ocsp/" + url_escape_all(fixture().b64));
  expect_decodes("/" + url_escape_all(fixture().b64, true));
  // Even the prefix separators escaped.
  expect_decodes("%2Focsp%2F" + url_escape_all(fixture().b64));
}

TEST(OcspGetTarget, SlashInsideBase64IsNotASeparator) {
  ASSERT_NE(fixture().b64.find('/'), std::string::npos);
  expect_decodes("/x/" + fixture().b64);
}

TEST(OcspGetTarget, MissingPaddingBase64UrlSpacesAndQuery) {
  std::string b = fixture().b64;
  while (b.back() == '=') b.pop_back();
  expect_decodes("/ocsp/" + b);
  std::string url = b;
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  expect_decodes("/" + url);
  std::string spaced = fixture().b64;
  for (char& c : spaced) c = c == '+' ? ' ' : c;
  expect_decodes("/" + spaced);
  std::string pct20 = url_escape_all(fixture().b64);
  for (size_t p; (p = pct20.find("%2B")) != std::string::npos;) pct20.replace(p, 3, "%20");
  expect_decodes("/" + pct20);
  expect_decodes("/ocsp/" + fixture().b64 + "?cache=no&x=/y");
}

TEST(OcspGetTarget, GarbageAndEmpty) {
  std::vector<uint8_t> out;
  EXPECT_EQ(decode("", out).error(), RequestError::kEmpty);
  EXPECT_EQ(decode("/", out).error(), RequestError::kEmpty);
  EXPECT_EQ(decode("/?x", out).error(), RequestError::kEmpty);
  EXPECT_EQ(decode("/ocsp/", out).error(), RequestError::kBadGetPath);
  EXPECT_EQ(decode("/index.html", out).error(), RequestError::kBadGetPath);
  EXPECT_EQ(decode("/%zz" + fixture().b64, out).error(), RequestError::kBadGetPath);
  EXPECT_EQ(decode("/" + fixture().b64 + "%", out).error(), RequestError::kBadGetPath);
  EXPECT_EQ(decode("/" + fixture().b64 + "===", out).error(), RequestError::kBadGetPath);
  // Valid base64 of something that is not an OCSPRequest.
  EXPECT_EQ(decode("/MAA=", out).error(), RequestError::kBadGetPath);
  // One character missing: the announced length no longer fits.
  EXPECT_EQ(decode("/" + fixture().b64.substr(1), out).error(), RequestError::kBadGetPath);
  EXPECT_EQ(decode("/" + std::string(5000, '/'), out).error(), RequestError::kEmpty);
  EXPECT_EQ(decode(std::string(3000, '/') + "MA", out).error(), RequestError::kBadGetPath);
}

TEST(OcspGetTarget, Oversized) {
  std::vector<uint8_t> out;
  EXPECT_EQ(decode("/" + std::string(100'000, 'A'), out).error(), RequestError::kTooLarge);
  // Announces 20000 bytes: more than kMaxRequestDer.
  std::vector<uint8_t> big(20'000, 0);
  big[0] = 0x30;
  big[1] = 0x82;
  big[2] = static_cast<uint8_t>((20'000 - 4) >> 8);
  big[3] = static_cast<uint8_t>((20'000 - 4) & 0xFF);
  EXPECT_EQ(decode("/" + base64::encode(big), out).error(), RequestError::kTooLarge);
  // A valid request that does not fit the caller's buffer.
  std::vector<uint8_t> small(fixture().der.size() - 1);
  auto r = decode_get_target("/" + fixture().b64, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), RequestError::kTooLarge);
}

TEST(Base64, RoundTripsEveryLength) {
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
    const std::string text = base64::encode(data);
    EXPECT_EQ(text.size() % 4, 0u);
    std::vector<uint8_t> back(n + 3);
    auto m = base64::decode(text, back);
    ASSERT_TRUE(m.has_value()) << text;
    back.resize(*m);
    EXPECT_EQ(back, data);
  }
  uint8_t buf[8];
  EXPECT_FALSE(base64::decode("A", buf).has_value());
  EXPECT_FALSE(base64::decode("AB=", buf).has_value());
  EXPECT_FALSE(base64::decode("A*BC", buf).has_value());
  EXPECT_EQ(base64::decode("-_-_", buf).value(), 3u);
  EXPECT_FALSE(base64::decode("AAAAAAAAAAAAAAAA", buf).has_value());  // 12 bytes > 8
}

}  // namespace
}  // namespace ocspcache::ocsp

namespace ocspcache::ocsp {
namespace {

// Forward-proxy mode sends a GET's request to the path before the base64.
TEST(OcspGetTarget, ReportsWhereTheBase64Starts) {
  std::vector<uint8_t> out(kMaxRequestDer);
  for (const std::string prefix : {"/", "/ocsp/", "http://h:81/a/b/"}) {
    size_t offset = 0;
    const std::string target = prefix + fixture().b64;
    auto r = decode_get_target(target, out, &offset);
    ASSERT_TRUE(r.ok()) << target;
    EXPECT_EQ(offset, prefix.size()) << target;
  }
}

}  // namespace
}  // namespace ocspcache::ocsp
