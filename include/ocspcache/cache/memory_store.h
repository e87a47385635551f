// L1: the in-process store every worker thread reads on each request, and
// the first implementation of the Store seam (store.h).
//
// Sharded by key, each shard a hash set of entry pointers (the key lives in
// the entry) plus an intrusive list, bounded in bytes (cache.max_bytes split
// evenly over the shards). Eviction is CLOCK (second chance): a hit only sets
// the entry's `referenced` bit, so lookups take the shard's lock shared: two
// workers answering the same hot CertID never wait for each other, nor does
// a hit wait for a walk over the shard (walk: the metrics' revival scan),
// which holds each shard for as long as it takes to visit its entries
// (about 15,000 per shard at 1M). An
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
#include "ocspcache/cache/store.h"

namespace ocspcache {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(size_t max_bytes, size_t shards = 64);
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // An expired entry is dropped on the way (lookup only).
  EntryPtr lookup(const ocsp::CacheKey& key, int64_t now) override;
  EntryPtr peek(const ocsp::CacheKey& key, int64_t now) const override;
  // Also false if the entry alone exceeds a shard's budget.
  bool insert_if_newer(EntryPtr entry) override;
  void erase(const ocsp::CacheKey& key) override;
  // Holds one shard's lock (shared) at a time.
  void walk(FunctionRef<void(const CachedResponse&)> fn) const override;
  StoreStats stats() const override;

  size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

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
    mutable std::shared_mutex mu;
    // Each member holds one reference (taken at insert, dropped at removal).
    absl::flat_hash_set<const CachedResponse*, KeyHash, KeyEq> set;
    const CachedResponse* head = nullptr;  // most recently inserted / given a second chance
    const CachedResponse* tail = nullptr;
    size_t bytes = 0;
  };
  Shard& shard_for(const ocsp::CacheKey& key) {
    return shards_[key.bytes[8] % shards_.size()];  // bytes 0-7 feed the set's hash
  }
  const Shard& shard_for(const ocsp::CacheKey& key) const {
    return shards_[key.bytes[8] % shards_.size()];
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
