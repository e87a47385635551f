// Refresh ahead (DESIGN.md): every answer the cache writer stores gets a
// refresh time (refresh_schedule.h); a tick on the control loop starts the
// due ones as background fetches through the same upstream path clients'
// misses take (routes, breakers, limits, validation), and the answer goes
// back in through the cache writer. No client waits on it.
//
// - A failed refresh keeps the valid answer and is retried with back-off
//   (5 s doubling to 5 min, jittered), never past nextUpdate.
// - The responder giving the same answer again (CAs pre-sign and serve one
//   answer for a while) is retried after an eighth of what is left of its
//   validity (30 s .. 1 h), not at once.
// - A proxied answer nobody asked for in cache.refresh_idle is left to
//   expire (its entry's last-asked time; the writer carries it over when a
//   refresh replaces the entry, so refreshing never counts as asking).
// - At most `max_in_flight` refreshes at a time (cache.refresh_share of
//   upstream.max_fetches), so clients' misses always find room upstream.
// - With a fleet (cache.backend = "redis", fleet_refresh.h), a due answer
//   another instance has refreshed is taken from the shared store, and only
//   the instance holding the key's lock asks the responder.
// - ocspcache_refresh_lag_seconds: how far behind its due time the most
//   overdue refresh waiting to start is.
//
// Thread-safe: entry events come from workers, fetch results from the
// upstream thread, ticks from the control loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/fleet_refresh.h"
#include "ocspcache/cache/refresh_stats.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/refresh/refresh_schedule.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"

namespace ocspcache {

struct RefreshOptions {
  double ahead = 0.5;           // cache.refresh_ahead
  int64_t idle_seconds = 3600;  // cache.refresh_idle
  size_t max_in_flight = 64;    // cache.refresh_share x upstream.max_fetches
  // stapling.min_remaining: a failing inventory certificate is retried at
  // the moment its answer gets that close to nextUpdate, so its series
  // turns 2 (CertTracker) then and not up to a back-off later.
  int64_t pinned_margin_seconds = 0;
  int64_t clock_skew_seconds = 300;  // upstream.clock_skew: for answers taken from the fleet
};

class Refresher final : public EntryListener {
 public:
  struct Parts {
    const Store& store;
    CacheWriter& writer;
    FetchService& fetcher;
    const std::atomic<std::shared_ptr<const RouteTable>>& routes;
    Metrics& metrics;
    const Clock& clock;
    RefreshStats& stats;
  };
  Refresher(Parts parts, RefreshOptions options, uint64_t seed = std::random_device{}());
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  void configure(RefreshOptions options);  // SIGHUP

  // The fleet's shared schedule and locks (start-up, before the first
  // tick); null: this instance refreshes alone. Outlived by the refresher's
  // last use of it: the app stops the control loop first.
  void set_fleet(FleetRefresh* fleet) { fleet_ = fleet; }

  // How a refresh that ends asks for a tick when more are due than
  // max_in_flight let the last tick start (any thread; the app posts a
  // tick to the control loop). Without it the backlog waits for the next
  // timer tick: max_in_flight per tick at most. Start-up only.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

  // The writer stored an answer: (re)schedule its key.
  void on_entry_changed(const EntryChange& change) override;

  // Starts the refreshes due now (as many as max_in_flight allows) and
  // updates the lag. Called by a control-loop timer (a few times a second).
  void tick();

  // The stapling inventory (start-up and SIGHUP): these keys are refreshed
  // whether anyone asks or not, fetched with their request while the cache
  // holds no answer for them (at start, after a failure outlived the
  // answer), and retried with back-off for as long as they fail. Keys new
  // to the inventory are due at once.
  void set_inventory(std::vector<std::pair<ocsp::CacheKey, std::vector<uint8_t>>> pinned);

  // Stop starting refreshes (drain); results of running ones are still taken.
  void stop();

  std::optional<int64_t> due(const ocsp::CacheKey& key) const;  // tests, /status

 private:
  struct Job;
  void start(const ocsp::CacheKey& key, int64_t now);
  void fetch(const std::shared_ptr<Job>& job);
  void consult_fleet(const std::shared_ptr<Job>& job);
  bool adopt(const std::shared_ptr<Job>& job, std::span<const uint8_t> der,
             std::optional<int64_t> fleet_due);
  void follow(const std::shared_ptr<Job>& job, int64_t fleet_due);
  void tell_fleet(const ocsp::CacheKey& key);  // under mu_
  void settle(const std::shared_ptr<Job>& job, const FetchResult& result, bool stored,
              int64_t now);  // takes mu_
  void maybe_wake();
  void finished(const std::shared_ptr<Job>& job, FetchResult result);
  void retry_later(const ocsp::CacheKey& key, int64_t now, int64_t next_update, uint32_t failures,
                   bool pinned);
  double jitter();  // [0, 1), under mu_

  Parts p_;
  FleetRefresh* fleet_ = nullptr;
  std::function<void()> wake_;
  mutable std::mutex mu_;
  RefreshOptions options_;
  RefreshSchedule schedule_;
  // Keys whose last refresh failed, with how many times in a row (for the
  // back-off); only failing keys are here.
  absl::flat_hash_map<ocsp::CacheKey, uint32_t, ocsp::CacheKeyHash> failures_;
  // The inventory's keys and the requests to send for them.
  absl::flat_hash_map<ocsp::CacheKey, std::vector<uint8_t>, ocsp::CacheKeyHash> pinned_;
  size_t in_flight_ = 0;
  bool stopped_ = false;
  bool backlog_ = false;  // the last tick left due refreshes waiting for room
  std::mt19937_64 rng_;
};

}  // namespace ocspcache
