#include "ocspcache/cache/memory_store.h"

#include <mutex>

namespace ocspcache {

MemoryStore::MemoryStore(size_t max_bytes, size_t shards)
    : max_bytes_(max_bytes),
      shard_budget_(max_bytes / (shards ? shards : 1)),
      shards_(shards ? shards : 1) {}

MemoryStore::~MemoryStore() {
  for (auto& s : shards_) {
    while (s.head != nullptr) remove_locked(s, s.head);
  }
}

EntryPtr MemoryStore::lookup(const ocsp::CacheKey& key, int64_t now) {
  Shard& s = shard_for(key);
  {
    std::shared_lock lock(s.mu);
    auto it = s.set.find(key);
    if (it == s.set.end()) return nullptr;
    const CachedResponse* e = *it;
    if (e->next_update() > now) {
      // Load first: a hot entry's line then stays shared between workers.
      if (!e->referenced_.load(std::memory_order_relaxed)) {
        e->referenced_.store(true, std::memory_order_relaxed);
      }
      e->mark_asked(now);
      return EntryPtr(e);
    }
  }
  // Expired: drop it under the exclusive lock, unless a newer answer took
  // its place in between.
  std::unique_lock lock(s.mu);
  auto it = s.set.find(key);
  if (it != s.set.end() && (*it)->next_update() <= now) remove_locked(s, *it);
  return nullptr;
}

EntryPtr MemoryStore::peek(const ocsp::CacheKey& key, int64_t now) const {
  const Shard& s = shard_for(key);
  std::shared_lock lock(s.mu);
  auto it = s.set.find(key);
  if (it == s.set.end() || (*it)->next_update() <= now) return nullptr;
  return EntryPtr(*it);
}

bool MemoryStore::insert_if_newer(EntryPtr entry) {
  if (!entry) return false;
  const size_t charge = entry->charge();
  if (charge > shard_budget_) return false;
  Shard& s = shard_for(entry->key());
  std::unique_lock lock(s.mu);
  auto it = s.set.find(entry->key());
  if (it != s.set.end()) {
    if (entry->this_update() < (*it)->this_update()) return false;
    remove_locked(s, *it);
  }
  const CachedResponse* e = entry.get();
  intrusive_add_ref(e);  // the set's reference
  s.set.insert(e);
  link_front(s, e);
  s.bytes += charge;
  bytes_.fetch_add(charge, std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
  while (s.bytes > shard_budget_ && s.tail != nullptr) evict_locked(s, e);
  return true;
}

void MemoryStore::erase(const ocsp::CacheKey& key) {
  Shard& s = shard_for(key);
  std::unique_lock lock(s.mu);
  auto it = s.set.find(key);
  if (it != s.set.end()) remove_locked(s, *it);
}

void MemoryStore::walk(FunctionRef<void(const CachedResponse&)> fn) const {
  for (const Shard& s : shards_) {
    std::shared_lock lock(s.mu);
    for (const CachedResponse* e = s.head; e != nullptr; e = e->next_) fn(*e);
  }
}

StoreStats MemoryStore::stats() const {
  return {.entries = entries(),
          .bytes = bytes(),
          .max_bytes = max_bytes_,
          .evictions = evictions_.load(std::memory_order_relaxed)};
}

void MemoryStore::link_front(Shard& s, const CachedResponse* e) {
  e->prev_ = nullptr;
  e->next_ = s.head;
  if (s.head != nullptr) s.head->prev_ = e;
  s.head = e;
  if (s.tail == nullptr) s.tail = e;
}

void MemoryStore::unlink(Shard& s, const CachedResponse* e) {
  (e->prev_ != nullptr ? e->prev_->next_ : s.head) = e->next_;
  (e->next_ != nullptr ? e->next_->prev_ : s.tail) = e->prev_;
  e->prev_ = e->next_ = nullptr;
}

void MemoryStore::remove_locked(Shard& s, const CachedResponse* e) {
  const size_t charge = e->charge();
  s.bytes -= charge;
  bytes_.fetch_sub(charge, std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  s.set.erase(e->key());
  unlink(s, e);
  intrusive_release(e);  // the set's reference; readers may still hold theirs
}

// Second chance: a referenced tail goes to the head with its bit cleared, so
// each call ends after at most one pass over the list (every bit cleared).
// The entry being inserted (`keep`) starts unreferenced but is not the one
// to go: it reaches the tail only after every other entry lost its bit.
void MemoryStore::evict_locked(Shard& s, const CachedResponse* keep) {
  while (true) {
    const CachedResponse* e = s.tail;
    if (e != s.head && (e == keep || e->referenced_.load(std::memory_order_relaxed))) {
      e->referenced_.store(false, std::memory_order_relaxed);
      unlink(s, e);
      link_front(s, e);
      continue;
    }
    remove_locked(s, e);
    evictions_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
}

}  // namespace ocspcache
