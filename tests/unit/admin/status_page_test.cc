// /status must be valid JSON whatever the strings in it (issuer names from
// the config, error texts from responders); checked with a strict RFC 8259
// validator rather than by eye.
#include "ocspcache/admin/status_page.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "ocspcache/util/json.h"
#include "ocspcache/cache/memory_store.h"

namespace ocspcache {
namespace {

// A strict recursive-descent JSON validator (RFC 8259), enough to tell
// valid from invalid; it builds nothing.
class JsonChecker {
 public:
  static bool valid(std::string_view s) {
    JsonChecker c(s);
    c.ws();
    if (!c.value()) return false;
    c.ws();
    return c.i_ == s.size();
  }

 private:
  explicit JsonChecker(std::string_view s) : s_(s) {}
  bool eof() const { return i_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[i_]; }
  void ws() {
    while (!eof() && (peek() == ' ' || peek() == '\n' || peek() == '\r' || peek() == '\t')) ++i_;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool value() {
    switch (peek()) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return lit("true");
      case 'f':
        return lit("false");
      case 'n':
        return lit("null");
      default:
        return number();
    }
  }
  bool object() {
    ++i_;
    ws();
    if (peek() == '}') return ++i_, true;
    for (;;) {
      ws();
      if (!string()) return false;
      ws();
      if (peek() != ':') return false;
      ++i_;
      ws();
      if (!value()) return false;
      ws();
      if (peek() == '}') return ++i_, true;
      if (peek() != ',') return false;
      ++i_;
    }
  }
  bool array() {
    ++i_;
    ws();
    if (peek() == ']') return ++i_, true;
    for (;;) {
      ws();
      if (!value()) return false;
      ws();
      if (peek() == ']') return ++i_, true;
      if (peek() != ',') return false;
      ++i_;
    }
  }
  bool string() {
    if (peek() != '"') return false;
    ++i_;
    while (!eof()) {
      const auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        const char e = peek();
        ++i_;
        if (e == 'u') {
          for (int k = 0; k < 4; ++k, ++i_) {
            if (!std::isxdigit(static_cast<unsigned char>(peek()))) return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool number() {
    const size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++i_;
    } else {
      return false;
    }
    if (peek() == '.') {
      ++i_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) return false;
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++i_;
    }
    return i_ > start;
  }

  std::string_view s_;
  size_t i_ = 0;
};

ResponderStatus responder(std::string url, std::string issuer, bool up, std::string error,
                          int64_t at, size_t exchanges, size_t errors) {
  ResponderStatus r;
  r.url = std::move(url);
  r.issuers = {std::move(issuer)};
  r.up = up;
  (up ? r.last_ok_at : r.last_error_at) = at;
  r.last_error = std::move(error);
  r.recent_exchanges = exchanges;
  r.recent_errors = errors;
  r.window = 100;
  return r;
}

TEST(StatusPage, CheckerRejectsWhatItShould) {
  EXPECT_TRUE(JsonChecker::valid(R"({"a":[1,-2.5,"x\n",true,null,{}]})"));
  EXPECT_FALSE(JsonChecker::valid(R"({"a":1,})"));
  EXPECT_FALSE(JsonChecker::valid("\"raw\ncontrol\""));
  EXPECT_FALSE(JsonChecker::valid(R"({"a" 1})"));
}

TEST(StatusPage, EscapesEverythingIntoValidJson) {
  std::string out;
  std::string hostile = "q\" b\\ nl\n tab\t nul";
  hostile += '\0';
  hostile += "\x01\x7f \xff \xc3\xa9";
  json::append_string(out, hostile);
  EXPECT_TRUE(JsonChecker::valid(out)) << out;
  EXPECT_NE(out.find("\\u0000"), std::string::npos) << out;
  EXPECT_NE(out.find("\\ufffd"), std::string::npos) << "invalid UTF-8 replaced: " << out;
  EXPECT_NE(out.find("\xc3\xa9"), std::string::npos) << "valid UTF-8 kept: " << out;
  std::string t;
  json::append_time(t, 0);
  EXPECT_EQ(t, "null");
  t.clear();
  json::append_time(t, 1'700'000'000);
  EXPECT_EQ(t, "\"2023-11-14T22:13:20Z\"");
}

TEST(StatusPage, DocumentIsValidJsonWithHostileStrings) {
  Metrics metrics;
  MemoryStore cache(1 << 20);
  metrics.set_store(&cache);
  const int64_t now = 1'700'000'000;
  EXPECT_TRUE(JsonChecker::valid(render_status_json(metrics, now)));

  ocsp::SingleStatus good{ocsp::CertStatus::kGood, now - 60, now + 3600, 0};
  ocsp::SingleStatus revoked{ocsp::CertStatus::kRevoked, now - 60, now + 3600, now - 7200};
  metrics.certs().answered("CA \"quoted\" \\ \n", "01AB", good, now, now);
  metrics.certs().answered("CA \"quoted\" \\ \n", "02", revoked, now, now);
  metrics.certs().exhausted("Other\tCA", "03", "http://r/: invalid (bad\x01 \xfe sig)", now);
  metrics.set_responder_source([now] {
    return std::vector<ResponderStatus>{
        responder("http://ok/", "CA", true, {}, now, 1, 0),
        responder("http://r/", "Other\tCA", false, "invalid (\"x\")", now, 1, 1)};
  });
  const std::string doc = render_status_json(metrics, now);
  EXPECT_TRUE(JsonChecker::valid(doc)) << doc;
  EXPECT_NE(doc.find(R"("status":"revoked")"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("status":"unavailable","metricValue":2)"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("revokedAt":"2023-11-14T20:13:20Z")"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("errorRate":1.000)"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("up":true)"), std::string::npos) << doc;
}

TEST(StatusPage, ReadyzIs503OnlyWhenItCannotServe) {
  std::vector<ResponderStatus> rows;
  EXPECT_EQ(readyz(false, false, rows).code, 503);
  EXPECT_EQ(readyz(true, true, rows).code, 503);
  EXPECT_EQ(readyz(true, false, rows).body, "ready\n");
  rows.push_back(responder("http://down/", "CA", false, "timeout (timeout)", 1, 1, 1));
  auto r = readyz(true, false, rows);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.body, "ready (degraded: responder http://down/ down (timeout (timeout)))\n");
}

}  // namespace
}  // namespace ocspcache
