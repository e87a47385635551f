#include "ocspcache/ocsp/delegate_cache.h"

#include <algorithm>

namespace ocspcache::ocsp {

bool DelegateCache::known(const CertHash& hash, int64_t now) const {
  std::lock_guard lock(mu_);
  for (const Known& k : known_) {
    if (k.hash == hash) return now >= k.not_before && now <= k.not_after;
  }
  return false;
}

X509Ptr DelegateCache::find(const CertHash& hash, int64_t now) const {
  std::lock_guard lock(mu_);
  for (const Known& k : known_) {
    if (k.hash != hash) continue;
    if (now < k.not_before || now > k.not_after || !k.cert) return nullptr;
    X509_up_ref(k.cert.get());
    return X509Ptr(k.cert.get());
  }
  return nullptr;
}

void DelegateCache::remember(const CertHash& hash, X509* cert, int64_t not_before,
                             int64_t not_after) {
  X509_up_ref(cert);
  const std::shared_ptr<X509> kept(cert, X509_free);
  std::lock_guard lock(mu_);
  for (Known& k : known_) {
    if (k.hash == hash) {
      k = {hash, kept, not_before, not_after};
      return;
    }
  }
  if (known_.size() >= kMaxDelegates) {
    // Expired ones first: the earliest notAfter is the least useful.
    auto first_to_go = std::min_element(known_.begin(), known_.end(), [](const Known& a, const Known& b) {
      return a.not_after < b.not_after;
    });
    known_.erase(first_to_go);
  }
  known_.push_back({hash, kept, not_before, not_after});
}

void DelegateCache::count_full_check() {
  std::lock_guard lock(mu_);
  ++full_checks_;
}

uint64_t DelegateCache::full_checks() const {
  std::lock_guard lock(mu_);
  return full_checks_;
}

size_t DelegateCache::size() const {
  std::lock_guard lock(mu_);
  return known_.size();
}

}  // namespace ocspcache::ocsp
