// The refresher's counters (refresh/refresher.h), here so the metrics read
// them without depending on the module that writes them.
#pragma once

#include <atomic>
#include <cstdint>

namespace ocspcache {

struct RefreshStats {
  std::atomic<uint64_t> refreshed{0};  // a newer answer replaced the old one
  std::atomic<uint64_t> unchanged{0};  // the responder gave the same (or an older) answer
  std::atomic<uint64_t> failed{0};     // no valid answer: the old one stays, retried later
  std::atomic<uint64_t> idle{0};       // nobody asked for cache.refresh_idle: left to expire
  // A fleet (Redis): another instance's refreshed answer was taken instead
  // of asking the responder (fleet), or another instance held or had just
  // done the refresh, so ours waits for the fleet's time (deferred).
  std::atomic<uint64_t> fleet{0};
  std::atomic<uint64_t> deferred{0};
  std::atomic<uint64_t> scheduled{0};  // answers with a refresh time now
  std::atomic<uint64_t> in_flight{0};
  std::atomic<int64_t> lag_seconds{0};  // the most overdue refresh, behind its due time
};

}  // namespace ocspcache
