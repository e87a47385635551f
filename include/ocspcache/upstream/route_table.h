// Routing of a miss (DESIGN.md step 5): the configured issuer a request's
// CertIDs name, and that issuer's responders in the order they are tried.
//
// Built from the issuer registry at start-up and at each reload, and swapped
// whole; a fetch holds the table it started with (shared_ptr), so a reload
// never frees a route in use.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/upstream/responder.h"
#include "ocspcache/upstream/responder_set.h"

namespace ocspcache {

struct Route {
  // Owned by the table's registry. Null only on a forward-proxy route for
  // an issuer that is not configured: then no signature is checked.
  const ocsp::Issuer* issuer = nullptr;
  std::vector<std::shared_ptr<Responder>> responders;  // tried in this order
  std::string forward_host;  // forward-proxy routes: the host the client named
  // The `issuer` label of logs and metrics: the issuer's name, or for an
  // unconfigured issuer in forward-proxy mode the responder's host.
  std::string_view name() const { return issuer != nullptr ? issuer->name() : forward_host; }
};

class RouteTable {
 public:
  RouteTable(std::shared_ptr<const ocsp::IssuerRegistry> registry, ResponderSet& responders);

  // The route when every CertID of `req` names one configured issuer (its
  // responders are asked and its key checks the answer); null otherwise,
  // and the request is answered `unauthorized`. A linear scan: fleets
  // configure a handful of issuers. Misses only.
  const Route* find(const ocsp::DecodedRequest& req) const;

  const ocsp::IssuerRegistry& registry() const { return *registry_; }

 private:
  std::shared_ptr<const ocsp::IssuerRegistry> registry_;
  std::vector<Route> routes_;  // parallel to registry_->issuers()
};

}  // namespace ocspcache
