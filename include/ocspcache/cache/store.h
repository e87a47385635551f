// The cache's storage seam: what the request path, the one cache writer
// (cache_writer.h) and the readers of the whole cache (metrics, /status)
// need of a store of validated responses, keyed by CertID.
//
// MemoryStore (memory_store.h) is the in-process L1 every worker reads on
// each request, and the only implementation today. A shared store (Redis,
// issue 11) is asynchronous and sits behind L1, not in its place: L1 stays
// the synchronous store of the hit path, and the cache writer is where a
// fetched answer will also be written through to L2.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/util/function_ref.h"

namespace ocspcache {

struct StoreStats {
  size_t entries = 0;
  size_t bytes = 0;  // as charged against max_bytes
  size_t max_bytes = 0;
  uint64_t evictions = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The entry for `key` if still valid at `now` (never at or after its
  // nextUpdate), recorded as asked at `now`: this is the serving lookup.
  // Hit path: no allocation.
  virtual EntryPtr lookup(const ocsp::CacheKey& key, int64_t now) = 0;

  // The same without recording an ask: for readers that are not clients
  // (the metrics tracker reading when a certificate was last asked).
  virtual EntryPtr peek(const ocsp::CacheKey& key, int64_t now) const = 0;

  // Stores `entry` under entry->key() unless the stored one is newer (by
  // thisUpdate): an answer never moves a CertID backwards. False when not
  // stored (older, or too large for the store).
  virtual bool insert_if_newer(EntryPtr entry) = 0;

  virtual void erase(const ocsp::CacheKey& key) = 0;

  // Visits every entry. `fn` must not call back into the store and should
  // be quick: a store may hold a lock (shared with lookups) meanwhile.
  virtual void walk(FunctionRef<void(const CachedResponse&)> fn) const = 0;

  virtual StoreStats stats() const = 0;
};

}  // namespace ocspcache
