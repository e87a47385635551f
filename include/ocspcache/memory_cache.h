// L1: the in-process cache every worker thread reads on each request.
//
// Sharded by key so the two to a few dozen workers rarely meet on a lock; each
// shard is a hash map plus an LRU list, bounded in bytes (cache.max_bytes split
// evenly over the shards). A hit takes one shard lock, moves the node to the
// front (a list splice: no allocation) and copies a shared_ptr.
// Entries are never returned at or after their nextUpdate.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstddef>
#include <list>
#include <mutex>
#include <vector>

#include "ocspcache/cache_key.h"
#include "ocspcache/cached_response.h"

namespace ocspcache {

class MemoryCache {
 public:
  explicit MemoryCache(size_t max_bytes, size_t shards = 64);
  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  // The entry for key if it is still valid at `now`; an expired one is
  // dropped on the way.
  EntryPtr lookup(const ocsp::CacheKey& key, int64_t now);

  // Inserts or replaces. A replacement never moves an entry backwards: a
  // response older (by thisUpdate) than the cached one is ignored, so a slow
  // responder cannot undo a newer answer. Returns false if ignored or if the
  // entry alone exceeds a shard's budget.
  bool insert(const ocsp::CacheKey& key, EntryPtr entry);

  void erase(const ocsp::CacheKey& key);

  size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return max_bytes_; }

  // Visits every entry (for /status and snapshots); holds one shard lock at a time.
  template <typename F>
  void for_each(F&& fn) {
    for (auto& s : shards_) {
      std::lock_guard lock(s.mu);
      for (const auto& node : s.lru) fn(node.key, node.entry);
    }
  }

 private:
  struct Node {
    ocsp::CacheKey key;
    EntryPtr entry;
  };
  struct Shard {
    std::mutex mu;
    std::list<Node> lru;  // front = most recently used
    absl::flat_hash_map<ocsp::CacheKey, std::list<Node>::iterator, ocsp::CacheKeyHash> map;
    size_t bytes = 0;
  };
  Shard& shard_for(const ocsp::CacheKey& key) {
    return shards_[key.bytes[8] % shards_.size()];  // bytes 0-7 feed the map hash
  }
  void remove_locked(Shard& s, std::list<Node>::iterator it);

  const size_t max_bytes_;
  const size_t shard_budget_;
  std::vector<Shard> shards_;
  std::atomic<size_t> entries_{0};
  std::atomic<size_t> bytes_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace ocspcache
