// What a reload no longer trusts (issue 10): an [[issuer]] removed, or one
// whose certificate was replaced (compared by certificate, not by name).
// Its cached answers were validated against a certificate that is no
// longer configured, and the hit path serves the store before it routes,
// so they must leave the store at once: the next request for them is then
// refused `unauthorized` (issuer gone) or fetched and validated afresh
// (certificate replaced).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ocspcache/cache/store.h"
#include "ocspcache/ocsp/issuer.h"

namespace ocspcache {

// The issuers of `before` whose certificate no issuer of `after` has.
std::vector<const ocsp::Issuer*> issuers_no_longer_trusted(const ocsp::IssuerRegistry& before,
                                                           const ocsp::IssuerRegistry& after);

// Erases every entry of `store` with a SingleResponse whose CertID names
// one of `issuers`; returns how many. Parses each cached response (rare:
// reloads that drop an issuer only), with no store lock held while erasing.
size_t erase_answers_of(Store& store, const std::vector<const ocsp::Issuer*>& issuers);

}  // namespace ocspcache
