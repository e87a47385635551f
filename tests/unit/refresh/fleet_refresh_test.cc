// Refresh ahead in a fleet: two refreshers (each with its own store,
// writer, fetcher and fake upstream) share a fake of the Redis tier's
// schedule, values and locks (the semantics of redis_store.cc, without the
// waiting). Each due refresh reaches an upstream once; the other instance
// takes that answer; a failure backs the whole fleet off; a store that is
// down or holds garbage never stops refreshes. A manual clock: no sockets,
// no sleeps.
#include "ocspcache/cache/fleet_refresh.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_upstream.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/refresh/refresher.h"
#include "ocspcache/util/timer_queue.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testing::FakeUpstreamClient;
using testpki::pki;

// Redis as redis_store.cc uses it: `due` scores, `r:` values, `lock:`
// owners. A claim on a held lock answers at once (the real one polls for
// up to lock_wait first): kAnswered when the value changed, else kHeld.
class FakeFleet final : public FleetRefresh {
 public:
  struct Member final : FleetRefresh {
    FakeFleet& fleet;
    std::string name;
    Member(FakeFleet& f, std::string n) : fleet(f), name(std::move(n)) {}

    void state(const ocsp::CacheKey& key, std::function<void(FleetState)> done) override {
      ++fleet.state_calls;
      if (fleet.down) return done(FleetState{false, {}, std::nullopt});
      FleetState st;
      if (auto it = fleet.values.find(key.hex()); it != fleet.values.end()) st.der = it->second;
      if (auto it = fleet.due.find(key.hex()); it != fleet.due.end()) st.due = it->second;
      done(std::move(st));
    }
    void claim(const ocsp::CacheKey& key, std::vector<uint8_t> seen,
               std::function<void(FleetClaim)> done) override {
      if (fleet.down) return done({FleetClaim::Status::kUnavailable, {}});
      auto [it, taken] = fleet.locks.try_emplace(key.hex(), name);
      if (taken || it->second == name) return done({FleetClaim::Status::kOurs, {}});
      if (auto v = fleet.values.find(key.hex()); v != fleet.values.end() && v->second != seen) {
        return done({FleetClaim::Status::kAnswered, v->second});
      }
      done({FleetClaim::Status::kHeld, {}});
    }
    void stored(const ocsp::CacheKey& key, std::span<const uint8_t> der, int64_t) override {
      if (fleet.down) return;
      fleet.values[key.hex()].assign(der.begin(), der.end());
      abandon(key);
    }
    void abandon(const ocsp::CacheKey& key) override {
      if (auto it = fleet.locks.find(key.hex()); it != fleet.locks.end() && it->second == name) {
        fleet.locks.erase(it);
      }
    }
    void schedule(const ocsp::CacheKey& key, int64_t due) override {
      if (!fleet.down) fleet.due[key.hex()] = due;
    }
  };

  // Unused: each instance talks through its Member.
  void state(const ocsp::CacheKey&, std::function<void(FleetState)>) override {}
  void claim(const ocsp::CacheKey&, std::vector<uint8_t>,
             std::function<void(FleetClaim)>) override {}
  void stored(const ocsp::CacheKey&, std::span<const uint8_t>, int64_t) override {}
  void abandon(const ocsp::CacheKey&) override {}
  void schedule(const ocsp::CacheKey&, int64_t) override {}

  bool down = false;
  size_t state_calls = 0;
  std::map<std::string, int64_t> due;
  std::map<std::string, std::vector<uint8_t>> values;
  std::map<std::string, std::string> locks;
};

// One ocspcache instance: what the app wires around a refresher.
struct Instance {
  Instance(const Clock& c, FakeFleet& fleet, std::string name, uint64_t seed)
      : clock(c), member(fleet, std::move(name)), refresher(parts(), options(), seed) {
    writer.subscribe(metrics.certs());
    writer.subscribe(refresher);
    metrics.set_refresh(&stats);
    std::vector<ocsp::Issuer> issuers;
    issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()),
                         std::vector<HttpUrl>{*parse_http_url("http://r1/")});
    routes.store(std::make_shared<const RouteTable>(
        std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers)), responders));
    refresher.set_fleet(&member);
  }
  Refresher::Parts parts() { return {store, writer, fetcher, routes, metrics, clock, stats}; }
  static RefreshOptions options() {
    return {.ahead = 0.5, .idle_seconds = 3600, .max_in_flight = 4, .clock_skew_seconds = 300};
  }

  // A client's miss: validated, committed, asked now.
  void store_answer(const ocsp::CacheKey& key, const std::vector<uint8_t>& request,
                    const std::vector<uint8_t>& der) {
    const auto decoded = *ocsp::decode_request(request);
    const auto now = clock.unix_seconds();
    auto v = ocsp::validate_response(der, decoded, routes.load()->find(decoded)->issuer, now, 300);
    ASSERT_TRUE(v.ok());
    EntryPtr e = writer.commit(key, der, *v, {}, now, true);
    ASSERT_TRUE(e);
    e->mark_asked(now);
  }
  int64_t this_update(const ocsp::CacheKey& key) {
    const EntryPtr e = store.peek(key, clock.unix_seconds());
    return e ? e->this_update() : 0;
  }

  const Clock& clock;
  MemoryStore store{1 << 20, 4};
  CacheWriter writer{store};
  Metrics metrics;
  ResponderSet responders;
  FakeUpstreamClient client;
  TimerQueue timers{clock};
  Fetcher fetcher{client, clock, timers, FetcherOptions{}};
  std::atomic<std::shared_ptr<const RouteTable>> routes;
  RefreshStats stats;
  FakeFleet::Member member;
  Refresher refresher;
};

class FleetRefreshTest : public ::testing::Test {
 protected:
  FleetRefreshTest() {
    request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
    key = ocsp::make_cache_key(*ocsp::decode_request(request));
  }

  std::vector<uint8_t> answer(int64_t this_update, int64_t window = 600) {
    return testpki::make_response({{.leaf = pki().leaf.get(),
                                    .issuer = pki().ca.get(),
                                    .status = V_OCSP_CERTSTATUS_GOOD,
                                    .revoked_at = 0,
                                    .this_update = this_update,
                                    .next_update = this_update + window}},
                                  {pki().ca.get(), pki().ca_key.get(), {}, 0});
  }

  // Both instances hold the same answer, as after one fetched it on a miss
  // and the other read it from Redis.
  void both_hold(int64_t this_update) {
    const auto der = answer(this_update);
    fleet.values[key.hex()] = der;
    a.store_answer(key, request, der);
    b.store_answer(key, request, der);
  }

  size_t upstream_calls() const { return a.client.calls.size() + b.client.calls.size(); }

  // Second by second, both instances tick; every upstream call is answered
  // at once with a fresh answer (thisUpdate = now) by `respond`.
  void run(int64_t seconds, const std::function<UpstreamReply()>& respond) {
    for (int64_t s = 0; s < seconds; ++s) {
      clock.advance_seconds(1);
      for (Instance* i : {&a, &b}) {
        i->timers.run_due();
        i->refresher.tick();
        for (size_t c = 0; c < i->client.calls.size(); ++c) {
          if (!i->client.calls[c].answered) i->client.answer(c, respond());
        }
      }
    }
  }
  UpstreamReply fresh() { return FakeUpstreamClient::ok(answer(clock.unix_seconds() - 1)); }

  ManualClock clock{testpki::now()};
  FakeFleet fleet;
  Instance a{clock, fleet, "a", 1};
  Instance b{clock, fleet, "b", 2};
  std::vector<uint8_t> request;
  ocsp::CacheKey key;
};

TEST_F(FleetRefreshTest, EachDueRefreshReachesTheUpstreamOnceAndTheOtherTakesIt) {
  both_hold(clock.unix_seconds() - 10);
  // Ten-minute answers refreshed half-way: about five generations in 25 min.
  run(25 * 60, [&] { return fresh(); });
  const uint64_t fetched = a.stats.refreshed.load() + b.stats.refreshed.load();
  EXPECT_GE(fetched, 4u);
  EXPECT_EQ(upstream_calls(), fetched) << "every upstream request made a new generation";
  EXPECT_GE(a.stats.fleet.load() + b.stats.fleet.load(), fetched - 1)
      << "the other instance took each generation from the fleet";
  EXPECT_EQ(a.this_update(key), b.this_update(key)) << "both serve the newest";
  EXPECT_EQ(a.stats.failed.load() + b.stats.failed.load(), 0u);
  EXPECT_TRUE(fleet.locks.empty()) << "every lock released";
  ASSERT_TRUE(fleet.due.contains(key.hex()));
  EXPECT_GT(fleet.due[key.hex()], clock.unix_seconds()) << "the fleet's next time is recorded";
  EXPECT_NE(
      a.metrics.render(clock.unix_seconds()).find("ocspcache_refreshes_total{result=\"fleet\"}"),
      std::string::npos);
}

// Without the fleet's schedule, lock and copy each instance would ask: the
// same run with the store down shows the test above can fail.
TEST_F(FleetRefreshTest, WithTheStoreDownEachInstanceRefreshesAlone) {
  both_hold(clock.unix_seconds() - 10);
  fleet.down = true;
  run(25 * 60, [&] { return fresh(); });
  EXPECT_GE(a.stats.refreshed.load(), 4u) << "refreshes go on without Redis";
  EXPECT_GE(b.stats.refreshed.load(), 4u);
  EXPECT_EQ(a.stats.fleet.load() + b.stats.fleet.load(), 0u);
  EXPECT_GT(a.this_update(key), clock.unix_seconds() - 600);
  EXPECT_GT(b.this_update(key), clock.unix_seconds() - 600);
}

TEST_F(FleetRefreshTest, WhileAnotherInstanceHoldsTheLockNobodyElseAsks) {
  const int64_t t0 = clock.unix_seconds();
  both_hold(t0 - 400);           // past half-way: both due within seconds
  fleet.locks[key.hex()] = "c";  // a third instance is fetching it
  for (int s = 0; s < 30; ++s) {
    clock.advance_seconds(1);
    a.refresher.tick();
    b.refresher.tick();
  }
  EXPECT_EQ(upstream_calls(), 0u) << "the holder's fetch is the fleet's";
  EXPECT_GE(a.stats.deferred.load(), 1u);
  // The holder stores its answer: the waiting instances take it, still
  // without asking.
  fleet.values[key.hex()] = answer(clock.unix_seconds() - 1);
  fleet.locks.clear();
  fleet.due[key.hex()] = clock.unix_seconds() + 300;
  for (int s = 0; s < 10; ++s) {
    clock.advance_seconds(1);
    a.refresher.tick();
    b.refresher.tick();
  }
  EXPECT_EQ(upstream_calls(), 0u);
  EXPECT_EQ(a.stats.fleet.load(), 1u);
  EXPECT_EQ(b.stats.fleet.load(), 1u);
  EXPECT_GT(a.this_update(key), t0 - 400);
  // They follow the fleet's time, a second or few after it.
  EXPECT_GE(*a.refresher.due(key), fleet.due[key.hex()] + 1);
  EXPECT_LE(*a.refresher.due(key), fleet.due[key.hex()] + 3);
}

TEST_F(FleetRefreshTest, AFailureBacksTheWholeFleetOff) {
  both_hold(clock.unix_seconds() - 400);
  // Every upstream request fails for two minutes.
  run(120, [] { return FakeUpstreamClient::ok({}, 500); });
  const size_t failed = a.stats.failed.load() + b.stats.failed.load();
  EXPECT_EQ(upstream_calls(), failed);
  // Alone, each instance retries at 5, 10, 20, 40, 80 s: 5 each in two
  // minutes. Backing off together the fleet asks about as often as one.
  EXPECT_LE(upstream_calls(), 7u);
  EXPECT_GE(upstream_calls(), 4u);
  EXPECT_GT(a.this_update(key), 0) << "the valid answer is kept";
  EXPECT_TRUE(fleet.locks.empty()) << "a failed refresh releases its lock";
}

TEST_F(FleetRefreshTest, GarbageInTheStoreIsNotTakenAndTheResponderIsAsked) {
  const int64_t t0 = clock.unix_seconds();
  both_hold(t0 - 400);
  fleet.values[key.hex()] = {0x30, 0x03, 0x0a, 0x01, 0x00};  // not this key's answer
  fleet.due[key.hex()] = t0 - 1;
  run(30, [&] { return fresh(); });
  EXPECT_EQ(a.stats.fleet.load() + b.stats.fleet.load(), 1u)
      << "the first to refresh asks; the other takes its answer";
  EXPECT_EQ(upstream_calls(), 1u);
  EXPECT_GT(a.this_update(key), t0 - 400);
  EXPECT_GT(b.this_update(key), t0 - 400);
  EXPECT_NE(fleet.values[key.hex()].size(), 5u) << "overwritten by the fetched answer";
}

}  // namespace
}  // namespace ocspcache
