// The control loop's timers as plain data: what is due when, on a Clock.
// The loop (control_loop.h) arms one libevent timer for the earliest due
// time and calls run_due() when it fires; unit tests move a ManualClock and
// call run_due() themselves, so timer logic is tested without sleeping.
//
// Background work hangs here: the metrics' housekeeping and the shutdown
// drain, refresh ahead and snapshots next; the upstream thread's fetch
// deadlines, queue waits and hedges. One loop's thread only (not
// thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"

namespace ocspcache {

// What code that needs one-shot timers on its loop asks of it (the fetcher).
// A TimerQueue is one; so is a loop that arms libevent for one.
class Timers {
 public:
  using TimerId = uint64_t;
  virtual ~Timers() = default;
  // Runs `fn` once, `delay` from now, on the loop's thread.
  virtual TimerId after(Millis delay, std::function<void()> fn) = 0;
  // Idempotent; a timer may cancel itself or another from its callback.
  virtual void cancel(TimerId id) = 0;
};

class TimerQueue final : public Timers {
 public:
  explicit TimerQueue(const Clock& clock) : clock_(clock) {}

  TimerId after(Millis delay, std::function<void()> fn) override;
  // Runs `fn` every `period` (first after one period). A run that falls
  // behind is not repeated to catch up: the next is one period after it.
  TimerId every(Millis period, std::function<void()> fn);
  void cancel(TimerId id) override;

  // Runs every timer due at the clock's now, earliest first; returns how
  // many ran. A timer scheduled by a callback for "now" runs at the next call.
  size_t run_due();
  // How long until the earliest timer is due (0 if overdue); none if empty.
  std::optional<Millis> next_due_in() const;
  size_t size() const { return timers_.size(); }
  // Entries of the due-time index: never more than size() (tests).
  size_t index_size() const { return by_due_.size(); }

 private:
  struct Timer {
    int64_t due_ms;
    Millis period;  // 0: one-shot
    std::function<void()> fn;
  };
  TimerId add(int64_t due_ms, Millis period, std::function<void()> fn);

  const Clock& clock_;
  TimerId next_id_ = 1;
  std::map<TimerId, Timer> timers_;
  std::multimap<int64_t, TimerId> by_due_;  // one pair per live timer (cancel removes its own)
};

}  // namespace ocspcache
