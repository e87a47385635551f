// One OCSP responder: its URL and what its recent exchanges say about it.
// The place where per-responder policy lives: today its health window
// (ocspcache_responder_up, /status, /readyz) and its circuit breaker
// (breaker.h); next its request budget and connection pool (issue 10). Shared by every worker's
// fetcher and kept across reloads while the URL stays configured
// (ResponderSet), so health survives a SIGHUP.
//
// Rare path only (one call per upstream exchange), so a plain mutex.
#pragma once

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
  };

  explicit Responder(HttpUrl url, BreakerPolicy policy = {});
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  const HttpUrl& url() const { return url_; }

  // May an exchange start now (monotonic ms)? No while its breaker is open.
  bool admit(int64_t now_ms);
  void set_breaker_policy(const BreakerPolicy& policy);

  // One exchange for `issuer` and how it ended; `error` says why when it
  // was not a validated answer. `now` is unix seconds (for /status),
  // `now_ms` monotonic (for the breaker).
  void record(std::string_view issuer, UpstreamOutcome outcome, std::string_view error,
              int64_t now, int64_t now_ms);
  Health health() const;

 private:
  const HttpUrl url_;
  mutable std::mutex mu_;
  Health health_;
  CircuitBreaker breaker_;
  std::bitset<kWindow> failed_;  // ring of the last kWindow outcomes
  size_t next_ = 0;
};

}  // namespace ocspcache
