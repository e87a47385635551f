// The fetcher against a fake client: responders asked in order until one
// answer validates, every attempt reported with its outcome, responders'
// health recorded, open breakers passed over, the overall deadline kept.
// No sockets, no sleeps: a reply arrives when the test delivers it, and
// time moves when the test moves the ManualClock.
#include "ocspcache/upstream/fetcher.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "fake_upstream.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/upstream/responder_set.h"
#include "ocspcache/upstream/route_table.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testing::FakeUpstreamClient;
using testpki::pki;

testpki::SignSpec by_ca() { return {pki().ca.get(), pki().ca_key.get(), {}, 0}; }

std::shared_ptr<const ocsp::IssuerRegistry> registry(std::vector<std::string> urls) {
  std::vector<HttpUrl> responders;
  for (const auto& u : urls) responders.push_back(*parse_http_url(u));
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()), std::move(responders));
  return std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers));
}

class FetcherTest : public ::testing::Test {
 protected:
  FetcherTest() {
    routes = std::make_shared<const RouteTable>(registry({"http://r1/", "http://r2:8080/ocsp"}),
                                                responders);
    request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  }

  // Starts a fetch for the leaf; the result lands in `result`.
  void fetch(std::vector<uint8_t> der = {}) {
    auto decoded = ocsp::decode_request(request);
    ASSERT_TRUE(decoded.ok());
    const Route* route = routes->find(*decoded);
    ASSERT_NE(route, nullptr);
    FetchRequest r{ocsp::make_cache_key(*decoded),
                   der.empty() ? ocsp::build_upstream_request(*decoded) : std::move(der), routes,
                   route};
    fetcher->fetch(std::move(r), [this](FetchResult res) {
      ++done_calls;
      result = std::move(res);
    });
  }

  std::vector<uint8_t> good_answer() const {
    return testpki::make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}}, by_ca());
  }

  ManualClock clock{testpki::now()};
  FakeUpstreamClient client;
  ResponderSet responders;
  std::shared_ptr<const RouteTable> routes;
  // Rebuilt by tests that need other options.
  void use(FetcherOptions options) { fetcher = std::make_unique<Fetcher>(client, clock, options); }
  std::unique_ptr<Fetcher> fetcher = std::make_unique<Fetcher>(client, clock, FetcherOptions{});
  std::vector<uint8_t> request;
  std::optional<FetchResult> result;
  int done_calls = 0;
};

TEST_F(FetcherTest, TheFirstValidAnswerEndsItAndNobodyElseIsAsked) {
  fetch();
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(client.calls[0].url.original, "http://r1/");
  EXPECT_FALSE(result) << "nothing before the responder answers";
  const auto body = good_answer();
  client.answer(0, FakeUpstreamClient::ok(body));
  ASSERT_TRUE(result);
  EXPECT_EQ(done_calls, 1);
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->der, body);
  ASSERT_EQ(result->answer.singles.size(), 1u);
  EXPECT_EQ(result->answer.singles[0].status, ocsp::CertStatus::kGood);
  ASSERT_EQ(result->attempts.size(), 1u);
  EXPECT_EQ(result->attempts[0].outcome, UpstreamOutcome::kGood);
  EXPECT_EQ(result->attempts[0].responder, "http://r1/");
  EXPECT_TRUE(result->attempts[0].error.empty());
  EXPECT_EQ(result->last_error(), "");
  EXPECT_EQ(client.calls.size(), 1u);
  auto health = responders.health();
  ASSERT_EQ(health.size(), 1u) << "r2 was never asked: no row";
  EXPECT_TRUE(health[0].up);
}

TEST_F(FetcherTest, FailsOverInOrderAndRemembersWhy) {
  fetch();
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_EQ(client.calls.size(), 2u) << "the next responder, once the first timed out";
  EXPECT_EQ(client.calls[1].url.original, "http://r2:8080/ocsp");
  EXPECT_EQ(client.calls[1].body, client.calls[0].body) << "the same request";
  EXPECT_FALSE(result);
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->ok());
  ASSERT_EQ(result->attempts.size(), 2u);
  EXPECT_EQ(result->attempts[0].outcome, UpstreamOutcome::kTimeout);
  EXPECT_EQ(result->attempts[0].error, "timeout (timeout)");
  EXPECT_EQ(result->attempts[1].outcome, UpstreamOutcome::kGood);
  EXPECT_EQ(result->last_error(), "http://r1/: timeout (timeout)");
  auto health = responders.health();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_FALSE(health[0].up);
  EXPECT_EQ(health[0].last_error, "timeout (timeout)");
  EXPECT_EQ(health[0].last_error_at, clock.unix_seconds());
  EXPECT_TRUE(health[1].up);
}

TEST_F(FetcherTest, EveryResponderFailingEndsWithTryLaterAndEachAttempt) {
  fetch();
  client.answer(0, FakeUpstreamClient::ok({}, 500));
  client.answer(1, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  ASSERT_TRUE(result);
  EXPECT_EQ(done_calls, 1);
  EXPECT_FALSE(result->ok());
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
  ASSERT_EQ(result->attempts.size(), 2u);
  EXPECT_EQ(result->attempts[0].outcome, UpstreamOutcome::kHttpError);
  EXPECT_EQ(result->attempts[0].error, "http_error (HTTP 500)");
  EXPECT_EQ(result->attempts[1].outcome, UpstreamOutcome::kConnectError);
  EXPECT_EQ(result->last_error(),
            "http://r2:8080/ocsp: connect_error (connect failed or closed before an answer)");
  EXPECT_EQ(client.calls.size(), 2u) << "each responder once";
}

TEST_F(FetcherTest, AnInvalidAnswerIsNeverTheResult) {
  fetch();
  // Signed by a CA that is not the issuer: well-formed, but not acceptable.
  const auto forged = testpki::make_response(
      {{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
      {pki().other_ca.get(), pki().other_ca_key.get(), {}, 0});
  client.answer(0, FakeUpstreamClient::ok(forged));
  ASSERT_FALSE(result) << "the next responder is asked instead";
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ(result->attempts[0].outcome, UpstreamOutcome::kInvalid);
  EXPECT_NE(result->der, forged);
}

TEST_F(FetcherTest, ARequestThatCannotBeSentEndsAtOnceWithoutAsking) {
  fetch({0x30, 0x00});
  EXPECT_TRUE(client.calls.empty());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
  EXPECT_TRUE(result->attempts.empty());
}

TEST_F(FetcherTest, EachExchangeGetsTheTimeoutOrWhatIsLeftOfTheDeadline) {
  use({.timeout = Millis{2000}, .deadline = Millis{3000}});
  fetch();
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(client.calls[0].timeout, Millis{2000}) << "upstream.timeout: the deadline is further";
  clock.advance_ms(2000);  // the first responder used its whole timeout
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_EQ(client.calls.size(), 2u);
  EXPECT_EQ(client.calls[1].timeout, Millis{1000}) << "only what is left of upstream.deadline";
  clock.advance_ms(1000);
  client.answer(1, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
}

TEST_F(FetcherTest, NoResponderIsAskedOnceTheDeadlineHasPassed) {
  use({.timeout = Millis{3000}, .deadline = Millis{1000}});
  fetch();
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(client.calls[0].timeout, Millis{1000});
  clock.advance_ms(1000);
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_TRUE(result) << "ended at the deadline, with r2 still unasked";
  EXPECT_EQ(client.calls.size(), 1u);
  EXPECT_TRUE(result->deadline_passed);
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
  EXPECT_EQ(result->last_error(), "http://r1/: timeout (timeout)");
}

TEST_F(FetcherTest, NoFailoverWithTooLittleOfTheDeadlineLeft) {
  use({.timeout = Millis{3000}, .deadline = Millis{1000}});
  fetch();
  clock.advance_ms(960);  // the client's timer fired a little early
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_TRUE(result) << "40 ms left: not worth asking r2";
  EXPECT_EQ(client.calls.size(), 1u);
  EXPECT_TRUE(result->deadline_passed);
}

TEST_F(FetcherTest, AnOpenBreakerCostsNothingAndItsProbeComesAfterTheBackoff) {
  BreakerPolicy policy;
  policy.failures = 2;
  policy.backoff = Millis{10'000};
  policy.jitter = 0;
  responders.set_breaker_policy(policy);
  // Two fetches in which r1 fails open its breaker; r2 answers both.
  for (int i = 0; i < 2; ++i) {
    fetch();
    client.answer(client.calls.size() - 1, FakeUpstreamClient::failed(TransportStatus::kConnectError));
    client.answer(client.calls.size() - 1, FakeUpstreamClient::ok(good_answer()));
    ASSERT_TRUE(result && result->ok());
  }
  const size_t asked = client.calls.size();
  // While it is open, r1 is passed over: the first request goes to r2.
  fetch();
  ASSERT_EQ(client.calls.size(), asked + 1);
  EXPECT_EQ(client.calls.back().url.original, "http://r2:8080/ocsp");
  client.answer(asked, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ(result->skipped, std::vector<std::string>{"http://r1/"});
  EXPECT_TRUE(result->attempts.size() == 1 && result->attempts[0].responder == "http://r2:8080/ocsp");
  auto health = responders.health();
  ASSERT_EQ(health.size(), 2u);
  EXPECT_EQ(health[0].breaker, BreakerState::kOpen);
  EXPECT_EQ(health[0].consecutive_failures, 2u);
  // After the back-off, one fetch probes r1; its success closes the breaker.
  clock.advance_ms(10'000);
  fetch();
  ASSERT_EQ(client.calls.back().url.original, "http://r1/");
  EXPECT_EQ(responders.health()[0].breaker, BreakerState::kHalfOpen);
  client.answer(client.calls.size() - 1, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ(responders.health()[0].breaker, BreakerState::kClosed);
}

TEST_F(FetcherTest, EveryBreakerOpenEndsAtOnceWithTryLaterAndNoRequest) {
  BreakerPolicy policy;
  policy.failures = 1;
  policy.jitter = 0;
  responders.set_breaker_policy(policy);
  fetch();
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  client.answer(1, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  ASSERT_TRUE(result && !result->ok());
  result.reset();
  fetch();
  EXPECT_EQ(client.calls.size(), 2u) << "nobody asked";
  ASSERT_TRUE(result) << "answered inside fetch(): no waiting";
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
  EXPECT_TRUE(result->attempts.empty());
  EXPECT_EQ(result->skipped.size(), 2u);
  EXPECT_EQ(result->last_error(), "http://r2:8080/ocsp: breaker open");
}

}  // namespace
}  // namespace ocspcache
