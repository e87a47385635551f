#include "ocspcache/app/trust_reload.h"

#include <openssl/x509.h>

#include "ocspcache/ocsp/response_identify.h"

namespace ocspcache {

std::vector<const ocsp::Issuer*> issuers_no_longer_trusted(const ocsp::IssuerRegistry& before,
                                                           const ocsp::IssuerRegistry& after) {
  std::vector<const ocsp::Issuer*> gone;
  for (const ocsp::Issuer& old : before.issuers()) {
    bool kept = false;
    for (const ocsp::Issuer& now : after.issuers()) {
      // The certificate decides, not the name: a renamed issuer keeps its
      // answers (they were validated against the same key), a replaced
      // certificate under the same name loses them.
      if (X509_cmp(old.cert(), now.cert()) == 0) {
        kept = true;
        break;
      }
    }
    if (!kept) gone.push_back(&old);
  }
  return gone;
}

size_t erase_answers_of(Store& store, const std::vector<const ocsp::Issuer*>& issuers) {
  if (issuers.empty()) return 0;
  auto names_one = [&](const ocsp::CertIdView& id) {
    for (const ocsp::Issuer* issuer : issuers) {
      if (issuer->matches(id)) return true;
    }
    return false;
  };
  // Collected first: walk's callback must not call back into the store.
  std::vector<ocsp::CacheKey> doomed;
  store.walk([&](const CachedResponse& entry) {
    if (ocsp::response_names_any(entry.der(), names_one)) doomed.push_back(entry.key());
  });
  for (const ocsp::CacheKey& key : doomed) store.erase(key);
  return doomed.size();
}

}  // namespace ocspcache
