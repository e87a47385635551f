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

}  // namespace ocspcache
