// A miss, upstream side: ask the route's responders in order until one
// gives an answer that validates (verdict.h), and return what happened.
// The fetcher writes nothing shared but its responders' health: the caller
// (http's MissResolver) stores the answer through the cache writer, counts
// the attempts in the metrics and ends the single flight.
//
// A responder that fails (transport, HTTP status, OCSP status, validation)
// is logged (rate-limited) and the next one is asked.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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
  bool ok() const { return code == ocsp::ResponseCode::kSuccessful; }
  // "url: outcome (why)" of the last failed attempt ("" if none failed).
  std::string last_error() const;
};

class Fetcher {
 public:
  using Done = std::function<void(FetchResult)>;

  Fetcher(UpstreamClient& client, const Clock& clock, Millis clock_skew)
      : client_(client), clock_(clock), skew_seconds_(clock_skew.count() / 1000) {}

  // `done` runs once: from the client's callback, or inside fetch() when
  // nobody can be asked (a request that does not decode, a route without
  // responders: tryLater, no attempt).
  void fetch(FetchRequest request, Done done);

 private:
  struct Job;
  void try_next(std::shared_ptr<Job> job);
  void on_reply(const std::shared_ptr<Job>& job, Responder& responder, UpstreamReply reply);
  void finish(const std::shared_ptr<Job>& job);

  UpstreamClient& client_;
  const Clock& clock_;
  int64_t skew_seconds_;
};

}  // namespace ocspcache
