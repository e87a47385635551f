#include "ocspcache/upstream/responder.h"

#include <algorithm>
#include <functional>

namespace ocspcache {

Responder::Responder(HttpUrl url, BreakerPolicy policy)
    : url_(std::move(url)),
      breaker_(policy, std::hash<std::string>{}(url_.original)),
      max_hold_(policy.max_backoff) {
  health_.url = url_.original;
}

bool Responder::admit(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (now_ms < held_until_ms_) return false;
  return breaker_.admit(now_ms);
}

void Responder::set_breaker_policy(const BreakerPolicy& policy) {
  std::lock_guard lock(mu_);
  breaker_.set_policy(policy);
  max_hold_ = policy.max_backoff;
}

void Responder::hold(int64_t seconds, int64_t now_ms) {
  if (seconds <= 0) return;
  std::lock_guard lock(mu_);
  const int64_t ms = std::min<int64_t>(seconds * 1000, max_hold_.count());
  held_until_ms_ = std::max(held_until_ms_, now_ms + ms);
}

bool Responder::known() const {
  if (in_flight_.load(std::memory_order_relaxed) > 0 || queued_.load(std::memory_order_relaxed) > 0) {
    return true;
  }
  std::lock_guard lock(mu_);
  return health_.recent_exchanges > 0;
}

void Responder::record(std::string_view issuer, UpstreamOutcome outcome, std::string_view error,
                       int64_t now, int64_t now_ms) {
  const bool ok = is_answer(outcome);
  std::lock_guard lock(mu_);
  if (is_breaker_failure(outcome)) {
    breaker_.on_failure(now_ms);
  } else {
    breaker_.on_success();
  }
  Health& h = health_;
  if (std::find(h.issuers.begin(), h.issuers.end(), issuer) == h.issuers.end()) {
    h.issuers.emplace_back(issuer);
  }
  h.up = ok;
  if (ok) {
    h.last_ok_at = now;
  } else {
    h.last_error = error;
    h.last_error_at = now;
  }
  if (h.recent_exchanges == kWindow && failed_[next_]) --h.recent_errors;
  failed_[next_] = !ok;
  if (!ok) ++h.recent_errors;
  if (h.recent_exchanges < kWindow) ++h.recent_exchanges;
  next_ = (next_ + 1) % kWindow;
}

Responder::Health Responder::health() const {
  std::lock_guard lock(mu_);
  Health h = health_;
  h.breaker = breaker_.state();
  h.consecutive_failures = breaker_.consecutive_failures();
  h.held_until_ms = held_until_ms_;
  h.in_flight = in_flight_.load(std::memory_order_relaxed);
  h.queued = queued_.load(std::memory_order_relaxed);
  return h;
}

}  // namespace ocspcache
