// Which certificates a cached response answers, read back from its DER.
//
// The CertTracker keeps no record for a certificate it does not export
// (issue 5: the cache must cost < 256 bytes per entry beyond the DER), so
// when a hit brings back a certificate that lost its series, the tracker
// learns who it is from the cached response. Rare path only: it parses the
// whole response with OpenSSL.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/util/function_ref.h"

namespace ocspcache::ocsp {

class IssuerRegistry;

struct IdentifiedSingle {
  std::string issuer;  // the [[issuer]] name: the `issuer` label
  std::string serial;  // as serial_hex spells it: the `serial` label
  SingleStatus single;
  int64_t produced_at = 0;
};

// The SingleResponses of the response cached under `key` that the key
// covers, i.e. that validate_response checked against the request: the one
// whose CertID is `key`, or, for a multi-CertID key, every one when their
// CertIDs in response order make up the key. Each must name a configured
// issuer. Empty for anything else (not a successful basic response; a
// multi-CertID entry answered in another order or with extra SingleResponses,
// whose certificates then come back with their next upstream answer). The
// signature is not checked again: the cache only holds validated responses.
std::vector<IdentifiedSingle> identify_response(std::span<const uint8_t> der, const CacheKey& key,
                                                const IssuerRegistry& registry);

// True when a SingleResponse of `der` has a CertID that `matches` accepts
// (e.g. Issuer::matches: is this an answer about one of its certificates?).
// Every SingleResponse counts, covered by the key or not. False for anything
// that is not a successful basic response.
bool response_names_any(std::span<const uint8_t> der,
                        FunctionRef<bool(const CertIdView&)> matches);

}  // namespace ocspcache::ocsp
