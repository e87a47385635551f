#include "ocspcache/upstream/single_flight.h"

namespace ocspcache {

bool SingleFlight::join(const ocsp::CacheKey& key, Waiter waiter) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = flights_.try_emplace(key);
  it->second.push_back(std::move(waiter));
  return inserted;
}

void SingleFlight::complete(const ocsp::CacheKey& key, const FetchOutcome& outcome) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    auto it = flights_.find(key);
    if (it == flights_.end()) return;
    waiters = std::move(it->second);
    flights_.erase(it);
  }
  for (auto& w : waiters) w(outcome);
}

size_t SingleFlight::in_flight() const {
  std::lock_guard lock(mu_);
  return flights_.size();
}

}  // namespace ocspcache
