// What every worker shares: read-only config, the cache, the issuer
// registry, the single-flight table and the metrics. Built by the daemon;
// all outlive the workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "ocspcache/config/config.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/cache/memory_cache.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/upstream/single_flight.h"

namespace ocspcache {

struct Services {
  const Config* config = nullptr;
  MemoryCache* cache = nullptr;
  // Swapped whole by a SIGHUP reload; a fetch keeps the registry it started
  // with alive through its shared_ptr. Read on misses only.
  std::atomic<std::shared_ptr<const ocsp::IssuerRegistry>> issuers;
  SingleFlight* flights = nullptr;
  Metrics* metrics = nullptr;
  std::atomic<size_t> open_connections{0};  // across workers, for server.max_connections
};

}  // namespace ocspcache
