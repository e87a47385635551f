// Names of the response enums as they appear in logs, /status and metric
// labels: lower snake case, stable (dashboards and alerts match on them).
#include "ocspcache/ocsp/response.h"

namespace ocspcache::ocsp {

std::string_view to_string(CertStatus s) {
  switch (s) {
    case CertStatus::kGood:
      return "good";
    case CertStatus::kRevoked:
      return "revoked";
    case CertStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view to_string(ResponseError e) {
  switch (e) {
    case ResponseError::kNotDer:
      return "not_der";
    case ResponseError::kNotSuccessful:
      return "not_successful";
    case ResponseError::kNotBasic:
      return "not_basic";
    case ResponseError::kMissingCertId:
      return "missing_cert_id";
    case ResponseError::kNoNextUpdate:
      return "no_next_update";
    case ResponseError::kNotYetValid:
      return "not_yet_valid";
    case ResponseError::kExpired:
      return "expired";
    case ResponseError::kSignerNotFound:
      return "signer_not_found";
    case ResponseError::kBadSignature:
      return "bad_signature";
    case ResponseError::kUnauthorizedSigner:
      return "unauthorized_signer";
  }
  return "unknown";
}

}  // namespace ocspcache::ocsp
