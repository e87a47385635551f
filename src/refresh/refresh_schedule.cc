#include "ocspcache/refresh/refresh_schedule.h"

#include <algorithm>
#include <cmath>

namespace ocspcache {

int64_t refresh_time(int64_t this_update, int64_t next_update, double ahead, double jitter) {
  const int64_t window = std::max<int64_t>(next_update - this_update, 0);
  const auto at = this_update + static_cast<int64_t>(std::floor(ahead * static_cast<double>(window)));
  const auto spread = static_cast<int64_t>(std::floor(jitter * static_cast<double>(window) / 10.0));
  const int64_t margin = std::min<int64_t>(window / 10, 300);
  return std::min(at - spread, next_update - margin);
}

void RefreshSchedule::set(const ocsp::CacheKey& key, int64_t due) {
  live_[key] = due;
  heap_.push_back({due, key});
  std::push_heap(heap_.begin(), heap_.end(), later);
  maybe_rebuild();
}

void RefreshSchedule::erase(const ocsp::CacheKey& key) {
  live_.erase(key);
  maybe_rebuild();
}

std::optional<int64_t> RefreshSchedule::due(const ocsp::CacheKey& key) const {
  auto it = live_.find(key);
  if (it == live_.end()) return std::nullopt;
  return it->second;
}

void RefreshSchedule::drop_stale_top() {
  while (!heap_.empty()) {
    const Item& top = heap_.front();
    auto it = live_.find(top.key);
    if (it != live_.end() && it->second == top.due) return;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

std::vector<RefreshSchedule::Due> RefreshSchedule::pop_due(int64_t now, size_t max) {
  std::vector<Due> out;
  while (out.size() < max) {
    drop_stale_top();
    if (heap_.empty() || heap_.front().due > now) break;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Item item = heap_.back();
    heap_.pop_back();
    live_.erase(item.key);
    out.push_back({item.key, item.due});
  }
  return out;
}

std::optional<int64_t> RefreshSchedule::earliest() {
  drop_stale_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().due;
}

void RefreshSchedule::maybe_rebuild() {
  // Stale items are dropped as they surface; only when they pile up (keys
  // rescheduled far ahead of their old time, or erased) is the heap made
  // anew from the live map: amortised O(1) per set.
  if (heap_.size() <= 2 * live_.size() + 1024) return;
  heap_.clear();
  heap_.reserve(live_.size());
  for (const auto& [key, due] : live_) heap_.push_back({due, key});
  std::make_heap(heap_.begin(), heap_.end(), later);
}

}  // namespace ocspcache
