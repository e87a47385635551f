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

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/cached_response.h"
#include "ocspcache/cache/shared_store.h"
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
// answer with (tryLater). Outside flights, two more: a nonce passthrough
// answer, which belongs to the one client that asked (never cached), and a
// forward-proxy refusal decided at miss time (the responder's name resolved
// to a private address): an HTTP status with a one-line text.
struct FetchOutcome {
  FetchOutcome() = default;
  FetchOutcome(EntryPtr e, ocsp::ResponseCode c) : entry(std::move(e)), code(c) {}

  EntryPtr entry;
  ocsp::ResponseCode code = ocsp::ResponseCode::kTryLater;
  std::shared_ptr<const std::vector<uint8_t>> uncached;  // validated DER, nonce and all
  int http_status = 0;         // non-zero: answer with this HTTP error instead
  std::string_view http_text;  // its body; static storage
};

// Where a miss is sent: a route of the table in force (by issuer), or one
// made for a forwarded responder, which `owned` keeps alive until the fetch
// is done (its issuer, when configured, lives in `routes`).
struct MissRoute {
  std::shared_ptr<const RouteTable> routes;
  const Route* route = nullptr;
  std::shared_ptr<const Route> owned;
  // The asking client is in metrics.track_clients: the answer may create
  // per-certificate series, and a failure may create a "2" series.
  bool tracked = true;
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
    // The routes in force (Services::routes). An answer validated against
    // an issuer certificate that a reload removed or replaced while it was
    // being fetched is not stored (the reload has dropped that issuer's
    // answers already); null: no reloads to watch for.
    const std::atomic<std::shared_ptr<const RouteTable>>* routes = nullptr;
    // The fleet's tier behind L1 (cache.backend = "redis"), this worker's
    // instance; null: memory only. Asked between the L1 miss and the fetch
    // for routes with a configured issuer (a value from it is validated
    // like a fetched answer, so it needs the issuer's key), and written
    // with every answer fetched for them.
    SharedStore* shared = nullptr;
    int64_t clock_skew_seconds = 300;  // upstream.clock_skew, for values from `shared`
  };
  MissResolver(Parts parts, FetchService& fetcher) : p_(parts), fetcher_(fetcher) {}

  // `waiter` runs once with the outcome, on whichever thread ends the
  // flight (it must hand off to its own loop). `route` belongs to `routes`.
  void resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
               std::shared_ptr<const RouteTable> routes, const Route& route, bool tracked,
               Flights::Waiter waiter);
  void resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req, MissRoute route,
               Flights::Waiter waiter);

  // upstream.nonce = "passthrough", a request with a nonce: `request_der`
  // goes to the responders as the client sent it, outside the single flight
  // (the answer echoes this client's nonce, so no other client can use it),
  // validated as usual and handed to `waiter` only: never stored, never
  // replacing a cached answer. When it fails, the still-valid cached answer
  // (nonce-less) is served if there is one, else tryLater; the failure is
  // remembered like any other (upstream.negative_ttl).
  void resolve_uncached(const ocsp::CacheKey& key, std::vector<uint8_t> request_der,
                        MissRoute route, Flights::Waiter waiter);

 private:
  struct Pending {
    ocsp::CacheKey key;
    std::string issuer;
    std::vector<std::string> serials;  // per CertID, request order: the metric labels
    std::vector<ocsp::CacheKey> cert_ids;  // per CertID: the revocation ledger's keys
    // The table the fetch was routed by, and the issuer it is validated
    // against (null: a forwarded responder of an unconfigured issuer).
    std::shared_ptr<const RouteTable> routes;
    const ocsp::Issuer* validated_by = nullptr;
    bool tracked = true;  // MissRoute::tracked
  };
  void on_fetched(const Pending& pending, FetchResult result);
  void fetch(Pending pending, FetchRequest request);
  // A value the shared tier returned for pending.key: served and put into
  // L1 if it validates as the answer to `request_der`, else fetched.
  void on_shared_hit(Pending pending, FetchRequest request, std::vector<uint8_t> der);
  // Through the cache writer into L1: null when refused (older than a
  // recorded revocation) or no longer trusted (a reload meanwhile).
  EntryPtr store_answer(const Pending& pending, std::span<const uint8_t> der,
                        const ocsp::ValidatedResponse& answer, bool* untrusted);
  static Pending pending_for(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
                             const Route& route);
  // Counts the attempts and tells the tracker of errors; on failure also
  // remembers it and marks the certificates exhausted.
  void account(const Pending& pending, const FetchResult& result);
  FetchOutcome cached_or_try_later(const ocsp::CacheKey& key) const;
  // False when a reload since the fetch began no longer trusts the issuer
  // certificate its answer was validated against.
  bool still_trusted(const Pending& pending) const;

  Parts p_;
  FetchService& fetcher_;
};

}  // namespace ocspcache
