// How one exchange with a responder ended: the `outcome` label of
// ocspcache_upstream_requests_total (DESIGN.md), and what failover decides on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ocspcache/ocsp/response.h"

namespace ocspcache {

enum class UpstreamOutcome : uint8_t {
  kGood, kRevoked, kUnknown, kTryLater, kUnauthorized, kMalformed, kInvalid,
  kTimeout, kHttpError, kConnectError,
};
constexpr size_t kUpstreamOutcomes = 10;
std::string_view to_label(UpstreamOutcome o);

// A validated answer: its (first CertID's) status.
UpstreamOutcome outcome_of(ocsp::CertStatus s);
// An answer that did not validate: the responder's OCSP status when it
// sent one (tryLater, unauthorized, malformedRequest), else `invalid`.
UpstreamOutcome outcome_of(const ocsp::ResponseFailure& f);

// A validated answer (good, revoked, unknown).
bool is_answer(UpstreamOutcome o);
// Does it say the responder is unavailable or broken, so that enough of
// them in a row open its circuit breaker? Timeouts, connection and HTTP
// failures, tryLater and invalid answers do. unauthorized and
// malformedRequest do not: the responder works and refuses one request,
// and counting them would let a client open the breaker (and cost every
// other client the responder) by asking about serials it does not know.
bool is_breaker_failure(UpstreamOutcome o);

}  // namespace ocspcache
