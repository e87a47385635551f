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
// refcount, the cache's links and second-chance bit (guarded by the owning
// shard's lock, or relaxed atomics), the "last asked" second and the count
// of exported metric series holding the entry (cert_tracker.h).
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

  // The hot path's only word to the metrics: lock-free, allocation-free, at
  // most one store per second (time is whole seconds), so the line is
  // almost always only read by the workers sharing it. The CertTracker
  // reads this second for the certificates it exports; for the others, the
  // hint below tells it that a revival scan may find something.
  void mark_asked(int64_t now) const {
    if (asked_at_.load(std::memory_order_relaxed) < now) {
      asked_at_.store(now, std::memory_order_relaxed);
      if (trackers_.load(std::memory_order_relaxed) == 0 &&
          !untracked_asked_hint_.flag.load(std::memory_order_relaxed)) {
        untracked_asked_hint_.flag.store(true, std::memory_order_relaxed);
      }
    }
  }
  // The last second a client was answered from this entry (0: never).
  int64_t last_asked() const { return asked_at_.load(std::memory_order_relaxed); }

  // How many exported certificate series hold this entry (0: none, so a hit
  // on it is one the metrics do not see until a revival scan finds it).
  uint16_t trackers() const { return trackers_.load(std::memory_order_relaxed); }
  // True, and cleared, if an entry nobody tracks was asked since the last
  // call: one flag for the process, because a hit cannot afford more than
  // a relaxed load (a store at most once per entry per second), and a scan
  // that finds nothing new costs only one walk of the cache.
  static bool take_untracked_asked() {
    return untracked_asked_hint_.flag.exchange(false, std::memory_order_relaxed);
  }

  // Bytes charged against cache.max_bytes: the DER plus what an entry costs
  // around it (this object, malloc's rounding, the hash set's slot).
  // bench/RESULTS.md shows the measured RSS per entry next to it (185 B
  // marginal beyond the DER at 10k-100k entries): round up so a full cache
  // stays within cache.max_bytes.
  size_t charge() const { return der_size_ + kOverheadBytes; }
  static constexpr size_t kOverheadBytes = 192;

 private:
  friend class MemoryCache;
  friend class CertTracker;  // trackers_: changed only under its lock
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
  // Sits in referenced_'s padding: the tracker's count costs no bytes.
  mutable std::atomic<uint16_t> trackers_{0};
  Facts facts_;
  uint64_t etag_;
  mutable std::atomic<int64_t> asked_at_{0};
  ocsp::CacheKey key_;
  // The owning shard's list; guarded by its lock.
  mutable const CachedResponse* prev_ = nullptr;
  mutable const CachedResponse* next_ = nullptr;
  // The DER follows the object in the same allocation.

  // A whole cache line of its own: set by hits on any core, so it must not
  // share one with data that hits read.
  struct alignas(64) Hint {
    std::atomic<bool> flag;  // false: C++20 value-initializes it
  };
  static inline Hint untracked_asked_hint_;
};

}  // namespace ocspcache
