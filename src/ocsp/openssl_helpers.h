// Small pieces both OpenSSL-side readers of OCSP responses need
// (response_validate.cc on the upstream path, response_identify.cc for the
// metrics' revival scan). Internal to src/ocsp.
#pragma once

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <cstdint>
#include <ctime>
#include <optional>

#include "ocspcache/ocsp/response.h"

namespace ocspcache::ocsp::detail {

// The OpenSSL error queue is per thread; leave it empty for whoever runs next.
struct ErrorQueueGuard {
  ErrorQueueGuard() = default;
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

inline std::optional<int64_t> to_unix(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  tm parts{};
  if (ASN1_TIME_to_tm(t, &parts) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&parts));
}

inline CertStatus cert_status(int status) {
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      return CertStatus::kGood;
    case V_OCSP_CERTSTATUS_REVOKED:
      return CertStatus::kRevoked;
    default:
      return CertStatus::kUnknown;
  }
}

}  // namespace ocspcache::ocsp::detail
