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
  bool ended = false;       // `done` has run; replies still out are late
  int64_t deadline_ms = 0;  // monotonic
  size_t next = 0;          // the next responder of the route to consider
  size_t outstanding = 0;   // exchanges sent and not yet answered
  FetchGate::Ticket ticket = 0;      // while queued
  Timers::TimerId queue_timer = 0;   // while queued: the deadline
  Timers::TimerId hedge_timer = 0;   // while an exchange may get company
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
  log::upstream_errors().warn(key, event, std::move(fields));
}

}  // namespace

FetcherOptions FetcherOptions::from(const UpstreamConfig& c) {
  FetcherOptions o;
  o.timeout = c.timeout;
  o.deadline = c.deadline;
  o.clock_skew = c.clock_skew;
  o.hedge_after = c.hedge_after;
  o.limits = {.per_responder = c.max_fetches_per_responder,
              .total = c.max_fetches,
              .queue = c.queue,
              .rate = c.rate};
  return o;
}

std::string FetchResult::last_error() const {
  for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
    if (!it->error.empty()) return it->responder + ": " + it->error;
  }
  if (shed) return "upstream.queue full";
  if (queue_timeout) return "upstream.deadline passed in the queue";
  if (!skipped.empty()) return skipped.back() + ": breaker open or Retry-After";
  if (deadline_passed) return "upstream.deadline passed";
  return {};
}

Fetcher::Fetcher(UpstreamClient& client, const Clock& clock, Timers& timers,
                 FetcherOptions options)
    : client_(client), clock_(clock), timers_(timers), options_(options),
      gate_(clock, timers, options.limits) {}

Fetcher::~Fetcher() = default;

void Fetcher::set_options(const FetcherOptions& options) {
  options_ = options;
  gate_.set_limits(options.limits);
}

void Fetcher::fetch(FetchRequest request, Done done) {
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->decoded_ok = ocsp::decode_request(job->request.request_der).ok();
  job->deadline_ms = clock_.monotonic_ms() + options_.deadline.count();
  ++jobs_;
  try_next(job);
}

// Asks the next responder that may be asked, in route order: now, or when
// the gate has a slot for it. Called with nothing outstanding.
void Fetcher::try_next(const std::shared_ptr<Job>& job) {
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
    FetchGate::Ticket ticket = 0;
    const auto admit = gate_.acquire(
        responder,
        [this, job, &responder] {
          timers_.cancel(job->queue_timer);
          job->queue_timer = 0;
          job->ticket = 0;
          send(job, responder, false);
        },
        &ticket);
    if (admit == FetchGate::Admit::kGranted) {
      send(job, responder, false);
    } else if (admit == FetchGate::Admit::kQueued) {
      job->ticket = ticket;
      job->queue_timer = timers_.after(Millis{left_ms}, [this, job] { on_queue_deadline(job); });
    } else {
      job->result.shed = true;
      warn_limited("queue_full", "upstream_queue_full",
                   "queued=" + std::to_string(gate_.queued()) + " answer=tryLater");
      finish(job);
    }
    return;
  }
  exhausted(job);
}

void Fetcher::on_queue_deadline(const std::shared_ptr<Job>& job) {
  job->queue_timer = 0;
  gate_.withdraw(job->ticket);
  job->ticket = 0;
  job->result.queue_timeout = true;
  job->result.deadline_passed = true;
  finish(job);
}

void Fetcher::send(const std::shared_ptr<Job>& job, Responder& responder, bool is_hedge) {
  const int64_t left_ms = std::max<int64_t>(1, job->deadline_ms - clock_.monotonic_ms());
  const Millis timeout{std::min<int64_t>(options_.timeout.count(), left_ms)};
  ++job->outstanding;
  if (is_hedge) ++job->result.hedges;
  // A hedge needs someone left to ask, and time to ask them in.
  if (options_.hedge_after.count() > 0 && job->next < job->request.route->responders.size() &&
      options_.hedge_after.count() < left_ms) {
    timers_.cancel(job->hedge_timer);
    job->hedge_timer = timers_.after(options_.hedge_after, [this, job] {
      job->hedge_timer = 0;
      hedge(job);
    });
  }
  client_.post(responder.url(), job->request.request_der, timeout,
               responder.forwarded() ? AddressPolicy::kPublicOnly : AddressPolicy::kAny,
               [this, job, &responder](UpstreamReply reply) {
                 on_reply(job, responder, std::move(reply));
               });
}

// The exchange under way is slow: ask the next responder that has a slot
// now too (a hedge never queues: it is an extra, not a turn).
void Fetcher::hedge(const std::shared_ptr<Job>& job) {
  const Route& route = *job->request.route;
  if (job->ended || job->outstanding == 0) return;
  const int64_t now_ms = clock_.monotonic_ms();
  while (job->next < route.responders.size()) {
    if (job->deadline_ms - now_ms < kMinFailoverMs) return;
    Responder& responder = *route.responders[job->next++];
    if (!responder.admit(now_ms)) {
      job->result.skipped.push_back(responder.url().original);
      continue;
    }
    if (!gate_.try_acquire(responder)) {
      --job->next;  // failover may still ask it, through the queue
      return;
    }
    log::debug("upstream_hedge", "responder=" + responder.url().original);
    send(job, responder, true);
    return;
  }
}

void Fetcher::on_reply(const std::shared_ptr<Job>& job, Responder& responder, UpstreamReply reply) {
  gate_.release(responder);
  --job->outstanding;
  const Route& route = *job->request.route;
  const int64_t now = clock_.unix_seconds();
  const int64_t now_ms = clock_.monotonic_ms();
  // decoded_ok was checked before any responder was asked.
  const auto decoded = ocsp::decode_request(job->request.request_der);
  Verdict v = judge_reply(reply, *decoded, route.issuer, now, options_.clock_skew.count() / 1000);
  const std::string& url = responder.url().original;
  UpstreamAttempt attempt{url, v.outcome, reply.seconds, {}};
  if (!v.answer) attempt.error = std::string(to_label(v.outcome)) + " (" + v.why + ")";
  responder.record(route.name(), v.outcome, attempt.error, now, now_ms);
  if (reply.http_status == 503 && reply.retry_after_s > 0) responder.hold(reply.retry_after_s, now_ms);
  if (!v.answer) {
    warn_limited(url + "\n" + std::string(to_label(v.outcome)), "upstream_failed",
                 "responder=" + url + " outcome=" + std::string(to_label(v.outcome)) +
                     " reason=" + log::quoted(v.why));
  }
  if (job->ended) {  // a hedge that lost, or an exchange that outlived the deadline
    if (late_) late_(attempt);
    if (job->outstanding == 0) --jobs_;
    return;
  }
  job->result.attempts.push_back(std::move(attempt));
  if (v.answer) {
    job->result.code = ocsp::ResponseCode::kSuccessful;
    job->result.der = std::move(reply.body);
    job->result.answer = std::move(*v.answer);
    log::debug("upstream_ok", "responder=" + url + " outcome=" + std::string(to_label(v.outcome)));
    finish(job);
    return;
  }
  if (job->outstanding > 0) return;  // a hedge is still out: it may answer
  timers_.cancel(job->hedge_timer);
  job->hedge_timer = 0;
  try_next(job);
}

void Fetcher::exhausted(const std::shared_ptr<Job>& job) {
  const Route& route = *job->request.route;
  const std::string issuer_name(route.name());
  warn_limited("exhausted\n" + issuer_name, "upstream_exhausted",
               "issuer=" + log::quoted(issuer_name) + " key=" +
                   job->request.key.hex().substr(0, 16) + " answer=tryLater" +
                   (job->result.deadline_passed ? " deadline_passed=1" : "") +
                   (job->result.skipped.empty()
                        ? ""
                        : " breaker_open=" + std::to_string(job->result.skipped.size())));
  finish(job);
}

void Fetcher::finish(const std::shared_ptr<Job>& job) {
  job->ended = true;
  timers_.cancel(job->hedge_timer);
  job->hedge_timer = 0;
  if (job->outstanding == 0) --jobs_;
  Done done = std::move(job->done);
  done(std::move(job->result));
}

}  // namespace ocspcache
