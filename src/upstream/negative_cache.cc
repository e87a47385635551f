#include "ocspcache/upstream/negative_cache.h"

namespace ocspcache {

NegativeCache::NegativeCache(Millis ttl, double jitter, uint64_t seed)
    : ttl_(ttl), fraction_(jitter), jitter_(seed) {}

void NegativeCache::set_ttl(Millis ttl) {
  std::lock_guard lock(mu_);
  ttl_ = ttl;
  if (ttl_.count() == 0) until_.clear();  // turned off: forget everything now
}

void NegativeCache::forget_all() {
  std::lock_guard lock(mu_);
  until_.clear();
}

bool NegativeCache::remembered(const ocsp::CacheKey& key, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = until_.find(key);
  if (it == until_.end()) return false;
  if (now_ms < it->second) return true;
  until_.erase(it);
  return false;
}

void NegativeCache::remember(const ocsp::CacheKey& key, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (ttl_.count() <= 0) return;
  if (until_.size() >= kMaxEntries && !until_.contains(key)) {
    absl::erase_if(until_, [now_ms](const auto& kv) { return kv.second <= now_ms; });
    if (until_.size() >= kMaxEntries) {
      ++not_remembered_;
      return;
    }
  }
  until_[key] = now_ms + jitter_.spread(ttl_.count(), fraction_);
}

size_t NegativeCache::size() const {
  std::lock_guard lock(mu_);
  return until_.size();
}

uint64_t NegativeCache::not_remembered() const {
  std::lock_guard lock(mu_);
  return not_remembered_;
}

}  // namespace ocspcache
