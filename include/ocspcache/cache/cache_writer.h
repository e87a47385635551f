// The one writer of the cache. A fetched answer that validated becomes an
// entry here, is stored (only if newer than what the store holds), and the
// listeners hear of it. Nothing else inserts: the request path only reads,
// the fetcher only returns results, the metrics only listen.
//
// Before anything is stored or announced, the answer goes past the
// revocation ledger (revocation_ledger.h): an answer older than a recorded
// revocation of one of its CertIDs is refused whole.
//
// Next in this component: the write-through to a shared store (Redis,
// issue 11), between the store and the event.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/revocation_ledger.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"

namespace ocspcache {

class CacheWriter {
 public:
  explicit CacheWriter(Store& store, size_t max_revocations = RevocationLedger::kDefaultMax)
      : store_(store), ledger_(max_revocations) {}
  CacheWriter(const CacheWriter&) = delete;
  CacheWriter& operator=(const CacheWriter&) = delete;

  // Start-up only (before workers run): listeners are read without a lock.
  void subscribe(EntryListener& listener) { listeners_.push_back(&listener); }

  // Stores the validated answer `der` to the request whose key is `key`
  // and tells the listeners. Returns the entry to answer the waiting
  // clients with: the stored one; the newer one the store already held; or,
  // when the store cannot hold it (too large), the answer itself, uncached.
  // Null (the clients get tryLater) when a CertID of `certs` was recorded
  // revoked with a newer thisUpdate than this answer gives it: then nothing
  // is stored and no listener hears of it. Also null for a DER over 4 GiB
  // (upstream.max_response stops it long before). Thread-safe: the ledger
  // check and the insert happen under one lock, so two answers naming the
  // same CertID under different keys (one revoked, one older and good)
  // cannot both pass the check before either is recorded.
  //
  // `tracked`: a client in metrics.track_clients asked for it. The entry
  // is marked so (CachedResponse::tracked) then, or when the entry it
  // replaces was, so a refresh keeps what clients made of it; the
  // replaced entry's last-asked time is carried over the same way.
  EntryPtr commit(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                  const ocsp::ValidatedResponse& answer, std::span<const AnsweredCert> certs,
                  int64_t now, bool tracked);

  // Thread-safe: the metrics read its stats, a reload sets its bound, the
  // snapshot (issue 11) walks and restores it.
  RevocationLedger& ledger() { return ledger_; }
  const RevocationLedger& ledger() const { return ledger_; }

 private:
  Store& store_;
  std::mutex commit_mu_;
  RevocationLedger ledger_;
  std::vector<EntryListener*> listeners_;
};

}  // namespace ocspcache
