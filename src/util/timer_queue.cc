#include "ocspcache/util/timer_queue.h"

#include <algorithm>
#include <vector>

namespace ocspcache {

TimerQueue::TimerId TimerQueue::add(int64_t due_ms, Millis period, std::function<void()> fn) {
  const TimerId id = next_id_++;
  timers_.emplace(id, Timer{due_ms, period, std::move(fn)});
  by_due_.emplace(due_ms, id);
  return id;
}

TimerQueue::TimerId TimerQueue::after(Millis delay, std::function<void()> fn) {
  return add(clock_.monotonic_ms() + delay.count(), Millis{0}, std::move(fn));
}

TimerQueue::TimerId TimerQueue::every(Millis period, std::function<void()> fn) {
  return add(clock_.monotonic_ms() + period.count(), std::max(period, Millis{1}), std::move(fn));
}

// The index entry goes too: left behind, cancelled timers (a command's
// timeout cancelled by its reply, thousands a second) pile up at the front
// of by_due_ and every next_due_in() walks them.
void TimerQueue::cancel(TimerId id) {
  auto t = timers_.find(id);
  if (t == timers_.end()) return;
  auto [first, last] = by_due_.equal_range(t->second.due_ms);
  for (auto it = first; it != last; ++it) {
    if (it->second == id) {
      by_due_.erase(it);
      break;
    }
  }
  timers_.erase(t);
}

size_t TimerQueue::run_due() {
  const int64_t now = clock_.monotonic_ms();
  // Collect first: callbacks may add or cancel timers.
  std::vector<TimerId> due;
  for (auto it = by_due_.begin(); it != by_due_.end() && it->first <= now;) {
    auto t = timers_.find(it->second);
    if (t != timers_.end() && t->second.due_ms == it->first) due.push_back(it->second);
    it = by_due_.erase(it);
  }
  size_t ran = 0;
  for (TimerId id : due) {
    auto t = timers_.find(id);
    if (t == timers_.end()) continue;  // cancelled by an earlier callback
    std::function<void()> fn = t->second.fn;  // a copy: the callback may cancel its own timer
    if (t->second.period.count() == 0) {
      timers_.erase(t);
    } else {
      t->second.due_ms = now + t->second.period.count();
      by_due_.emplace(t->second.due_ms, id);
    }
    fn();
    ++ran;
  }
  return ran;
}

std::optional<Millis> TimerQueue::next_due_in() const {
  for (const auto& [due, id] : by_due_) {
    auto t = timers_.find(id);
    if (t == timers_.end() || t->second.due_ms != due) continue;  // stale
    return Millis{std::max<int64_t>(0, due - clock_.monotonic_ms())};
  }
  return std::nullopt;
}

}  // namespace ocspcache
