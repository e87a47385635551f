#include "ocspcache/upstream/breaker.h"

#include <algorithm>

namespace ocspcache {

std::string_view to_string(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half-open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(BreakerPolicy policy, uint64_t seed)
    : policy_(policy), jitter_(seed) {}

void CircuitBreaker::set_policy(const BreakerPolicy& policy) {
  policy_ = policy;
  if (policy_.failures == 0 && state_ != BreakerState::kClosed) {
    state_ = BreakerState::kClosed;
    probe_out_ = false;
  }
}

bool CircuitBreaker::admit(int64_t now_ms) {
  switch (state_) {
    case BreakerState::kClosed: return true;
    case BreakerState::kOpen:
      if (now_ms < open_until_) return false;
      state_ = BreakerState::kHalfOpen;
      probe_out_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return true;
}

void CircuitBreaker::on_success() {
  // Any good answer, even one that left before the breaker opened, says
  // the responder works.
  state_ = BreakerState::kClosed;
  failures_ = 0;
  period_ms_ = 0;
  probe_out_ = false;
}

void CircuitBreaker::on_failure(int64_t now_ms) {
  ++failures_;
  switch (state_) {
    case BreakerState::kClosed:
      if (policy_.failures != 0 && failures_ >= policy_.failures) open(now_ms);
      break;
    case BreakerState::kHalfOpen:
      open(now_ms);  // the probe failed (or an exchange from before it did)
      break;
    case BreakerState::kOpen:
      break;  // an exchange started before it opened: the period stands
  }
}

void CircuitBreaker::open(int64_t now_ms) {
  const int64_t base = std::max<int64_t>(policy_.backoff.count(), 1);
  const int64_t cap = std::max<int64_t>(policy_.max_backoff.count(), base);
  period_ms_ = period_ms_ == 0 ? base : std::min(period_ms_ * 2, cap);
  state_ = BreakerState::kOpen;
  probe_out_ = false;
  open_until_ = now_ms + jitter_.spread(period_ms_, policy_.jitter);
}
}  // namespace ocspcache
