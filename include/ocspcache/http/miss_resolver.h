// A miss, from the worker's side (DESIGN.md steps 5-6): join the single
// flight for the CertID; as its leader, have the fetcher ask the responders,
// then store the answer through the cache writer, count every exchange in
// the metrics, tell the tracker of failures, remember a failed fetch
// (negative_cache.h) and end the flight. A key whose last fetch failed
// recently ends its flight with tryLater without a fetch. The one
// place where the upstream result meets the cache and the metrics.
//
// One per worker; the fetches go to the process's FetchService (the
// upstream thread), whose answers arrive on its thread: on_fetched() only
// reaches shared, thread-safe parts (store, writer, flights, metrics).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/cached_response.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/upstream/negative_cache.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/single_flight.h"

namespace ocspcache {

// What a flight ends with: an entry to serve, or the OCSPResponse status to
// answer with (tryLater).
struct FetchOutcome {
  EntryPtr entry;
  ocsp::ResponseCode code = ocsp::ResponseCode::kTryLater;
};

using Flights = SingleFlight<ocsp::CacheKey, FetchOutcome, ocsp::CacheKeyHash>;

class MissResolver {
 public:
  struct Parts {
    Store& store;
    CacheWriter& writer;
    Flights& flights;
    Metrics& metrics;
    const Clock& clock;
    NegativeCache& negative;
  };
  MissResolver(Parts parts, FetchService& fetcher) : p_(parts), fetcher_(fetcher) {}

  // `waiter` runs once with the outcome, on whichever thread ends the
  // flight (it must hand off to its own loop). `route` belongs to `routes`.
  void resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
               std::shared_ptr<const RouteTable> routes, const Route& route, Flights::Waiter waiter);

 private:
  struct Pending {
    ocsp::CacheKey key;
    std::string issuer;
    std::vector<std::string> serials;  // per CertID, request order: the metric labels
    std::vector<ocsp::CacheKey> cert_ids;  // per CertID: the revocation ledger's keys
  };
  void on_fetched(const Pending& pending, FetchResult result);

  Parts p_;
  FetchService& fetcher_;
};

}  // namespace ocspcache
