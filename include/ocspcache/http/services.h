// What every worker shares: read-only config, the store (L1), the one cache
// writer, the routes, the single-flight table, the metrics and the clock.
// Built by the app; all outlive the workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/shared_store.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/http/client_limiter.h"
#include "ocspcache/config/config.h"
#include "ocspcache/http/miss_resolver.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/upstream/negative_cache.h"
#include "ocspcache/upstream/responder_set.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/ip_network.h"

struct event_base;

namespace ocspcache {

struct Services {
  const Config* config = nullptr;
  Store* store = nullptr;
  CacheWriter* writer = nullptr;
  // Swapped whole by a SIGHUP reload; a fetch keeps the table it started
  // with alive through its shared_ptr. Read on misses only.
  std::atomic<std::shared_ptr<const RouteTable>> routes;
  Flights* flights = nullptr;
  // Every responder, configured and forwarded (forward-proxy mode adds the
  // ones clients name, bounded).
  ResponderSet* responders = nullptr;
  NegativeCache* negative = nullptr;
  FetchService* upstream = nullptr;  // the upstream thread: every miss's fetch
  Metrics* metrics = nullptr;
  const Clock* clock = &system_clock();
  std::atomic<size_t> open_connections{0};  // across workers, for server.max_connections
  // server.max_connections_per_client; null when 0 (no limit).
  ClientLimiter* client_limits = nullptr;
  // metrics.track_clients as parsed (swapped by a reload); null: nobody's
  // asks make series.
  std::atomic<std::shared_ptr<const IpNetworkList>> track_clients;
  // cache.backend = "redis": makes a worker's instance of the shared tier
  // on its loop (called on the starting thread, before the loop runs);
  // `post` runs a function on that loop from any thread (the worker's
  // mailbox). Empty: memory only.
  using PostToLoop = std::function<void(std::function<void()>)>;
  std::function<std::unique_ptr<SharedStore>(event_base* base, int worker_index, PostToLoop post)>
      make_shared_store;
};

}  // namespace ocspcache
