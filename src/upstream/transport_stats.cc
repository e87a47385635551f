#include "ocspcache/upstream/transport_stats.h"

namespace ocspcache {

TransportStats::Origin& TransportStats::origin(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = origins_.find(key);
  if (it == origins_.end()) {
    it = origins_.emplace(std::string(key), std::make_unique<Origin>()).first;
  }
  return *it->second;
}

std::vector<TransportStats::Row> TransportStats::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<Row> rows;
  rows.reserve(origins_.size());
  for (const auto& [key, o] : origins_) {
    rows.push_back({key, o->idle.load(std::memory_order_relaxed),
                    o->busy.load(std::memory_order_relaxed),
                    o->opened.load(std::memory_order_relaxed),
                    o->dns_lookups.load(std::memory_order_relaxed)});
  }
  return rows;
}

}  // namespace ocspcache
