// L1: the in-process cache every worker thread reads on each request.
//
// Sharded by key, each shard a hash set of entry pointers (the key lives in
// the entry) plus an intrusive list, bounded in bytes (cache.max_bytes split
// evenly over the shards). Eviction is CLOCK (second chance): a hit only sets
// the entry's `referenced` bit, so lookups take the shard's lock shared: two
// workers answering the same hot CertID never wait for each other, nor does
// a hit wait for a walk over the shard (for_each: the metrics' revival scan,
// /status), which holds each shard for as long as it takes to visit its
// entries (about 15,000 per shard at 1M). An
// insert takes it exclusive and, when over budget, walks from the list's
// tail, giving referenced entries one more round at the head.
// Entries are never returned at or after their nextUpdate.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstddef>
#include <shared_mutex>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/cache/cached_response.h"

namespace ocspcache {

class MemoryCache {
 public:
  explicit MemoryCache(size_t max_bytes, size_t shards = 64);
  ~MemoryCache();
  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  // The entry for key if it is still valid at `now`; an expired one is
  // dropped on the way.
  EntryPtr lookup(const ocsp::CacheKey& key, int64_t now);

  // Inserts under entry->key(), or replaces. A replacement never moves an
  // entry backwards: a response older (by thisUpdate) than the cached one
  // is ignored, so a slow responder cannot undo a newer answer. Returns
  // false if ignored or if the entry alone exceeds a shard's budget.
  bool insert(EntryPtr entry);

  void erase(const ocsp::CacheKey& key);

  size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return max_bytes_; }

  // Visits every entry (for /status, the metrics and snapshots); holds one
  // shard's lock (shared) at a time, so fn must not call back into the cache.
  template <typename F>
  void for_each(F&& fn) {
    for (auto& s : shards_) {
      std::shared_lock lock(s.mu);
      for (const CachedResponse* e = s.head; e != nullptr; e = e->next_) fn(*e);
    }
  }

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const ocsp::CacheKey& k) const { return ocsp::CacheKeyHash{}(k); }
    size_t operator()(const CachedResponse* e) const { return (*this)(e->key()); }
  };
  struct KeyEq {
    using is_transparent = void;
    static const ocsp::CacheKey& k(const ocsp::CacheKey& key) { return key; }
    static const ocsp::CacheKey& k(const CachedResponse* e) { return e->key(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return k(a) == k(b);
    }
  };
  struct Shard {
    std::shared_mutex mu;
    // Each member holds one reference (taken at insert, dropped at removal).
    absl::flat_hash_set<const CachedResponse*, KeyHash, KeyEq> set;
    const CachedResponse* head = nullptr;  // most recently inserted / given a second chance
    const CachedResponse* tail = nullptr;
    size_t bytes = 0;
  };
  Shard& shard_for(const ocsp::CacheKey& key) {
    return shards_[key.bytes[8] % shards_.size()];  // bytes 0-7 feed the set's hash
  }
  static void link_front(Shard& s, const CachedResponse* e);
  static void unlink(Shard& s, const CachedResponse* e);
  void remove_locked(Shard& s, const CachedResponse* e);
  void evict_locked(Shard& s, const CachedResponse* keep);

  const size_t max_bytes_;
  const size_t shard_budget_;
  std::vector<Shard> shards_;
  std::atomic<size_t> entries_{0};
  std::atomic<size_t> bytes_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace ocspcache
