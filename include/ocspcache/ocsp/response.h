// OCSP responses: the fixed error answers we send, and parsing plus
// validation of what responders send us (DESIGN.md request path step 6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/ocsp/request.h"
#include "ocspcache/util/result.h"

namespace ocspcache::ocsp {

class Issuer;

// Values as ssl_ocsp_response_status exports them (ssl_exporter).
enum class CertStatus : uint8_t { kGood = 0, kRevoked = 1, kUnknown = 2 };
std::string_view to_string(CertStatus s);

// OCSPResponseStatus (RFC 6960 §4.2.1).
enum class ResponseCode : uint8_t {
  kSuccessful = 0,
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};

// The 5-byte OCSPResponse carrying only a non-successful status. Static
// storage; never freed.
std::span<const uint8_t> error_response_der(ResponseCode code);

enum class ResponseError {
  kNotDer,              // not a parseable OCSPResponse
  kNotSuccessful,       // responseStatus != successful (see upstream_code)
  kNotBasic,            // no BasicOCSPResponse inside
  kMissingCertId,       // no SingleResponse for an asked CertID
  kNoNextUpdate,        // nextUpdate absent: nothing to bound caching with
  kNotYetValid,         // thisUpdate beyond now + skew
  kExpired,             // nextUpdate <= now
  kSignerNotFound,      // no certificate matches the ResponderID
  kBadSignature,        // signature does not verify
  kUnauthorizedSigner,  // neither the issuer nor its id-kp-OCSPSigning delegate
};
std::string_view to_string(ResponseError e);

struct ResponseFailure {
  ResponseError error;
  ResponseCode upstream_code = ResponseCode::kSuccessful;  // for kNotSuccessful
  std::string detail;  // human text for logs and /status
};

struct SingleStatus {
  CertStatus status = CertStatus::kUnknown;
  int64_t this_update = 0;  // unix seconds
  int64_t next_update = 0;
  int64_t revoked_at = 0;   // 0 unless revoked
  // CRLReason (RFC 5280 §5.3.1) of a revoked certificate; kNoReason when
  // the responder gave none (and for good and unknown).
  int revocation_reason = kNoReason;
  // RFC 6960 §2.2: "revoked" for a certificate that was never issued, which
  // a responder marks with revocationTime 1970-01-01T00:00:00Z (and reason
  // certificateHold, and the extended-revoke extension). The time alone is
  // the mark: no real revocation is dated 1970, while the extension only
  // says the responder *may* answer so and comes with real revocations too.
  // The metrics report such a certificate as unknown, not revoked.
  bool non_issued = false;

  static constexpr int kNoReason = -1;
  static constexpr int kCertificateHold = 6;
  // Revoked for good: any reason but certificateHold (which may be lifted),
  // and no reason at all. What the cache's revocation ledger remembers.
  bool revoked_for_good() const {
    return status == CertStatus::kRevoked && revocation_reason != kCertificateHold;
  }
};

struct ValidatedResponse {
  std::vector<SingleStatus> singles;  // one per requested CertID, request order
  int64_t produced_at = 0;
  int64_t this_update = 0;  // latest thisUpdate of the singles
  int64_t next_update = 0;  // earliest nextUpdate: the entry's end of life
};

// Parses and validates `der` as the answer to `req`. `issuer` may be null
// (forward-proxy mode without a configured issuer): then the signature is
// not checked. `now` and `skew_seconds` bound thisUpdate/nextUpdate.
Result<ValidatedResponse, ResponseFailure> validate_response(std::span<const uint8_t> der,
                                                             const DecodedRequest& req,
                                                             const Issuer* issuer, int64_t now,
                                                             int64_t skew_seconds);

}  // namespace ocspcache::ocsp
