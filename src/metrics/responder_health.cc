#include "ocspcache/upstream/responder_health.h"

#include <algorithm>

namespace ocspcache {

void ResponderHealth::record(std::string_view url, std::string_view issuer, bool ok,
                             std::string_view error, int64_t now) {
  std::lock_guard lock(mu_);
  State& s = by_url_[std::string(url)];
  Row& r = s.row;
  if (r.url.empty()) r.url = url;
  if (std::find(r.issuers.begin(), r.issuers.end(), issuer) == r.issuers.end()) {
    r.issuers.emplace_back(issuer);
  }
  r.up = ok;
  if (ok) {
    r.last_ok_at = now;
  } else {
    r.last_error = error;
    r.last_error_at = now;
  }
  if (r.recent_exchanges == kWindow && s.failed[s.next]) --r.recent_errors;
  s.failed[s.next] = !ok;
  if (!ok) ++r.recent_errors;
  if (r.recent_exchanges < kWindow) ++r.recent_exchanges;
  s.next = (s.next + 1) % kWindow;
}

std::vector<ResponderHealth::Row> ResponderHealth::snapshot() const {
  std::vector<Row> rows;
  {
    std::lock_guard lock(mu_);
    rows.reserve(by_url_.size());
    for (const auto& [url, s] : by_url_) rows.push_back(s.row);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.url < b.url; });
  return rows;
}

}  // namespace ocspcache
