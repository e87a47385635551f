#include "ocspcache/upstream/responder_set.h"

#include <algorithm>

namespace ocspcache {

std::shared_ptr<Responder> ResponderSet::get(const HttpUrl& url) {
  std::lock_guard lock(mu_);
  auto& slot = by_url_[url.original];
  if (!slot) slot = std::make_shared<Responder>(url, policy_);
  // Configured now (a reload listed it): no longer one to forget.
  std::erase(forwarded_, url.original);
  slot->set_forwarded(false);
  return slot;
}

std::shared_ptr<Responder> ResponderSet::get_forwarded(const HttpUrl& url, size_t max) {
  std::lock_guard lock(mu_);
  auto forwarded = std::find(forwarded_.begin(), forwarded_.end(), url.original);
  if (forwarded != forwarded_.end()) {
    std::rotate(forwarded, forwarded + 1, forwarded_.end());  // now the most recent
    return by_url_.at(url.original);
  }
  if (auto it = by_url_.find(url.original); it != by_url_.end()) return it->second;  // configured
  if (forwarded_.size() >= max) {
    // Only the set holds an unused responder; one a fetch holds stays.
    auto victim = std::find_if(forwarded_.begin(), forwarded_.end(), [this](const std::string& k) {
      return by_url_.at(k).use_count() == 1;
    });
    if (victim == forwarded_.end()) return nullptr;
    by_url_.erase(*victim);
    forwarded_.erase(victim);
  }
  auto responder = std::make_shared<Responder>(url, policy_);
  responder->set_forwarded(true);
  by_url_.emplace(url.original, responder);
  forwarded_.push_back(url.original);
  return responder;
}

size_t ResponderSet::forwarded_count() const {
  std::lock_guard lock(mu_);
  return forwarded_.size();
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
