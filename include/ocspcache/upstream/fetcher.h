// A miss, upstream side: ask the route's responders in order until one
// gives an answer that validates (verdict.h), and return what happened.
// The fetcher writes nothing shared but its responders' health: the caller
// (http's MissResolver) stores the answer through the cache writer, counts
// the attempts in the metrics and ends the single flight.
//
// A responder that fails (transport, HTTP status, OCSP status, validation)
// is logged (rate-limited) and the next one is asked. One whose circuit
// breaker is open is passed over without a request. The whole fetch is
// bounded by upstream.deadline: each exchange gets upstream.timeout or what
// is left of the deadline, whichever is less, and no failover starts with
// less than 50 ms of it left.
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
#include "ocspcache/upstream/outcome.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"

namespace ocspcache {

struct FetchRequest {
  ocsp::CacheKey key;                 // for logs
  std::vector<uint8_t> request_der;   // nonce-free (build_upstream_request)
  std::shared_ptr<const RouteTable> routes;  // keeps `route` alive
  const Route* route = nullptr;
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
  std::vector<std::string> skipped;       // responders passed over: breaker open
  bool deadline_passed = false;           // responders were left unasked for it
  bool ok() const { return code == ocsp::ResponseCode::kSuccessful; }
  // Why it failed: "url: outcome (why)" of the last failed attempt, else the
  // open breakers or the deadline ("" if it did not fail).
  std::string last_error() const;
};

struct FetcherOptions {
  Millis timeout{3'000};      // upstream.timeout: one exchange
  Millis deadline{3'000};     // upstream.deadline: all of a fetch's exchanges
  Millis clock_skew{300'000};  // upstream.clock_skew
  static FetcherOptions from(const UpstreamConfig& c) {
    return {c.timeout, c.deadline, c.clock_skew};
  }
};

class Fetcher {
 public:
  using Done = std::function<void(FetchResult)>;

  Fetcher(UpstreamClient& client, const Clock& clock, FetcherOptions options)
      : client_(client), clock_(clock), options_(options) {}

  // `done` runs once: from the client's callback, or inside fetch() when
  // nobody can be asked (a request that does not decode, a route without
  // responders, every breaker open: tryLater, no attempt).
  void fetch(FetchRequest request, Done done);

 private:
  struct Job;
  void try_next(std::shared_ptr<Job> job);
  void on_reply(const std::shared_ptr<Job>& job, Responder& responder, UpstreamReply reply);
  void finish(const std::shared_ptr<Job>& job);

  UpstreamClient& client_;
  const Clock& clock_;
  FetcherOptions options_;
};

}  // namespace ocspcache
