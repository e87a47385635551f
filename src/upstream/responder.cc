#include "ocspcache/upstream/responder.h"

#include <algorithm>

namespace ocspcache {

void Responder::record(std::string_view issuer, bool ok, std::string_view error, int64_t now) {
  std::lock_guard lock(mu_);
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
  return health_;
}

}  // namespace ocspcache
