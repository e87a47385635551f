#include "ocspcache/upstream/responder.h"

#include <gtest/gtest.h>

#include "ocspcache/upstream/responder_set.h"

namespace ocspcache {
namespace {

HttpUrl url(const char* text) { return *parse_http_url(text); }

TEST(Responder, ErrorRateOverTheLastExchanges) {
  Responder r(url("http://u/"));
  for (size_t i = 0; i < Responder::kWindow; ++i) r.record("CA", UpstreamOutcome::kTimeout, "x", 1, 0);
  for (size_t i = 0; i < Responder::kWindow / 2; ++i) r.record("CA", UpstreamOutcome::kGood, {}, 2, 0);
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
  r.record("A", UpstreamOutcome::kGood, {}, 1, 0);
  r.record("B", UpstreamOutcome::kTimeout, "timeout", 2, 0);
  r.record("A", UpstreamOutcome::kGood, {}, 3, 0);
  EXPECT_EQ(r.health().issuers, (std::vector<std::string>{"A", "B"}));
}

TEST(ResponderSet, OneObjectPerUrlAndNoRowBeforeTheFirstExchange) {
  ResponderSet set;
  auto a = set.get(url("http://a/"));
  EXPECT_EQ(set.get(url("http://a/")), a) << "shared by every route naming it, kept across reloads";
  auto b = set.get(url("http://b:8080/ocsp"));
  EXPECT_EQ(b->url().port, 8080);
  EXPECT_TRUE(set.health().empty()) << "nothing known before an exchange";
  b->record("CA", UpstreamOutcome::kTimeout, "timeout", 5, 0);
  a->record("CA", UpstreamOutcome::kGood, {}, 6, 0);
  const auto rows = set.health();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].url, "http://a/");
  EXPECT_TRUE(rows[0].up);
  EXPECT_EQ(rows[1].url, "http://b:8080/ocsp");
  EXPECT_FALSE(rows[1].up);
}

TEST(Responder, RefusalsDoNotOpenTheBreakerButUnavailabilityDoes) {
  BreakerPolicy policy;
  policy.failures = 3;
  policy.jitter = 0;
  Responder r(url("http://a/"), policy);
  // A responder that refuses requests (unauthorized, malformedRequest) is
  // down for those requests but alive: a client asking about serials the
  // CA does not know must not open the breaker for everyone.
  for (int i = 0; i < 10; ++i) {
    r.record("CA", i % 2 ? UpstreamOutcome::kUnauthorized : UpstreamOutcome::kMalformed, "no", 1, 0);
  }
  EXPECT_FALSE(r.health().up);
  EXPECT_EQ(r.health().breaker, BreakerState::kClosed);
  EXPECT_TRUE(r.admit(0));
  for (auto o : {UpstreamOutcome::kTimeout, UpstreamOutcome::kTryLater, UpstreamOutcome::kInvalid}) {
    r.record("CA", o, "bad", 1, 100);
  }
  EXPECT_EQ(r.health().breaker, BreakerState::kOpen);
  EXPECT_EQ(r.health().consecutive_failures, 3u);
  EXPECT_FALSE(r.admit(100));
}

TEST(ResponderSet, TheBreakerPolicyReachesPresentAndFutureResponders) {
  ResponderSet set;
  auto a = set.get(url("http://a/"));
  BreakerPolicy policy;
  policy.failures = 1;
  policy.jitter = 0;
  set.set_breaker_policy(policy);
  auto b = set.get(url("http://b/"));
  for (auto& r : {a, b}) {
    r->record("CA", UpstreamOutcome::kConnectError, "down", 1, 0);
    EXPECT_FALSE(r->admit(1)) << r->url().original;
  }
  policy.failures = 0;  // SIGHUP turning breakers off closes open ones
  set.set_breaker_policy(policy);
  EXPECT_TRUE(a->admit(2));
  EXPECT_TRUE(b->admit(2));
}

}  // namespace
}  // namespace ocspcache

namespace ocspcache {
namespace {

// Forward-proxy mode: clients name the responders, so the set must not grow
// with them; one a fetch still holds is never forgotten under it.
TEST(ResponderSet, ForwardedRespondersAreBoundedLeastRecentlyUsedFirst) {
  ResponderSet set;
  auto configured = set.get(*parse_http_url("http://configured/"));
  auto a = set.get_forwarded(*parse_http_url("http://a/"), 2);
  auto b = set.get_forwarded(*parse_http_url("http://b/"), 2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(set.get_forwarded(*parse_http_url("http://configured/"), 2), configured)
      << "a configured URL keeps its object and does not count";
  EXPECT_EQ(set.forwarded_count(), 2u);
  EXPECT_EQ(set.get_forwarded(*parse_http_url("http://c/"), 2), nullptr)
      << "both held by fetches: no room, and nobody's state is dropped";
  const Responder* a_raw = a.get();
  a.reset();
  b.reset();
  EXPECT_EQ(set.get_forwarded(*parse_http_url("http://a/"), 2).get(), a_raw);  // a is now recent
  auto c = set.get_forwarded(*parse_http_url("http://c/"), 2);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(set.forwarded_count(), 2u);
  EXPECT_EQ(set.get_forwarded(*parse_http_url("http://a/"), 2).get(), a_raw) << "b went, not a";
}

}  // namespace
}  // namespace ocspcache
