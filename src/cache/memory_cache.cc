#include "ocspcache/memory_cache.h"

namespace ocspcache {

MemoryCache::MemoryCache(size_t max_bytes, size_t shards)
    : max_bytes_(max_bytes), shard_budget_(max_bytes / (shards ? shards : 1)), shards_(shards ? shards : 1) {}

EntryPtr MemoryCache::lookup(const ocsp::CacheKey& key, int64_t now) {
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return nullptr;
  auto node = it->second;
  if (node->entry->next_update <= now) {
    remove_locked(s, node);
    return nullptr;
  }
  s.lru.splice(s.lru.begin(), s.lru, node);
  return node->entry;
}

bool MemoryCache::insert(const ocsp::CacheKey& key, EntryPtr entry) {
  const size_t charge = entry->charge();
  if (charge > shard_budget_) return false;
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) {
    auto node = it->second;
    if (entry->this_update < node->entry->this_update) return false;
    s.bytes -= node->entry->charge();
    bytes_.fetch_sub(node->entry->charge(), std::memory_order_relaxed);
    node->entry = std::move(entry);
    s.bytes += charge;
    bytes_.fetch_add(charge, std::memory_order_relaxed);
    s.lru.splice(s.lru.begin(), s.lru, node);
  } else {
    s.lru.push_front(Node{key, std::move(entry)});
    s.map.emplace(key, s.lru.begin());
    s.bytes += charge;
    bytes_.fetch_add(charge, std::memory_order_relaxed);
    entries_.fetch_add(1, std::memory_order_relaxed);
  }
  while (s.bytes > shard_budget_ && !s.lru.empty()) {
    remove_locked(s, std::prev(s.lru.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

void MemoryCache::erase(const ocsp::CacheKey& key) {
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) remove_locked(s, it->second);
}

void MemoryCache::remove_locked(Shard& s, std::list<Node>::iterator it) {
  const size_t charge = it->entry->charge();
  s.bytes -= charge;
  bytes_.fetch_sub(charge, std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  s.map.erase(it->key);
  s.lru.erase(it);
}

}  // namespace ocspcache
