#include "ocspcache/upstream/fetcher.h"

#include <algorithm>
#include <string>

#include "ocspcache/upstream/verdict.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {

// Small on purpose: one is allocated per miss and lives while the cache
// entry is allocated, so a Job larger than an entry leaves a hole that the
// next entry splits (bench/RESULTS.md, Scale: a Job holding the decoded
// request, 1.3 KB, cost 100-150 B of RSS per cached response). The request
// is decoded again for each reply instead (~70 ns, no allocation).
struct Fetcher::Job {
  FetchRequest request;
  bool decoded_ok = false;  // the request parses: responders can be asked
  int64_t deadline_ms = 0;  // monotonic
  size_t next = 0;
  FetchResult result;
  Done done;
};

namespace {

// The least time worth giving a failover exchange: with less left of the
// deadline a responder cannot answer (a new connection, a signature), and
// the client would only wait longer for the same tryLater. The first
// responder is always asked, whatever the deadline.
constexpr int64_t kMinFailoverMs = 50;

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

std::string FetchResult::last_error() const {
  for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
    if (!it->error.empty()) return it->responder + ": " + it->error;
  }
  if (!skipped.empty()) return skipped.back() + ": breaker open";
  if (deadline_passed) return "upstream.deadline passed";
  return {};
}

void Fetcher::fetch(FetchRequest request, Done done) {
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->decoded_ok = ocsp::decode_request(job->request.request_der).ok();
  job->deadline_ms = clock_.monotonic_ms() + options_.deadline.count();
  try_next(std::move(job));
}

void Fetcher::try_next(std::shared_ptr<Job> job) {
  const Route& route = *job->request.route;
  while (job->decoded_ok && job->next < route.responders.size()) {
    const int64_t now_ms = clock_.monotonic_ms();
    const int64_t left_ms = job->deadline_ms - now_ms;
    if (left_ms <= 0 || (job->next > 0 && left_ms < kMinFailoverMs)) {
      job->result.deadline_passed = true;
      break;
    }
    Responder& responder = *route.responders[job->next++];
    if (!responder.admit(now_ms)) {
      job->result.skipped.push_back(responder.url().original);
      continue;
    }
    const Millis timeout{std::min<int64_t>(options_.timeout.count(), left_ms)};
    client_.post(responder.url(), job->request.request_der, timeout,
                 [this, job, &responder](UpstreamReply reply) {
                   on_reply(job, responder, std::move(reply));
                 });
    return;
  }
  const std::string issuer_name(route.name());
  warn_limited("exhausted\n" + issuer_name, "upstream_exhausted",
               "issuer=\"" + issuer_name + "\" key=" +
                   job->request.key.hex().substr(0, 16) + " answer=tryLater" +
                   (job->result.deadline_passed ? " deadline_passed=1" : "") +
                   (job->result.skipped.empty()
                        ? ""
                        : " breaker_open=" + std::to_string(job->result.skipped.size())));
  finish(job);
}

void Fetcher::on_reply(const std::shared_ptr<Job>& job, Responder& responder, UpstreamReply reply) {
  const Route& route = *job->request.route;
  const int64_t now = clock_.unix_seconds();
  // decoded_ok was checked before any responder was asked.
  const auto decoded = ocsp::decode_request(job->request.request_der);
  Verdict v = judge_reply(reply, *decoded, route.issuer, now, options_.clock_skew.count() / 1000);
  const std::string& url = responder.url().original;
  UpstreamAttempt attempt{url, v.outcome, reply.seconds, {}};
  if (v.answer) {
    responder.record(route.name(), v.outcome, {}, now, clock_.monotonic_ms());
    job->result.attempts.push_back(std::move(attempt));
    job->result.code = ocsp::ResponseCode::kSuccessful;
    job->result.der = std::move(reply.body);
    job->result.answer = std::move(*v.answer);
    log::debug("upstream_ok", "responder=" + url + " outcome=" + std::string(to_label(v.outcome)));
    finish(job);
    return;
  }
  attempt.error = std::string(to_label(v.outcome)) + " (" + v.why + ")";
  responder.record(route.name(), v.outcome, attempt.error, now, clock_.monotonic_ms());
  job->result.attempts.push_back(std::move(attempt));
  warn_limited(url + "\n" + std::string(to_label(v.outcome)), "upstream_failed",
               "responder=" + url + " outcome=" + std::string(to_label(v.outcome)) + " reason=\"" +
                   v.why + "\"");
  try_next(job);
}

void Fetcher::finish(const std::shared_ptr<Job>& job) {
  Done done = std::move(job->done);
  done(std::move(job->result));
}

}  // namespace ocspcache
