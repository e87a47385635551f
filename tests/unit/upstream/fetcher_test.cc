// The fetcher against a fake client: responders asked in order until one
// answer validates, every attempt reported with its outcome, responders'
// health recorded, open breakers passed over, the overall deadline kept.
// No sockets, no sleeps: a reply arrives when the test delivers it, and
// time moves when the test moves the ManualClock.
#include "ocspcache/upstream/fetcher.h"

#include <gtest/gtest.h>

#include <deque>

#include <memory>
#include <optional>
#include <vector>

#include "fake_upstream.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/upstream/fetch_gate.h"
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
  TimerQueue timers{clock};
  void use(FetcherOptions options) {
    fetcher = std::make_unique<Fetcher>(client, clock, timers, options);
  }
  // Moves time on and runs the timers then due (the upstream loop would).
  void advance(int64_t ms) {
    clock.advance_ms(ms);
    timers.run_due();
  }
  std::unique_ptr<Fetcher> fetcher =
      std::make_unique<Fetcher>(client, clock, timers, FetcherOptions{});
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

// A responder a client named in forward-proxy mode is asked with the
// public-only address policy (the client checks the address it connects
// to); a configured one is not.
TEST_F(FetcherTest, AForwardedResponderIsAskedForPublicAddressesOnly) {
  fetch();
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(client.calls[0].policy, AddressPolicy::kAny);
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  responders.get(*parse_http_url("http://r1/"))->set_forwarded(true);
  fetch();
  ASSERT_EQ(client.calls.size(), 2u);
  EXPECT_EQ(client.calls[1].policy, AddressPolicy::kPublicOnly);
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
  EXPECT_EQ(result->last_error(), "http://r2:8080/ocsp: breaker open or Retry-After");
}


// --- Bounded fan-out: the gate's limits, queue and rate -------------------

TEST_F(FetcherTest, BeyondTheResponderLimitFetchesQueueAndStartAsSlotsFree) {
  use({.limits = {.per_responder = 2, .total = 100, .queue = 10}});
  std::vector<std::optional<FetchResult>> results(5);
  for (size_t i = 0; i < 5; ++i) {
    auto decoded = ocsp::decode_request(request);
    const Route* route = routes->find(*decoded);
    fetcher->fetch({ocsp::make_cache_key(*decoded), ocsp::build_upstream_request(*decoded), routes,
                    route},
                   [&results, i](FetchResult r) { results[i] = std::move(r); });
  }
  ASSERT_EQ(client.calls.size(), 2u) << "two exchanges in flight at most";
  EXPECT_EQ(fetcher->gate().queued(), 3u);
  auto health = responders.health();
  ASSERT_EQ(health.size(), 1u) << "being asked: it has a row";
  EXPECT_EQ(health[0].in_flight, 2u);
  EXPECT_EQ(health[0].queued, 3u);
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(results[0] && results[0]->ok());
  ASSERT_EQ(client.calls.size(), 3u) << "the freed slot went to the oldest waiter";
  EXPECT_EQ(client.calls[2].url.original, "http://r1/") << "it waited for r1, its first responder";
  for (size_t i = 1; i < 5; ++i) {
    client.answer(i, FakeUpstreamClient::ok(good_answer()));
    if (i + 2 < 5) {
      ASSERT_EQ(client.calls.size(), i + 3);
    }
  }
  for (const auto& r : results) EXPECT_TRUE(r && r->ok());
  EXPECT_EQ(client.calls.size(), 5u);
  EXPECT_EQ(fetcher->gate().in_flight(), 0u);
  EXPECT_EQ(fetcher->busy(), 0u);
  EXPECT_EQ(responders.health()[0].in_flight, 0u);
}

TEST_F(FetcherTest, AFullQueueAnswersTryLaterAtOnceWithoutAsking) {
  use({.limits = {.per_responder = 1, .total = 1, .queue = 1}});
  fetch();  // in flight
  std::optional<FetchResult> queued;
  {
    auto decoded = ocsp::decode_request(request);
    fetcher->fetch({ocsp::make_cache_key(*decoded), ocsp::build_upstream_request(*decoded), routes,
                    routes->find(*decoded)},
                   [&queued](FetchResult r) { queued = std::move(r); });
  }
  EXPECT_FALSE(queued) << "one place in the queue: it waits";
  fetch();  // the third: no slot, no place
  ASSERT_TRUE(result) << "answered inside fetch(): never a hang";
  EXPECT_EQ(result->code, ocsp::ResponseCode::kTryLater);
  EXPECT_TRUE(result->shed);
  EXPECT_TRUE(result->attempts.empty());
  EXPECT_FALSE(result->says_something_about_the_cert_id()) << "load is not the CertID's fault";
  EXPECT_EQ(result->last_error(), "upstream.queue full");
  EXPECT_EQ(client.calls.size(), 1u);
}

TEST_F(FetcherTest, AQueuedFetchGivesUpAtTheDeadlineAndLeavesTheQueue) {
  use({.deadline = Millis{1000}, .limits = {.per_responder = 1, .total = 1, .queue = 5}});
  fetch();  // holds the only slot
  std::optional<FetchResult> waiting;
  {
    auto decoded = ocsp::decode_request(request);
    fetcher->fetch({ocsp::make_cache_key(*decoded), ocsp::build_upstream_request(*decoded), routes,
                    routes->find(*decoded)},
                   [&waiting](FetchResult r) { waiting = std::move(r); });
  }
  advance(999);
  EXPECT_FALSE(waiting);
  advance(1);
  ASSERT_TRUE(waiting) << "the deadline ends the wait";
  EXPECT_TRUE(waiting->queue_timeout);
  EXPECT_EQ(waiting->code, ocsp::ResponseCode::kTryLater);
  EXPECT_EQ(fetcher->gate().queued(), 0u);
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  EXPECT_EQ(client.calls.size(), 1u) << "the withdrawn fetch never asks (nor does the first: "
                                        "its deadline passed too)";
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->deadline_passed);
  EXPECT_EQ(fetcher->busy(), 0u);
}

TEST_F(FetcherTest, TheRateLimitSpreadsStartsOverTime) {
  use({.deadline = Millis{10'000}, .limits = {.per_responder = 100, .total = 100, .queue = 100, .rate = 2}});
  for (int i = 0; i < 5; ++i) {
    auto decoded = ocsp::decode_request(request);
    fetcher->fetch({ocsp::make_cache_key(*decoded), ocsp::build_upstream_request(*decoded), routes,
                    routes->find(*decoded)},
                   [](FetchResult) {});
  }
  EXPECT_EQ(client.calls.size(), 2u) << "one second of burst: 2";
  advance(499);
  EXPECT_EQ(client.calls.size(), 2u);
  advance(2);
  EXPECT_EQ(client.calls.size(), 3u) << "a token every 500 ms";
  advance(500);
  EXPECT_EQ(client.calls.size(), 4u);
  advance(500);
  EXPECT_EQ(client.calls.size(), 5u);
  for (size_t i = 0; i < client.calls.size(); ++i) {
    client.answer(i, FakeUpstreamClient::ok(good_answer()));
  }
  EXPECT_EQ(fetcher->busy(), 0u);
}

TEST_F(FetcherTest, RetryAfterOnA503HoldsTheResponderBackForThatLong) {
  fetch();
  UpstreamReply busy = FakeUpstreamClient::ok({}, 503);
  busy.retry_after_s = 20;
  client.answer(0, std::move(busy));
  ASSERT_EQ(client.calls.size(), 2u);
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  fetch();
  ASSERT_EQ(client.calls.size(), 3u);
  EXPECT_EQ(client.calls[2].url.original, "http://r2:8080/ocsp") << "r1 said: not before 20 s";
  client.answer(2, FakeUpstreamClient::ok(good_answer()));
  EXPECT_EQ(result->skipped, std::vector<std::string>{"http://r1/"});
  clock.advance_ms(20'000);
  fetch();
  EXPECT_EQ(client.calls.back().url.original, "http://r1/") << "asked again once it has passed";
  client.answer(client.calls.size() - 1, FakeUpstreamClient::ok(good_answer()));
}

TEST_F(FetcherTest, ARetryAfterIsCappedAtTheBreakersLongestBackoff) {
  BreakerPolicy policy;
  policy.max_backoff = Millis{5'000};
  responders.set_breaker_policy(policy);
  fetch();
  UpstreamReply busy = FakeUpstreamClient::ok({}, 503);
  busy.retry_after_s = 86'400;
  client.answer(0, std::move(busy));
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
  clock.advance_ms(5'000);
  fetch();
  EXPECT_EQ(client.calls.back().url.original, "http://r1/") << "a day asked, 5 s given";
  client.answer(client.calls.size() - 1, FakeUpstreamClient::ok(good_answer()));
}

// --- Hedging --------------------------------------------------------------

TEST_F(FetcherTest, ASlowResponderGetsAHedgeAndTheFirstValidAnswerWins) {
  use({.hedge_after = Millis{200}});
  std::vector<UpstreamAttempt> late;
  fetcher->on_late_attempt([&late](const UpstreamAttempt& a) { late.push_back(a); });
  fetch();
  ASSERT_EQ(client.calls.size(), 1u);
  advance(199);
  EXPECT_EQ(client.calls.size(), 1u);
  advance(1);
  ASSERT_EQ(client.calls.size(), 2u) << "r1 is slow: r2 is asked too";
  EXPECT_EQ(client.calls[1].url.original, "http://r2:8080/ocsp");
  EXPECT_EQ(client.calls[1].timeout, Millis{2800}) << "what is left of the deadline";
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok()) << "r2 answered first";
  EXPECT_EQ(result->hedges, 1u);
  EXPECT_EQ(result->attempts.size(), 1u);
  EXPECT_EQ(fetcher->busy(), 1u) << "r1's exchange is still out";
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  EXPECT_EQ(done_calls, 1) << "the loser changes nothing";
  ASSERT_EQ(late.size(), 1u) << "but is counted";
  EXPECT_EQ(late[0].responder, "http://r1/");
  EXPECT_EQ(fetcher->busy(), 0u);
  EXPECT_EQ(fetcher->gate().in_flight(), 0u);
}

TEST_F(FetcherTest, AHedgedFetchWaitsForTheOtherWhenOneFails) {
  use({.hedge_after = Millis{200}});
  fetch();
  advance(200);
  ASSERT_EQ(client.calls.size(), 2u);
  client.answer(1, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  EXPECT_FALSE(result) << "r1 may still answer";
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ(result->attempts.size(), 2u);
}

TEST_F(FetcherTest, NoHedgeWhenTheFirstAnswersInTimeOrItIsOff) {
  use({.hedge_after = Millis{200}});
  fetch();
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  advance(1000);
  EXPECT_EQ(client.calls.size(), 1u) << "answered before hedge_after: nobody else asked";
  use({});
  fetch();
  advance(2000);
  EXPECT_EQ(client.calls.size(), 2u) << "hedge_after = 0: off";
  client.answer(1, FakeUpstreamClient::ok(good_answer()));
}

TEST_F(FetcherTest, AHedgeNeverQueues) {
  use({.hedge_after = Millis{200}, .limits = {.per_responder = 1, .total = 1, .queue = 10}});
  fetch();
  advance(200);
  EXPECT_EQ(client.calls.size(), 1u) << "no slot for r2 (total 1): no hedge";
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  ASSERT_TRUE(result && result->ok());
  EXPECT_EQ(result->hedges, 0u);
}

// --- The gate alone -------------------------------------------------------

TEST(FetchGateTest, TheTotalLimitHoldsAcrossResponders) {
  ManualClock clock;
  TimerQueue timers{clock};
  FetchGate gate(clock, timers, {.per_responder = 5, .total = 2, .queue = 5});
  Responder a(*parse_http_url("http://a/")), b(*parse_http_url("http://b/"));
  FetchGate::Ticket t = 0;
  int granted_b = 0;
  EXPECT_EQ(gate.acquire(a, nullptr, &t), FetchGate::Admit::kGranted);
  EXPECT_EQ(gate.acquire(a, nullptr, &t), FetchGate::Admit::kGranted);
  EXPECT_EQ(gate.acquire(b, [&] { ++granted_b; }, &t), FetchGate::Admit::kQueued);
  EXPECT_FALSE(gate.try_acquire(b));
  gate.release(a);
  EXPECT_EQ(granted_b, 1) << "the slot a freed goes to b's waiter";
  EXPECT_EQ(gate.in_flight(), 2u);
  EXPECT_EQ(gate.queued(), 0u);
}

// Forward-proxy clients name new responders at will: the gate keeps state
// for a bounded number of idle ones, never for configured ones less, and
// never forgets a busy one or a rate bucket still refilling.
TEST(FetchGateTest, IdleLanesOfForwardedRespondersAreForgotten) {
  ManualClock clock;
  TimerQueue timers{clock};
  FetchGate gate(clock, timers, {.per_responder = 1, .total = 10'000, .queue = 5, .rate = 2});
  Responder configured(*parse_http_url("http://configured/"));
  Responder busy(*parse_http_url("http://busy/"));
  busy.set_forwarded(true);
  FetchGate::Ticket t = 0;
  ASSERT_EQ(gate.acquire(configured, nullptr, &t), FetchGate::Admit::kGranted);
  gate.release(configured);
  ASSERT_EQ(gate.acquire(busy, nullptr, &t), FetchGate::Admit::kGranted);  // never released
  std::deque<Responder> forwarded;
  for (int i = 0; i < 1000; ++i) {
    forwarded.emplace_back(*parse_http_url("http://f" + std::to_string(i) + "/"));
    forwarded.back().set_forwarded(true);
    ASSERT_EQ(gate.acquire(forwarded.back(), nullptr, &t), FetchGate::Admit::kGranted);
    gate.release(forwarded.back());
    if (i % 10 == 9) clock.advance_ms(1'000);  // buckets refill
  }
  EXPECT_LT(gate.lanes(), 150u) << "idle forwarded lanes are dropped as the map grows";
  EXPECT_EQ(gate.in_flight(), 1u);
  // The busy one kept its lane: its limit of 1 still holds.
  EXPECT_FALSE(gate.try_acquire(busy));
  // And a pruned responder asked again starts with a full bucket, as new.
  EXPECT_TRUE(gate.try_acquire(forwarded.front()));
}

// A lane whose bucket is still refilling is kept: forgetting it would give
// a responder asked again at once a fresh burst over upstream.rate.
TEST(FetchGateTest, ARefillingBucketIsNotForgotten) {
  ManualClock clock;
  TimerQueue timers{clock};
  FetchGate gate(clock, timers, {.per_responder = 10, .total = 10'000, .queue = 5, .rate = 1});
  Responder first(*parse_http_url("http://first/"));
  first.set_forwarded(true);
  FetchGate::Ticket t = 0;
  ASSERT_EQ(gate.acquire(first, nullptr, &t), FetchGate::Admit::kGranted);
  gate.release(first);  // its one token is spent
  std::deque<Responder> others;
  for (int i = 0; i < 200; ++i) {  // grows the map past the prune point, no time passes
    others.emplace_back(*parse_http_url("http://o" + std::to_string(i) + "/"));
    others.back().set_forwarded(true);
    ASSERT_EQ(gate.acquire(others.back(), nullptr, &t), FetchGate::Admit::kGranted);
    gate.release(others.back());
  }
  EXPECT_FALSE(gate.try_acquire(first)) << "rate 1/s: no second start within the second";
}

TEST(FetchGateTest, AWithdrawnWaiterIsNeverGrantedAndOthersKeepTheirOrder) {
  ManualClock clock;
  TimerQueue timers{clock};
  FetchGate gate(clock, timers, {.per_responder = 1, .total = 10, .queue = 5});
  Responder a(*parse_http_url("http://a/"));
  FetchGate::Ticket t1 = 0, t2 = 0, t3 = 0;
  std::vector<int> order;
  ASSERT_EQ(gate.acquire(a, nullptr, &t1), FetchGate::Admit::kGranted);
  ASSERT_EQ(gate.acquire(a, [&] { order.push_back(1); }, &t1), FetchGate::Admit::kQueued);
  ASSERT_EQ(gate.acquire(a, [&] { order.push_back(2); }, &t2), FetchGate::Admit::kQueued);
  ASSERT_EQ(gate.acquire(a, [&] { order.push_back(3); }, &t3), FetchGate::Admit::kQueued);
  gate.withdraw(t2);
  EXPECT_EQ(gate.queued(), 2u);
  gate.release(a);
  gate.release(a);
  gate.withdraw(t1);  // already granted: nothing happens
  gate.release(a);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_EQ(gate.in_flight(), 0u);
}

TEST(FetchGateTest, RaisedLimitsStartWaitersAtOnce) {
  ManualClock clock;
  TimerQueue timers{clock};
  FetchGate gate(clock, timers, {.per_responder = 1, .total = 10, .queue = 5});
  Responder a(*parse_http_url("http://a/"));
  FetchGate::Ticket t = 0;
  int granted = 0;
  ASSERT_EQ(gate.acquire(a, nullptr, &t), FetchGate::Admit::kGranted);
  ASSERT_EQ(gate.acquire(a, [&] { ++granted; }, &t), FetchGate::Admit::kQueued);
  gate.set_limits({.per_responder = 2, .total = 10, .queue = 5});
  EXPECT_EQ(granted, 1);
}

}  // namespace
}  // namespace ocspcache
