#include "ocspcache/upstream/fetcher.h"

#include <string>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {

struct Fetcher::Job {
  ocsp::CacheKey key;
  std::vector<uint8_t> request_der;
  std::shared_ptr<const ocsp::IssuerRegistry> registry;
  const ocsp::Issuer* issuer;
  size_t next = 0;
  ocsp::ResponseCode final_code = ocsp::ResponseCode::kTryLater;
  std::vector<std::string> serials;  // per CertID, request order: the metric labels
  std::string last_error;            // for /status when every responder fails
};

namespace {

UpstreamOutcome outcome_of(const ocsp::ResponseFailure& f) {
  if (f.error != ocsp::ResponseError::kNotSuccessful) return UpstreamOutcome::kInvalid;
  switch (f.upstream_code) {
    case ocsp::ResponseCode::kTryLater: return UpstreamOutcome::kTryLater;
    case ocsp::ResponseCode::kUnauthorized: return UpstreamOutcome::kUnauthorized;
    case ocsp::ResponseCode::kMalformedRequest: return UpstreamOutcome::kMalformed;
    default: return UpstreamOutcome::kInvalid;
  }
}

UpstreamOutcome outcome_of(ocsp::CertStatus s) {
  switch (s) {
    case ocsp::CertStatus::kGood: return UpstreamOutcome::kGood;
    case ocsp::CertStatus::kRevoked: return UpstreamOutcome::kRevoked;
    case ocsp::CertStatus::kUnknown: return UpstreamOutcome::kUnknown;
  }
  return UpstreamOutcome::kUnknown;
}

// Writes a warning unless the same key was logged within
// log.upstream_error_interval; the line that gets through says how many
// were held back.
void warn_limited(std::string_view key, std::string_view event, std::string fields) {
  uint64_t suppressed = 0;
  if (!log::upstream_errors().allow(key, &suppressed)) return;
  if (suppressed > 0) fields += " suppressed=" + std::to_string(suppressed);
  log::warn(event, fields);
}

}  // namespace

void Fetcher::start(const ocsp::CacheKey& key, std::vector<uint8_t> request_der,
                    std::shared_ptr<const ocsp::IssuerRegistry> registry,
                    const ocsp::Issuer& issuer) {
  auto job = std::make_shared<Job>();
  job->key = key;
  job->request_der = std::move(request_der);
  job->registry = std::move(registry);
  job->issuer = &issuer;
  if (auto decoded = ocsp::decode_request(job->request_der); decoded.ok()) {
    for (const auto& id : decoded->cert_ids()) job->serials.push_back(ocsp::serial_hex(id.serial));
  }
  try_next(std::move(job));
}

void Fetcher::try_next(std::shared_ptr<Job> job) {
  const auto& responders = job->issuer->responders();
  if (job->next >= responders.size()) {
    const int64_t now = now_unix();
    for (const auto& serial : job->serials) {
      metrics_.certs().exhausted(job->issuer->name(), serial, job->last_error, now);
    }
    warn_limited("exhausted\n" + job->issuer->name(), "upstream_exhausted",
                 "issuer=\"" + job->issuer->name() + "\" key=" + job->key.hex().substr(0, 16) +
                     " answer=tryLater");
    flights_.complete(job->key, FetchOutcome{nullptr, job->final_code});
    return;
  }
  const HttpUrl& url = responders[job->next++];
  client_.post(url, job->request_der, [this, job, &url](UpstreamReply reply) {
    UpstreamOutcome outcome = UpstreamOutcome::kInvalid;
    std::string why;
    switch (reply.transport) {
      case TransportStatus::kTimeout: outcome = UpstreamOutcome::kTimeout; why = "timeout"; break;
      case TransportStatus::kConnectError:
        outcome = UpstreamOutcome::kConnectError;
        why = "connect failed or closed before an answer";
        break;
      case TransportStatus::kHttpError:
        outcome = UpstreamOutcome::kHttpError;
        why = "malformed HTTP or answer over upstream.max_response";
        break;
      case TransportStatus::kOk: break;
    }
    if (reply.transport == TransportStatus::kOk) {
      if (reply.http_status != 200) {
        outcome = UpstreamOutcome::kHttpError;
        why = "HTTP " + std::to_string(reply.http_status);
      } else {
        auto decoded = ocsp::decode_request(job->request_der);
        auto v = decoded.ok() ? ocsp::validate_response(reply.body, *decoded, job->issuer,
                                                        now_unix(), skew_.count() / 1000)
                              : Result<ocsp::ValidatedResponse, ocsp::ResponseFailure>(
                                    Err{ocsp::ResponseFailure{ocsp::ResponseError::kNotDer, ocsp::ResponseCode::kSuccessful, "request re-decode failed"}});
        if (v.ok()) {
          const ocsp::CertStatus first =
              v->singles.empty() ? ocsp::CertStatus::kUnknown : v->singles.front().status;
          outcome = outcome_of(first);
          metrics_.upstream_result(url.original, outcome, reply.seconds);
          const int64_t now = now_unix();
          metrics_.responders().record(url.original, job->issuer->name(), true, {}, now);
          // The entry first, so each certificate's record holds it and hits
          // on it count as "asked"; inserted after answered() returns, so
          // the tracker's lock and the cache's are never held together.
          EntryPtr entry = CachedResponse::make(job->key, reply.body, *v);
          for (size_t i = 0; i < v->singles.size() && i < job->serials.size(); ++i) {
            metrics_.certs().answered(job->issuer->name(), job->serials[i], v->singles[i],
                                      v->produced_at, now, entry);
          }
          cache_.insert(entry);
          // entry is never null here: upstream.max_response (at most 16 MiB)
          // keeps the DER far below make()'s 4 GiB limit.
          log::debug("upstream_ok", "responder=" + url.original + " status=" +
                                        std::string(ocsp::to_string(first)));
          flights_.complete(job->key, FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful});
          return;
        }
        outcome = outcome_of(v.error());
        why = std::string(ocsp::to_string(v.error().error));
        if (!v.error().detail.empty()) why += ": " + v.error().detail;
      }
    }
    metrics_.upstream_result(url.original, outcome, reply.seconds);
    const int64_t now = now_unix();
    const std::string error = std::string(to_label(outcome)) + " (" + why + ")";
    job->last_error = url.original + ": " + error;
    metrics_.responders().record(url.original, job->issuer->name(), false, error, now);
    for (const auto& serial : job->serials) {
      metrics_.certs().upstream_error(job->issuer->name(), serial, job->last_error, now);
    }
    warn_limited(url.original + "\n" + to_label(outcome), "upstream_failed",
                 "responder=" + url.original + " outcome=" + to_label(outcome) + " reason=\"" +
                     why + "\"");
    try_next(job);
  });
}

}  // namespace ocspcache
