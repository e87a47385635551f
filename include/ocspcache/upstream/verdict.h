// What one responder's reply is worth (DESIGN.md step 6): a validated
// answer, or a failure with its outcome label and a reason for logs and
// /status. Pure: no I/O, no clock of its own; unit-tested with replies
// built in memory.
#pragma once

#include <optional>
#include <string>

#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/upstream/client.h"
#include "ocspcache/upstream/outcome.h"

namespace ocspcache {

struct Verdict {
  UpstreamOutcome outcome = UpstreamOutcome::kInvalid;
  std::optional<ocsp::ValidatedResponse> answer;  // set iff the reply validated
  std::string why;                                // "" when it did
};

// `req` is the request the reply answers, `issuer` the one whose key must
// have signed it, `now` and `skew_seconds` bound thisUpdate/nextUpdate.
Verdict judge_reply(const UpstreamReply& reply, const ocsp::DecodedRequest& req,
                    const ocsp::Issuer& issuer, int64_t now, int64_t skew_seconds);

// Forward-proxy mode may ask about an issuer that is not configured
// (`issuer` null): every check but the signature applies.
Verdict judge_reply(const UpstreamReply& reply, const ocsp::DecodedRequest& req,
                    const ocsp::Issuer* issuer, int64_t now, int64_t skew_seconds);

}  // namespace ocspcache
