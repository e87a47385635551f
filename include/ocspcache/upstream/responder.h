// One OCSP responder: its URL and what its recent exchanges say about it.
// The place where per-responder policy lives: today its health window
// (ocspcache_responder_up, /status, /readyz) and its circuit breaker
// (breaker.h), a 503's Retry-After, and the counts of its fetches in flight
// and queued (kept by the FetchGate, shown by the metrics). Shared by the
// upstream thread's fetcher and the metrics, and kept across reloads while
// the URL stays configured (ResponderSet), so health survives a SIGHUP.
//
// Rare path only (one call per upstream exchange), so a plain mutex.
#pragma once

#include <atomic>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/upstream/breaker.h"
#include "ocspcache/upstream/outcome.h"
#include "ocspcache/util/net_address.h"

namespace ocspcache {

class Responder {
 public:
  // The error rate /status shows is over this many last exchanges: a count,
  // not a time window, so a rarely asked responder still shows a rate.
  static constexpr size_t kWindow = 100;

  struct Health {
    std::string url;
    std::vector<std::string> issuers;  // [[issuer]] names it was asked for
    bool up = false;                   // the last exchange gave a valid answer in time
    int64_t last_ok_at = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    size_t recent_exchanges = 0;  // <= kWindow; 0: never asked
    size_t recent_errors = 0;
    BreakerState breaker = BreakerState::kClosed;
    uint32_t consecutive_failures = 0;
    int64_t held_until_ms = 0;  // monotonic: a 503's Retry-After holds it back until then
    size_t in_flight = 0;  // exchanges under way (FetchGate)
    size_t queued = 0;     // fetches waiting for a slot (FetchGate)
  };

  explicit Responder(HttpUrl url, BreakerPolicy policy = {});
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  const HttpUrl& url() const { return url_; }

  // Named by a client in forward-proxy mode rather than configured: its
  // exchanges may only connect to public (or listed) addresses. Cleared
  // when a reload configures the same URL.
  bool forwarded() const { return forwarded_.load(std::memory_order_relaxed); }
  void set_forwarded(bool forwarded) { forwarded_.store(forwarded, std::memory_order_relaxed); }

  // May an exchange start now (monotonic ms)? No while its breaker is open
  // or a Retry-After holds it back.
  bool admit(int64_t now_ms);
  void set_breaker_policy(const BreakerPolicy& policy);

  // A 503 said Retry-After: nobody asks it for `seconds`, capped at the
  // breaker's max_backoff (a responder must not switch itself off for a
  // day with one header).
  void hold(int64_t seconds, int64_t now_ms);

  // Kept by the FetchGate (upstream thread), read by health().
  void set_load(size_t in_flight, size_t queued) {
    in_flight_.store(in_flight, std::memory_order_relaxed);
    queued_.store(queued, std::memory_order_relaxed);
  }
  // Has it been asked, or is it being asked: worth a row in the metrics.
  bool known() const;

  // One exchange for `issuer` and how it ended; `error` says why when it
  // was not a validated answer. `now` is unix seconds (for /status),
  // `now_ms` monotonic (for the breaker).
  void record(std::string_view issuer, UpstreamOutcome outcome, std::string_view error,
              int64_t now, int64_t now_ms);
  Health health() const;

 private:
  const HttpUrl url_;
  std::atomic<bool> forwarded_{false};
  mutable std::mutex mu_;
  Health health_;
  CircuitBreaker breaker_;
  Millis max_hold_{60'000};
  int64_t held_until_ms_ = 0;
  std::atomic<size_t> in_flight_{0};
  std::atomic<size_t> queued_{0};
  std::bitset<kWindow> failed_;  // ring of the last kWindow outcomes
  size_t next_ = 0;
};

}  // namespace ocspcache
