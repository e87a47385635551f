#include "ocspcache/upstream/responder_set.h"

#include <algorithm>

namespace ocspcache {

std::shared_ptr<Responder> ResponderSet::get(const HttpUrl& url) {
  std::lock_guard lock(mu_);
  auto& slot = by_url_[url.original];
  if (!slot) slot = std::make_shared<Responder>(url, policy_);
  return slot;
}

void ResponderSet::set_breaker_policy(const BreakerPolicy& policy) {
  std::lock_guard lock(mu_);
  policy_ = policy;
  for (auto& [url, r] : by_url_) r->set_breaker_policy(policy);
}

std::vector<Responder::Health> ResponderSet::health() const {
  std::vector<std::shared_ptr<Responder>> all;
  {
    std::lock_guard lock(mu_);
    all.reserve(by_url_.size());
    for (const auto& [url, r] : by_url_) all.push_back(r);
  }
  std::vector<Responder::Health> rows;
  for (const auto& r : all) {
    if (r->known()) rows.push_back(r->health());
  }
  std::sort(rows.begin(), rows.end(),
            [](const Responder::Health& a, const Responder::Health& b) { return a.url < b.url; });
  return rows;
}

}  // namespace ocspcache
