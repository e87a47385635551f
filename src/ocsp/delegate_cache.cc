#include "delegate_cache.h"

namespace ocspcache::ocsp::detail {

DelegateCache& DelegateCache::instance() {
  static DelegateCache cache;
  return cache;
}

X509Ptr DelegateCache::find(const CertDigest& digest, X509* issuer, int64_t now) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(digest);
  if (it == entries_.end()) return nullptr;
  const Entry& e = it->second;
  if (now < e.not_before || now > e.not_after || X509_cmp(e.issuer.get(), issuer) != 0) {
    return nullptr;
  }
  X509_up_ref(e.signer.get());
  return X509Ptr(e.signer.get());
}

void DelegateCache::remember(const CertDigest& digest, X509* signer, X509* issuer,
                             int64_t not_before, int64_t not_after) {
  std::lock_guard lock(mu_);
  ++authorisations_;
  // Full: start again rather than track age. A CA has a handful of live
  // delegates; 1024 distinct ones means churn, and re-authorising is only
  // the cost of a miss before this cache existed.
  if (entries_.size() >= kMaxEntries) entries_.clear();
  X509_up_ref(signer);
  X509_up_ref(issuer);
  entries_[digest] = Entry{X509Ptr(signer), X509Ptr(issuer), not_before, not_after};
}

uint64_t DelegateCache::authorisations() const {
  std::lock_guard lock(mu_);
  return authorisations_;
}

size_t DelegateCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace ocspcache::ocsp::detail
