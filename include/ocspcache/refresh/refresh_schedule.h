// When each cached answer is refreshed: its due time, and the order they
// come due in. One heap for the whole cache, no timer per entry: a tick
// looks at the top and pops what is due, so a tick with nothing due costs
// one comparison whatever the size. Rescheduling a key pushes a new item
// and the old one is recognised as stale when it surfaces (the map holds
// the live due time), so nothing is searched; the heap is rebuilt from the
// map when stale items outnumber live ones. About 130 bytes per scheduled
// key (bench/RESULTS.md has the measured figure).
//
// Not thread-safe: the refresher holds its lock around it.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"

namespace ocspcache {

// The refresh time of an answer valid from `this_update` to `next_update`
// (DESIGN.md): this_update + ahead x window, moved earlier by up to a tenth
// of the window by `jitter` (0 <= jitter < 1) so answers a CA signed in one
// batch do not all come due in one second, and never later than
// next_update minus a safety margin (a tenth of the window, at most 5 min).
int64_t refresh_time(int64_t this_update, int64_t next_update, double ahead, double jitter);

class RefreshSchedule {
 public:
  void set(const ocsp::CacheKey& key, int64_t due);
  void erase(const ocsp::CacheKey& key);
  std::optional<int64_t> due(const ocsp::CacheKey& key) const;

  // The keys due at `now` (due <= now), earliest first, at most `max`;
  // each is removed from the schedule (the caller sets it again).
  struct Due {
    ocsp::CacheKey key;
    int64_t due;
  };
  std::vector<Due> pop_due(int64_t now, size_t max);
  // The earliest due time scheduled; nullopt when empty.
  std::optional<int64_t> earliest();

  size_t size() const { return live_.size(); }
  size_t heap_items() const { return heap_.size(); }  // live + stale, for tests

 private:
  struct Item {
    int64_t due;
    ocsp::CacheKey key;
  };
  static bool later(const Item& a, const Item& b) { return a.due > b.due; }
  void drop_stale_top();
  void maybe_rebuild();

  absl::flat_hash_map<ocsp::CacheKey, int64_t, ocsp::CacheKeyHash> live_;
  std::vector<Item> heap_;  // min-heap on due
};

}  // namespace ocspcache
