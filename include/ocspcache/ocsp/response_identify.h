// Which certificates a cached response answers, read back from its DER.
//
// The CertTracker keeps no object for a certificate it does not export
// (issue 5: the cache must cost < 256 bytes per entry beyond the DER), so
// when a hit brings back a certificate that lost its series, the tracker
// learns who it is from the entry itself. Rare path only: it parses the
// whole response with OpenSSL, a few tens of microseconds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ocspcache/ocsp/response.h"

namespace ocspcache::ocsp {

class IssuerRegistry;

struct IdentifiedSingle {
  std::string issuer;  // the [[issuer]] name: the `issuer` label
  std::string serial;  // as serial_hex spells it: the `serial` label
  SingleStatus single;
  int64_t produced_at = 0;
};

// One element per SingleResponse whose CertID names a configured issuer,
// in response order. Empty for anything that is not a successful basic
// response. The signature is not checked: the cache only holds responses
// validate_response accepted.
std::vector<IdentifiedSingle> identify_response(std::span<const uint8_t> der,
                                                const IssuerRegistry& registry);

}  // namespace ocspcache::ocsp
