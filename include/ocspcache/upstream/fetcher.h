// A miss: ask the issuer's responders in order until one gives an answer
// that validates (DESIGN.md step 6); cache it; end the flight. A responder
// that fails (transport, HTTP status, OCSP status, validation) is logged,
// counted under its outcome label and skipped.
#pragma once

#include <cstdint>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/cache/memory_cache.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/upstream/single_flight.h"
#include "ocspcache/upstream/upstream_client.h"

namespace ocspcache {

class Fetcher {
 public:
  Fetcher(UpstreamClient& client, MemoryCache& cache, SingleFlight& flights, Metrics& metrics,
          Millis clock_skew)
      : client_(client), cache_(cache), flights_(flights), metrics_(metrics), skew_(clock_skew) {}

  // Starts the fetch for `key`; `request_der` is the nonce-free request
  // (build_upstream_request). `issuer` belongs to `registry`, which the
  // fetch holds so a reload cannot free it midway.
  void start(const ocsp::CacheKey& key, std::vector<uint8_t> request_der,
             std::shared_ptr<const ocsp::IssuerRegistry> registry, const ocsp::Issuer& issuer);

 private:
  struct Job;
  void try_next(std::shared_ptr<Job> job);

  UpstreamClient& client_;
  MemoryCache& cache_;
  SingleFlight& flights_;
  Metrics& metrics_;
  Millis skew_;
};

}  // namespace ocspcache
