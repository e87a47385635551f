// The configured issuers, consulted once per cache miss to route a CertID
// to its responders (DESIGN.md request path step 5).
#include "ocspcache/ocsp/issuer.h"

namespace ocspcache::ocsp {

IssuerRegistry::IssuerRegistry(std::vector<Issuer> issuers) : issuers_(std::move(issuers)) {}

IssuerRegistry IssuerRegistry::load(const std::vector<IssuerConfig>& cfgs,
                                    std::vector<Issuer> extra) {
  std::vector<Issuer> issuers;
  issuers.reserve(cfgs.size() + extra.size());
  for (const IssuerConfig& cfg : cfgs) issuers.push_back(Issuer::load(cfg));
  for (Issuer& issuer : extra) issuers.push_back(std::move(issuer));
  return IssuerRegistry(std::move(issuers));
}

const Issuer* IssuerRegistry::find(const CertIdView& id) const {
  for (const Issuer& issuer : issuers_) {
    if (issuer.matches(id)) return &issuer;
  }
  return nullptr;
}

}  // namespace ocspcache::ocsp
