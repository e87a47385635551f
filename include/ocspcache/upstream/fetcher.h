// A miss, upstream side: ask the route's responders in order until one
// gives an answer that validates (verdict.h), and return what happened.
// The fetcher writes nothing shared but its responders' health: the caller
// (http's MissResolver) stores the answer through the cache writer, counts
// the attempts in the metrics and ends the single flight.
//
// A responder that fails (transport, HTTP status, OCSP status, validation)
// is logged (rate-limited) and the next one is asked. One whose circuit
// breaker is open, or that a 503's Retry-After holds back, is passed over
// without a request. Every exchange takes a slot of the FetchGate (per
// responder and total limits, a rate, a bounded queue): a fetch waits its
// turn in the queue, or ends at once with tryLater when the queue is full.
// With upstream.hedge_after, a responder that has not answered by then gets
// company: the next one is asked too, and the first valid answer wins. The
// whole fetch is bounded by upstream.deadline: each exchange gets
// upstream.timeout or what is left of the deadline, whichever is less, no
// failover starts with less than 50 ms of it left, and a fetch still
// queued at the deadline gives up its place.
//
// One Fetcher per process, on the upstream thread (upstream_thread.h), so
// the gate's limits hold for all workers together; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/config/config.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/upstream/client.h"
#include "ocspcache/upstream/fetch_gate.h"
#include "ocspcache/upstream/outcome.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/timer_queue.h"

namespace ocspcache {

struct FetchRequest {
  ocsp::CacheKey key;                 // for logs
  std::vector<uint8_t> request_der;   // nonce-free (build_upstream_request)
  std::shared_ptr<const RouteTable> routes;  // keeps `route` alive
  const Route* route = nullptr;
  std::shared_ptr<const Route> owned_route{};  // or this does (a forwarded responder's route)
};

struct UpstreamAttempt {
  std::string responder;  // URL as configured: the `responder` label
  UpstreamOutcome outcome = UpstreamOutcome::kInvalid;
  double seconds = 0;
  std::string error;  // "" for a validated answer, else "outcome (why)"
};

struct FetchResult {
  // kSuccessful iff `answer` is set; else what clients are told (tryLater).
  ocsp::ResponseCode code = ocsp::ResponseCode::kTryLater;
  std::vector<uint8_t> der;
  ocsp::ValidatedResponse answer;
  std::vector<UpstreamAttempt> attempts;  // in the order made
  std::vector<std::string> skipped;       // responders passed over: breaker open or held
  bool deadline_passed = false;           // responders were left unasked for it
  bool shed = false;                      // the gate's queue was full: nobody asked
  bool queue_timeout = false;             // the deadline passed while queued
  size_t hedges = 0;                      // exchanges started by upstream.hedge_after
  bool ok() const { return code == ocsp::ResponseCode::kSuccessful; }
  // Worth remembering per CertID (upstream.negative_ttl)? Not when it failed
  // for load alone (queue full or queue wait): the CertID did nothing wrong,
  // and remembering it would turn one busy second into negative_ttl of
  // tryLater.
  bool says_something_about_the_cert_id() const { return !shed && !queue_timeout; }
  // Why it failed: "url: outcome (why)" of the last failed attempt, else the
  // open breakers, the queue or the deadline ("" if it did not fail).
  std::string last_error() const;
};

struct FetcherOptions {
  Millis timeout{3'000};      // upstream.timeout: one exchange
  Millis deadline{3'000};     // upstream.deadline: all of a fetch's exchanges
  Millis clock_skew{300'000};  // upstream.clock_skew
  Millis hedge_after{0};      // upstream.hedge_after; 0 = off
  GateLimits limits{};        // upstream.max_fetches*, queue, rate
  static FetcherOptions from(const UpstreamConfig& c);
};

// Who asks for fetches: the MissResolver. A Fetcher answers on the calling
// thread; the UpstreamThread hands fetches to its own loop's Fetcher.
class FetchService {
 public:
  using Done = std::function<void(FetchResult)>;
  virtual ~FetchService() = default;
  virtual void fetch(FetchRequest request, Done done) = 0;
};

class Fetcher final : public FetchService {
 public:
  // An exchange that ended after its fetch had (a hedge that lost, or one
  // still running at the deadline): counted by whoever counts attempts.
  using LateAttempt = std::function<void(const UpstreamAttempt&)>;

  Fetcher(UpstreamClient& client, const Clock& clock, Timers& timers, FetcherOptions options);
  ~Fetcher() override;

  // `done` runs once: from the client's callback or a timer, or inside
  // fetch() when nobody can be asked (a request that does not decode, a
  // route without responders, every breaker open, the queue full:
  // tryLater, no attempt).
  void fetch(FetchRequest request, Done done) override;

  // Live on SIGHUP: hedge_after and the gate's limits (timeouts too).
  void set_options(const FetcherOptions& options);
  void on_late_attempt(LateAttempt fn) { late_ = std::move(fn); }

  const FetchGate& gate() const { return gate_; }
  // Fetches not yet ended plus exchanges still out (a drain waits for 0).
  size_t busy() const { return jobs_; }

 private:
  struct Job;
  void try_next(const std::shared_ptr<Job>& job);
  void send(const std::shared_ptr<Job>& job, Responder& responder, bool is_hedge);
  void hedge(const std::shared_ptr<Job>& job);
  void on_reply(const std::shared_ptr<Job>& job, Responder& responder, UpstreamReply reply);
  void on_queue_deadline(const std::shared_ptr<Job>& job);
  void exhausted(const std::shared_ptr<Job>& job);
  void finish(const std::shared_ptr<Job>& job);

  UpstreamClient& client_;
  const Clock& clock_;
  Timers& timers_;
  FetcherOptions options_;
  FetchGate gate_;
  LateAttempt late_;
  size_t jobs_ = 0;
};

}  // namespace ocspcache
