#include "ocspcache/upstream/verdict.h"

namespace ocspcache {
namespace {

Verdict failed(UpstreamOutcome outcome, std::string why) {
  return Verdict{outcome, std::nullopt, std::move(why)};
}

}  // namespace

Verdict judge_reply(const UpstreamReply& reply, const ocsp::DecodedRequest& req,
                    const ocsp::Issuer& issuer, int64_t now, int64_t skew_seconds) {
  return judge_reply(reply, req, &issuer, now, skew_seconds);
}

Verdict judge_reply(const UpstreamReply& reply, const ocsp::DecodedRequest& req,
                    const ocsp::Issuer* issuer, int64_t now, int64_t skew_seconds) {
  switch (reply.transport) {
    case TransportStatus::kTimeout:
      return failed(UpstreamOutcome::kTimeout, "timeout");
    case TransportStatus::kConnectError:
      return failed(UpstreamOutcome::kConnectError, "connect failed or closed before an answer");
    case TransportStatus::kHttpError:
      return failed(UpstreamOutcome::kHttpError,
                    "malformed HTTP or answer over upstream.max_response");
    case TransportStatus::kOk:
      break;
  }
  if (reply.http_status != 200) {
    return failed(UpstreamOutcome::kHttpError, "HTTP " + std::to_string(reply.http_status));
  }
  auto v = ocsp::validate_response(reply.body, req, issuer, now, skew_seconds);
  if (!v.ok()) {
    std::string why(ocsp::to_string(v.error().error));
    if (!v.error().detail.empty()) why += ": " + v.error().detail;
    return failed(outcome_of(v.error()), std::move(why));
  }
  const ocsp::CertStatus first =
      v->singles.empty() ? ocsp::CertStatus::kUnknown : v->singles.front().status;
  return Verdict{outcome_of(first), std::move(v).value(), {}};
}

}  // namespace ocspcache
