// The refresher with the real store, writer, fetcher and metrics and a fake
// upstream client: answers replaced before their nextUpdate with no client
// asking, failures keeping the valid answer with back-off, unchanged
// answers not refetched at once, idle answers left to expire, and the
// in-flight cap. A manual clock: no sockets, no sleeps.
#include "ocspcache/refresh/refresher.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_upstream.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/util/timer_queue.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testing::FakeUpstreamClient;
using testpki::pki;

class RefresherTest : public ::testing::Test {
 protected:
  RefresherTest() {
    writer.subscribe(metrics.certs());
    writer.subscribe(refresher);
    metrics.set_refresh(&stats);
    std::vector<ocsp::Issuer> issuers;
    issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()),
                         std::vector<HttpUrl>{*parse_http_url("http://r1/")});
    routes.store(std::make_shared<const RouteTable>(
        std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers)), responders));
  }

  // A signed answer for `leaf`, valid from this_update for `window` seconds.
  std::vector<uint8_t> answer(X509* leaf, int64_t this_update, int64_t window,
                              int status = V_OCSP_CERTSTATUS_GOOD) {
    return testpki::make_response({{.leaf = leaf,
                                    .issuer = pki().ca.get(),
                                    .status = status,
                                    .revoked_at = this_update - 100,
                                    .this_update = this_update,
                                    .next_update = this_update + window}},
                                  {pki().ca.get(), pki().ca_key.get(), {}, 0});
  }

  // What a client's miss would store: validated, committed, asked now.
  ocsp::CacheKey store_answer(X509* leaf, int64_t this_update, int64_t window) {
    const auto request = testpki::make_request({{leaf, pki().ca.get()}});
    const auto decoded = *ocsp::decode_request(request);
    const auto key = ocsp::make_cache_key(decoded);
    const auto der = answer(leaf, this_update, window);
    const auto routes_now = routes.load();
    auto v = ocsp::validate_response(der, decoded, routes_now->find(decoded)->issuer,
                                     clock.unix_seconds(), 300);
    EXPECT_TRUE(v.ok());
    EntryPtr e = writer.commit(key, der, *v, {}, clock.unix_seconds(), true);
    EXPECT_TRUE(e);
    e->mark_asked(clock.unix_seconds());
    return key;
  }

  // Runs the clock forward second by second, ticking, until `n` requests
  // reached the upstream (or `limit` seconds passed).
  void run_until_calls(size_t n, int64_t limit) {
    for (int64_t s = 0; s < limit && client.calls.size() < n; ++s) {
      clock.advance_seconds(1);
      timers.run_due();
      refresher.tick();
    }
  }
  std::string text() { return metrics.render(clock.unix_seconds()); }

  ManualClock clock{testpki::now()};
  MemoryStore store{1 << 20, 4};
  CacheWriter writer{store};
  Metrics metrics;
  ResponderSet responders;
  FakeUpstreamClient client;
  TimerQueue timers{clock};
  Fetcher fetcher{client, clock, timers, FetcherOptions{}};
  std::atomic<std::shared_ptr<const RouteTable>> routes;
  RefreshStats stats;
  Refresher refresher{{store, writer, fetcher, routes, metrics, clock, stats},
                      RefreshOptions{.ahead = 0.5, .idle_seconds = 3600, .max_in_flight = 2},
                      /*seed=*/42};
};

TEST_F(RefresherTest, ReplacedBeforeNextUpdateWithNoClientAsking) {
  const int64_t t0 = clock.unix_seconds();
  const auto key = store_answer(pki().leaf.get(), t0 - 60, 600);  // 10 minutes
  const auto due = refresher.due(key);
  ASSERT_TRUE(due);
  EXPECT_GE(*due, t0 - 60 + 300 - 60) << "half-way, jitter at most a tenth earlier";
  EXPECT_LE(*due, t0 - 60 + 300);

  run_until_calls(1, 600);
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(clock.unix_seconds(), std::max(*due, t0 + 1)) << "started the second it was due";
  EXPECT_EQ(client.calls[0].url.original, "http://r1/");
  const auto request = ocsp::decode_request(client.calls[0].body);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(ocsp::make_cache_key(*request), key) << "the same CertID is asked";

  const int64_t t1 = clock.unix_seconds();
  client.answer(0, FakeUpstreamClient::ok(answer(pki().leaf.get(), t1 - 5, 600)));
  const EntryPtr now = store.peek(key, t1);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->this_update(), t1 - 5) << "the newer answer is served";
  EXPECT_EQ(now->last_asked(), t0) << "a refresh is not a client asking";
  EXPECT_EQ(stats.refreshed.load(), 1u);
  EXPECT_GT(*refresher.due(key), t1) << "scheduled again from the new answer";
  EXPECT_NE(text().find("ocspcache_refreshes_total{result=\"refreshed\"} 1"), std::string::npos);
  EXPECT_NE(
      text().find(R"(ocspcache_upstream_requests_total{outcome="good",responder="http://r1/"} 1)"),
      std::string::npos)
      << "refresh exchanges count like any other";
}

TEST_F(RefresherTest, AFailureKeepsTheValidAnswerAndBacksOff) {
  const int64_t t0 = clock.unix_seconds();
  const auto key = store_answer(pki().leaf.get(), t0 - 60, 3600);
  const EntryPtr before = store.peek(key, t0);
  run_until_calls(1, 3600);
  ASSERT_EQ(client.calls.size(), 1u);
  const int64_t first = clock.unix_seconds();
  client.answer(0, FakeUpstreamClient::ok({}, 500));
  EXPECT_EQ(store.peek(key, first), before) << "the valid answer is still served";
  EXPECT_EQ(stats.failed.load(), 1u);
  const int64_t retry1 = *refresher.due(key) - first;
  EXPECT_GE(retry1, 4);
  EXPECT_LE(retry1, 6);

  run_until_calls(2, 60);
  ASSERT_EQ(client.calls.size(), 2u);
  const int64_t second = clock.unix_seconds();
  client.answer(1, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  const int64_t retry2 = *refresher.due(key) - second;
  EXPECT_GE(retry2, 8) << "doubled";
  EXPECT_LE(retry2, 12);
  EXPECT_EQ(stats.failed.load(), 2u);

  run_until_calls(3, 60);
  ASSERT_EQ(client.calls.size(), 3u);
  client.answer(2,
                FakeUpstreamClient::ok(answer(pki().leaf.get(), clock.unix_seconds() - 1, 3600)));
  EXPECT_EQ(stats.refreshed.load(), 1u);
  EXPECT_GT(store.peek(key, clock.unix_seconds())->this_update(), before->this_update());
}

// CAs pre-sign answers and serve the same one for a while: getting it again
// is not a reason to ask again at once.
TEST_F(RefresherTest, TheSameAnswerAgainIsAskedForLaterNotAtOnce) {
  const int64_t t0 = clock.unix_seconds();
  const auto key = store_answer(pki().leaf.get(), t0 - 60, 3600);
  const auto same = store.peek(key, t0);
  run_until_calls(1, 3600);
  ASSERT_EQ(client.calls.size(), 1u);
  const int64_t t1 = clock.unix_seconds();
  client.answer(
      0, FakeUpstreamClient::ok(std::vector<uint8_t>(same->der().begin(), same->der().end())));
  EXPECT_EQ(stats.unchanged.load(), 1u);
  const int64_t wait = *refresher.due(key) - t1;
  const int64_t left = same->next_update() - t1;
  EXPECT_EQ(wait, std::clamp<int64_t>(left / 8, 30, 3600));
  run_until_calls(2, wait - 1);
  EXPECT_EQ(client.calls.size(), 1u) << "not before then";
}

TEST_F(RefresherTest, AnAnswerNobodyAskedForIsLeftToExpire) {
  const int64_t t0 = clock.unix_seconds();
  const auto key = store_answer(pki().leaf.get(), t0 - 60, 4 * 3600);
  refresher.configure({.ahead = 0.5, .idle_seconds = 600, .max_in_flight = 2});
  for (int s = 0; s < 3 * 3600 && stats.idle.load() == 0; ++s) {
    clock.advance_seconds(1);
    refresher.tick();
  }
  EXPECT_EQ(client.calls.size(), 0u);
  EXPECT_EQ(stats.idle.load(), 1u);
  EXPECT_FALSE(refresher.due(key)) << "no longer scheduled";
  EXPECT_TRUE(store.peek(key, clock.unix_seconds())) << "still served until its nextUpdate";
}

// Refreshes take at most max_in_flight of the upstream at once; the rest
// wait, and the lag says how long the oldest waits.
TEST_F(RefresherTest, AtMostMaxInFlightAndTheLagShowsTheQueue) {
  const int64_t t0 = clock.unix_seconds();
  std::vector<X509*> leaves = {pki().leaf.get(), pki().leaf2.get()};
  std::vector<ocsp::CacheKey> keys;
  for (X509* leaf : leaves) keys.push_back(store_answer(leaf, t0 - 3000, 3600));
  // Both are past half-way: due within kMinDelaySeconds.
  clock.advance_seconds(10);
  refresher.configure({.ahead = 0.5, .idle_seconds = 3600, .max_in_flight = 1});
  refresher.tick();
  EXPECT_EQ(client.calls.size(), 1u) << "one at a time";
  EXPECT_EQ(stats.in_flight.load(), 1u);
  clock.advance_seconds(20);
  refresher.tick();
  EXPECT_EQ(client.calls.size(), 1u);
  EXPECT_GE(stats.lag_seconds.load(), 20) << "the other waits for room";
  client.answer(0, FakeUpstreamClient::ok(answer(leaves[0], clock.unix_seconds() - 1, 3600)));
  refresher.tick();
  EXPECT_EQ(client.calls.size(), 2u) << "room again";
}

// An inventory certificate whose responder fails keeps being retried with
// back-off, and once at the moment its answer has only min_remaining left,
// so its series turns 2 then (CertTracker), not a back-off later.
TEST_F(RefresherTest, AFailingInventoryCertificateIsRetriedWhenItReachesMinRemaining) {
  const int64_t t0 = clock.unix_seconds();
  const auto key = store_answer(pki().leaf.get(), t0 - 300, 600);  // 300 s left
  const auto request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  refresher.configure(
      {.ahead = 0.5, .idle_seconds = 3600, .max_in_flight = 2, .pinned_margin_seconds = 200});
  refresher.set_inventory({{key, request}});
  std::vector<int64_t> asked;
  for (int s = 0; s < 200; ++s) {
    clock.advance_seconds(1);
    timers.run_due();
    refresher.tick();
    for (size_t c = 0; c < client.calls.size(); ++c) {
      if (client.calls[c].answered) continue;
      asked.push_back(clock.unix_seconds() - t0);
      client.answer(c, FakeUpstreamClient::ok({}, 500));
    }
  }
  // 100 s in: nextUpdate (t0 + 300) minus min_remaining (200).
  ASSERT_FALSE(asked.empty());
  EXPECT_NE(std::find(asked.begin(), asked.end(), 100), asked.end())
      << "asked at " << ::testing::PrintToString(asked);
  EXPECT_GE(asked.size(), 5u) << "and with back-off before and after";
}

// More due than max_in_flight: each refresh that ends asks for a tick
// (the app posts one to the control loop), so a backlog is worked off at
// the responders' pace, not max_in_flight per timer tick.
TEST_F(RefresherTest, ARefreshThatEndsWakesATickWhileOthersWait) {
  const int64_t t0 = clock.unix_seconds();
  for (X509* leaf : {pki().leaf.get(), pki().leaf2.get()}) store_answer(leaf, t0 - 3000, 3600);
  int wakes = 0;
  refresher.set_wake([&] { ++wakes; });
  refresher.configure({.ahead = 0.5, .idle_seconds = 3600, .max_in_flight = 1});
  clock.advance_seconds(10);
  refresher.tick();
  ASSERT_EQ(client.calls.size(), 1u) << "room for one";
  client.answer(0,
                FakeUpstreamClient::ok(answer(pki().leaf.get(), clock.unix_seconds() - 1, 3600)));
  EXPECT_EQ(wakes, 1) << "the other is waiting: wake a tick";
  refresher.tick();  // what the posted wake runs
  ASSERT_EQ(client.calls.size(), 2u) << "started without waiting for the timer";
  client.answer(1,
                FakeUpstreamClient::ok(answer(pki().leaf2.get(), clock.unix_seconds() - 1, 3600)));
  EXPECT_EQ(wakes, 1) << "nothing waits any more: no wake";
}

TEST_F(RefresherTest, StoppedStartsNothing) {
  const int64_t t0 = clock.unix_seconds();
  store_answer(pki().leaf.get(), t0 - 3000, 3600);
  refresher.stop();
  run_until_calls(1, 100);
  EXPECT_EQ(client.calls.size(), 0u);
}

}  // namespace
}  // namespace ocspcache
