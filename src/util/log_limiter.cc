#include "ocspcache/util/log_limiter.h"

#include "ocspcache/util/log.h"


namespace ocspcache::log {

void Limiter::warn(std::string_view key, std::string_view event, std::string fields) {
  uint64_t suppressed = 0;
  if (!allow(key, &suppressed)) return;
  if (suppressed > 0) fields += " suppressed=" + std::to_string(suppressed);
  log::warn(event, fields);
}

void Limiter::set_interval(Millis interval) {
  std::lock_guard lock(mu_);
  interval_ms_ = interval.count();
}

bool Limiter::allow(std::string_view key, uint64_t* suppressed) {
  const int64_t now_ms = clock_.monotonic_ms();
  std::lock_guard lock(mu_);
  auto [it, fresh] = slots_.try_emplace(std::string(key));
  Slot& s = it->second;
  if (!fresh && now_ms - s.last_ms < interval_ms_) {
    ++s.suppressed;
    return false;
  }
  *suppressed = s.suppressed;
  s.suppressed = 0;
  s.last_ms = now_ms;
  return true;
}

Limiter& upstream_errors() {
  static Limiter limiter;
  return limiter;
}

}  // namespace ocspcache::log
