#include "ocspcache/upstream/outcome.h"

namespace ocspcache {

std::string_view to_label(UpstreamOutcome o) {
  static constexpr std::string_view kNames[kUpstreamOutcomes] = {
      "good",      "revoked", "unknown", "try_later",  "unauthorized",
      "malformed", "invalid", "timeout", "http_error", "connect_error"};
  return kNames[static_cast<size_t>(o)];
}

UpstreamOutcome outcome_of(ocsp::CertStatus s) {
  switch (s) {
    case ocsp::CertStatus::kGood: return UpstreamOutcome::kGood;
    case ocsp::CertStatus::kRevoked: return UpstreamOutcome::kRevoked;
    case ocsp::CertStatus::kUnknown: return UpstreamOutcome::kUnknown;
  }
  return UpstreamOutcome::kUnknown;
}

UpstreamOutcome outcome_of(const ocsp::ResponseFailure& f) {
  if (f.error != ocsp::ResponseError::kNotSuccessful) return UpstreamOutcome::kInvalid;
  switch (f.upstream_code) {
    case ocsp::ResponseCode::kTryLater: return UpstreamOutcome::kTryLater;
    case ocsp::ResponseCode::kUnauthorized: return UpstreamOutcome::kUnauthorized;
    case ocsp::ResponseCode::kMalformedRequest: return UpstreamOutcome::kMalformed;
    default: return UpstreamOutcome::kInvalid;
  }
}

bool is_answer(UpstreamOutcome o) {
  return o == UpstreamOutcome::kGood || o == UpstreamOutcome::kRevoked ||
         o == UpstreamOutcome::kUnknown;
}

bool is_breaker_failure(UpstreamOutcome o) {
  return !is_answer(o) && o != UpstreamOutcome::kUnauthorized && o != UpstreamOutcome::kMalformed;
}

}  // namespace ocspcache
