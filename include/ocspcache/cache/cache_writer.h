// The one writer of the cache. A fetched answer that validated becomes an
// entry here, is stored (only if newer than what the store holds), and the
// listeners hear of it. Nothing else inserts: the request path only reads,
// the fetcher only returns results, the metrics only listen.
//
// Next in this component: the write-through to a shared store (Redis,
// issue 11), between the store and the event.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"

namespace ocspcache {

class CacheWriter {
 public:
  explicit CacheWriter(Store& store) : store_(store) {}
  CacheWriter(const CacheWriter&) = delete;
  CacheWriter& operator=(const CacheWriter&) = delete;

  // Start-up only (before workers run): listeners are read without a lock.
  void subscribe(EntryListener& listener) { listeners_.push_back(&listener); }

  // Stores the validated answer `der` to the request whose key is `key`
  // and tells the listeners. Returns the entry to answer the waiting
  // clients with: the stored one; the newer one the store already held; or,
  // when the store cannot hold it (too large), the answer itself, uncached.
  // Null only for a DER over 4 GiB (upstream.max_response stops it long before).
  EntryPtr commit(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                  const ocsp::ValidatedResponse& answer, std::span<const AnsweredCert> certs,
                  int64_t now);

 private:
  Store& store_;
  std::vector<EntryListener*> listeners_;
};

}  // namespace ocspcache
