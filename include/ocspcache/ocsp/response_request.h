// The request a stored response answers, rebuilt from the response itself:
// an OCSPRequest holding the CertIDs of its SingleResponses, in order. What
// re-validating a response read back from storage needs (a snapshot keeps
// only the DER), since validate_response checks an answer against a
// request. The cache key of the rebuilt request must still equal the key
// the response was stored under: that is the caller's check.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ocspcache::ocsp {

// DER of the rebuilt request; empty when `der` is not a successful basic
// response with at least one SingleResponse.
std::vector<uint8_t> request_for_response(std::span<const uint8_t> der);

}  // namespace ocspcache::ocsp
