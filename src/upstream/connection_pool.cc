#include "ocspcache/upstream/connection_pool.h"

#include <algorithm>

namespace ocspcache {

ConnectionPool::~ConnectionPool() {
  for (auto& [ptr, slot] : conns_) {
    auto& counter = slot.parked ? slot.origin->stats->idle : slot.origin->stats->busy;
    counter.fetch_sub(1, std::memory_order_relaxed);
  }
}

ConnectionPool::Origin& ConnectionPool::origin(const std::string& key) {
  auto it = origins_.find(key);
  if (it == origins_.end()) {
    auto o = std::make_unique<Origin>();
    o->key = key;
    o->stats = &stats_.origin(key);
    it = origins_.emplace(key, std::move(o)).first;
  }
  return *it->second;
}

UpstreamConnection* ConnectionPool::take(Origin& origin) {
  if (origin.parked.empty()) return nullptr;
  UpstreamConnection* conn = origin.parked.back();
  origin.parked.pop_back();
  conns_.at(conn).parked = false;
  origin.stats->idle.fetch_sub(1, std::memory_order_relaxed);
  origin.stats->busy.fetch_add(1, std::memory_order_relaxed);
  return conn;
}

UpstreamConnection* ConnectionPool::add(Origin& origin, std::unique_ptr<UpstreamConnection> conn) {
  UpstreamConnection* ptr = conn.get();
  conns_.emplace(ptr, Slot{std::move(conn), &origin, false});
  origin.stats->busy.fetch_add(1, std::memory_order_relaxed);
  origin.stats->opened.fetch_add(1, std::memory_order_relaxed);
  return ptr;
}

void ConnectionPool::release(UpstreamConnection* conn, bool reusable) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Origin& origin = *it->second.origin;
  if (!reusable || origin.parked.size() >= limits_.max_idle) {
    close(conn);
    return;
  }
  it->second.parked = true;
  origin.parked.push_back(conn);
  origin.stats->busy.fetch_sub(1, std::memory_order_relaxed);
  origin.stats->idle.fetch_add(1, std::memory_order_relaxed);
  conn->park(limits_.idle_timeout);
}

void ConnectionPool::close(UpstreamConnection* conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Origin& origin = *it->second.origin;
  if (it->second.parked) {
    origin.parked.erase(std::find(origin.parked.begin(), origin.parked.end(), conn));
    origin.stats->idle.fetch_sub(1, std::memory_order_relaxed);
  } else {
    origin.stats->busy.fetch_sub(1, std::memory_order_relaxed);
  }
  conns_.erase(it);  // frees the connection and its socket
}

}  // namespace ocspcache
