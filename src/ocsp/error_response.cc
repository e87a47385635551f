// The OCSPResponses we answer with when we have no valid response to give
// (RFC 6960 §4.2.1): only a responseStatus, no responseBytes. They are
// constants, so the error path costs no encoding and no allocation.
#include <array>
#include <cassert>

#include "ocspcache/ocsp/response.h"

namespace ocspcache::ocsp {
namespace {

// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED }
constexpr std::array<uint8_t, 5> encoded(uint8_t status) {
  return {0x30, 0x03, 0x0A, 0x01, status};
}
constexpr std::array<uint8_t, 5> kMalformedRequest = encoded(1);
constexpr std::array<uint8_t, 5> kInternalError = encoded(2);
constexpr std::array<uint8_t, 5> kTryLater = encoded(3);
constexpr std::array<uint8_t, 5> kSigRequired = encoded(5);
constexpr std::array<uint8_t, 5> kUnauthorized = encoded(6);

}  // namespace

std::span<const uint8_t> error_response_der(ResponseCode code) {
  switch (code) {
    case ResponseCode::kMalformedRequest:
      return kMalformedRequest;
    case ResponseCode::kInternalError:
      return kInternalError;
    case ResponseCode::kTryLater:
      return kTryLater;
    case ResponseCode::kSigRequired:
      return kSigRequired;
    case ResponseCode::kUnauthorized:
      return kUnauthorized;
    case ResponseCode::kSuccessful:
      break;
  }
  // A successful response must carry responseBytes; there is no 5-byte
  // form of it, so a caller asking for one has a bug. Fail safe.
  assert(false && "error_response_der(kSuccessful)");
  return kInternalError;
}

}  // namespace ocspcache::ocsp
