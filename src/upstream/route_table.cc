#include "ocspcache/upstream/route_table.h"

namespace ocspcache {

RouteTable::RouteTable(std::shared_ptr<const ocsp::IssuerRegistry> registry,
                       ResponderSet& responders)
    : registry_(std::move(registry)) {
  for (const ocsp::Issuer& issuer : registry_->issuers()) {
    Route route;
    route.issuer = &issuer;
    for (const HttpUrl& url : issuer.responders()) route.responders.push_back(responders.get(url));
    routes_.push_back(std::move(route));
  }
}

const Route* RouteTable::find(const ocsp::DecodedRequest& req) const {
  if (req.count == 0) return nullptr;
  const auto& issuers = registry_->issuers();
  for (size_t i = 0; i < issuers.size(); ++i) {
    bool all = true;
    for (const ocsp::CertIdView& id : req.cert_ids()) {
      if (!issuers[i].matches(id)) {
        all = false;
        break;
      }
    }
    if (all) return &routes_[i];
  }
  return nullptr;
}

}  // namespace ocspcache
