// A responder's circuit breaker: after `failures` exchanges in a row went
// wrong it opens, and while it is open nobody asks that responder, so a
// dead responder costs clients no time. When the open period ends, one
// exchange (the probe) may go; its success closes the breaker, its failure
// opens it again for twice as long (up to max_backoff). Each period is
// spread by +-jitter so a fleet does not probe a recovering responder in
// lockstep.
//
// Not thread-safe: the Responder that owns it guards it with its mutex.
#pragma once

#include <cstdint>
#include <string_view>

#include "ocspcache/util/duration.h"
#include "ocspcache/util/jitter.h"

namespace ocspcache {

struct BreakerPolicy {
  uint32_t failures = 5;        // upstream.breaker_failures; 0 = never opens
  Millis backoff{1'000};        // upstream.breaker_backoff: the first open period
  Millis max_backoff{60'000};   // upstream.breaker_max_backoff
  double jitter = 0.2;          // +- fraction of each period
  bool operator==(const BreakerPolicy&) const = default;
};

enum class BreakerState : uint8_t { kClosed, kOpen, kHalfOpen };
std::string_view to_string(BreakerState s);

class CircuitBreaker {
 public:
  // `seed` varies the jitter between breakers (the URL's hash).
  explicit CircuitBreaker(BreakerPolicy policy = {}, uint64_t seed = 0);

  void set_policy(const BreakerPolicy& policy);  // applies from the next opening

  // May an exchange start at `now_ms` (monotonic)? Closed: yes. Open: no
  // until the period ends; then yes once (the probe, half-open) and no
  // again until that probe's outcome is recorded.
  bool admit(int64_t now_ms);
  void on_success();
  void on_failure(int64_t now_ms);

  BreakerState state() const { return state_; }
  uint32_t consecutive_failures() const { return failures_; }
  int64_t open_until_ms() const { return open_until_; }  // meaningful while kOpen

 private:
  void open(int64_t now_ms);

  BreakerPolicy policy_;
  BreakerState state_ = BreakerState::kClosed;
  uint32_t failures_ = 0;
  int64_t open_until_ = 0;
  int64_t period_ms_ = 0;  // the last open period before jitter; 0 = never opened
  bool probe_out_ = false;
  Jitter jitter_;
};

}  // namespace ocspcache
