#include "ocspcache/upstream/responder.h"

#include <gtest/gtest.h>

#include "ocspcache/upstream/responder_set.h"

namespace ocspcache {
namespace {

HttpUrl url(const char* text) { return *parse_http_url(text); }

TEST(Responder, ErrorRateOverTheLastExchanges) {
  Responder r(url("http://u/"));
  for (size_t i = 0; i < Responder::kWindow; ++i) r.record("CA", false, "x", 1);
  for (size_t i = 0; i < Responder::kWindow / 2; ++i) r.record("CA", true, {}, 2);
  const Responder::Health h = r.health();
  EXPECT_TRUE(h.up);
  EXPECT_EQ(h.url, "http://u/");
  EXPECT_EQ(h.recent_exchanges, Responder::kWindow);
  EXPECT_EQ(h.recent_errors, Responder::kWindow / 2);
  EXPECT_EQ(h.last_error_at, 1);
  EXPECT_EQ(h.last_ok_at, 2);
  EXPECT_EQ(h.last_error, "x");
}

TEST(Responder, ListsEachIssuerItWasAskedForOnce) {
  Responder r(url("http://u/"));
  r.record("A", true, {}, 1);
  r.record("B", false, "timeout", 2);
  r.record("A", true, {}, 3);
  EXPECT_EQ(r.health().issuers, (std::vector<std::string>{"A", "B"}));
}

TEST(ResponderSet, OneObjectPerUrlAndNoRowBeforeTheFirstExchange) {
  ResponderSet set;
  auto a = set.get(url("http://a/"));
  EXPECT_EQ(set.get(url("http://a/")), a) << "shared by every route naming it, kept across reloads";
  auto b = set.get(url("http://b:8080/ocsp"));
  EXPECT_EQ(b->url().port, 8080);
  EXPECT_TRUE(set.health().empty()) << "nothing known before an exchange";
  b->record("CA", false, "timeout", 5);
  a->record("CA", true, {}, 6);
  const auto rows = set.health();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].url, "http://a/");
  EXPECT_TRUE(rows[0].up);
  EXPECT_EQ(rows[1].url, "http://b:8080/ocsp");
  EXPECT_FALSE(rows[1].up);
}

}  // namespace
}  // namespace ocspcache
