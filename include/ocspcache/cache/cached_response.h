// A validated OCSP response as the cache holds it: the DER to send and the
// few facts the hot path needs to write headers without re-parsing it.
//
// One allocation per entry: reference count, fields, cache key, the cache's
// list links and the DER bytes right after the object. Issue 5 asks for less
// than 256 bytes of memory per entry beyond the DER; the earlier layout
// (shared_ptr control block + struct + separate DER vector + std::list node
// + map slot holding the key) spent about 300. Now an entry costs
// sizeof(CachedResponse) plus malloc's rounding, and the cache's hash set
// holds one pointer per entry (the key is read from the entry).
//
// Immutable once built, except for what is marked mutable below: the
// refcount, the store's links and second-chance bit (guarded by the owning
// shard's lock, or relaxed atomics) and the "last asked" second. It knows
// nothing of who reads it (metrics, /status): they learn of entries from the
// cache writer's events and read the store.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/util/intrusive_ptr.h"
#include "ocspcache/ocsp/response.h"

namespace ocspcache {

class CachedResponse;
using EntryPtr = IntrusivePtr<const CachedResponse>;

class CachedResponse {
 public:
  // What an entry says about its response besides the bytes.
  struct Facts {
    int64_t this_update = 0;  // Last-Modified
    int64_t next_update = 0;  // Expires; never served at or after this
    int64_t produced_at = 0;
    int64_t revoked_at = 0;                                // first CertID's, when revoked
    ocsp::CertStatus status = ocsp::CertStatus::kUnknown;  // first CertID's
  };

  // Builds the entry for `key` from a response validate_response accepted;
  // null only for a DER over 4 GiB (upstream.max_response stops it long before).
  static EntryPtr make(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                       const ocsp::ValidatedResponse& v);
  // Same from the facts directly (tests, benchmarks, snapshots).
  static EntryPtr make(const ocsp::CacheKey& key, std::span<const uint8_t> der, const Facts& facts);

  CachedResponse(const CachedResponse&) = delete;
  CachedResponse& operator=(const CachedResponse&) = delete;

  const ocsp::CacheKey& key() const { return key_; }
  std::span<const uint8_t> der() const {
    return {reinterpret_cast<const uint8_t*>(this + 1), der_size_};
  }
  int64_t this_update() const { return facts_.this_update; }
  int64_t next_update() const { return facts_.next_update; }
  int64_t produced_at() const { return facts_.produced_at; }
  int64_t revoked_at() const { return facts_.revoked_at; }
  ocsp::CertStatus status() const { return facts_.status; }
  uint64_t etag() const { return etag_; }  // first 8 bytes of SHA-256(der)

  // The last second a client was served from this entry (0: never); set
  // by the store's serving lookup. Lock- and allocation-free, and at most
  // one store per second (time is whole seconds), so the line is almost
  // always only read by the workers sharing it. Read by the metrics (a
  // certificate's "last asked") and, later, by refresh (cache.refresh_idle).
  void mark_asked(int64_t now) const {
    if (asked_at_.load(std::memory_order_relaxed) < now) {
      asked_at_.store(now, std::memory_order_relaxed);
    }
  }
  int64_t last_asked() const { return asked_at_.load(std::memory_order_relaxed); }

  // A client in metrics.track_clients asked for this entry (or for the
  // one it replaced): its certificates may have ssl_ocsp_response_* series.
  // Set once; a hit checks it with one relaxed load.
  void mark_tracked() const {
    if (!tracked_.load(std::memory_order_relaxed)) tracked_.store(true, std::memory_order_relaxed);
  }
  bool tracked() const { return tracked_.load(std::memory_order_relaxed); }

  // References held right now (the store's, readers', in-flight answers').
  // For tests and debugging: shows who keeps an entry alive.
  uint32_t references() const { return refs_.load(std::memory_order_relaxed); }

  // Bytes charged against cache.max_bytes: the DER plus what an entry costs
  // around it (this object, malloc's rounding, the hash set's slot).
  // bench/RESULTS.md shows the measured RSS per entry next to it (the
  // marginal cost beyond the DER between scale sizes): round up so a full
  // cache stays within cache.max_bytes.
  size_t charge() const { return der_size_ + kOverheadBytes; }
  static constexpr size_t kOverheadBytes = 192;

 private:
  friend class MemoryStore;
  friend void intrusive_add_ref(const CachedResponse* e) {
    e->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_release(const CachedResponse* e) {
    if (e->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(e);
  }
  static void destroy(const CachedResponse* e);

  CachedResponse(const ocsp::CacheKey& key, size_t der_size, const Facts& facts, uint64_t etag)
      : der_size_(static_cast<uint32_t>(der_size)), facts_(facts), etag_(etag), key_(key) {}
  ~CachedResponse() = default;

  mutable std::atomic<uint32_t> refs_{0};
  uint32_t der_size_;
  // Second chance (CLOCK): set by a hit under the shard's shared lock,
  // cleared by eviction under the exclusive one. A hit never reorders the
  // list, so lookups need no exclusive lock.
  mutable std::atomic<bool> referenced_{false};
  mutable std::atomic<bool> tracked_{false};  // in the padding after referenced_
  Facts facts_;
  uint64_t etag_;
  mutable std::atomic<int64_t> asked_at_{0};
  ocsp::CacheKey key_;
  // The owning shard's list; guarded by its lock.
  mutable const CachedResponse* prev_ = nullptr;
  mutable const CachedResponse* next_ = nullptr;
  // The DER follows the object in the same allocation.
};

}  // namespace ocspcache
