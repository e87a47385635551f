// Single-flight: however many callers (on however many threads) wait for one
// key, one of them does the work. The first to join becomes the leader and
// must later call complete(); the others only leave a callback. Callbacks
// run on the thread that completes the flight, outside the lock, and must
// hand off to their own loop if they have one.
//
// Used for cache misses (http/miss_resolver.h: one upstream fetch per
// CertID across all workers); generic so refresh and the Redis lookup can
// coalesce the same way.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace ocspcache {

template <typename Key, typename Outcome, typename Hash = absl::Hash<Key>>
class SingleFlight {
 public:
  using Waiter = std::function<void(const Outcome&)>;

  // Registers `waiter`; true when the caller is the leader.
  bool join(const Key& key, Waiter waiter) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = flights_.try_emplace(key);
    it->second.push_back(std::move(waiter));
    return inserted;
  }

  // Ends the flight and runs every waiter (outside the lock).
  void complete(const Key& key, const Outcome& outcome) {
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

  size_t in_flight() const {
    std::lock_guard lock(mu_);
    return flights_.size();
  }

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<Key, std::vector<Waiter>, Hash> flights_;
};

}  // namespace ocspcache
