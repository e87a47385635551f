// A TimerQueue driven by one libevent timer on a loop: armed for the
// earliest due time whenever a timer is added and after each run. The
// control loop's timers and the upstream thread's are this; code that only
// needs timers takes the Timers interface (timer_queue.h), so unit tests
// hand it a bare TimerQueue and a ManualClock instead.
#pragma once

#include <functional>
#include <memory>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/timer_queue.h"

struct event_base;
struct event;

namespace ocspcache {

class LoopTimers final : public Timers {
 public:
  // `base` must outlive this; loop-thread only.
  LoopTimers(event_base* base, const Clock& clock);
  ~LoopTimers() override;
  LoopTimers(const LoopTimers&) = delete;
  LoopTimers& operator=(const LoopTimers&) = delete;

  TimerId after(Millis delay, std::function<void()> fn) override;
  TimerId every(Millis period, std::function<void()> fn);
  void cancel(TimerId id) override;
  size_t size() const { return queue_.size(); }

 private:
  struct EventDeleter {
    void operator()(event* e) const;
  };
  static void on_timer(int fd, short what, void* arg);
  void arm();

  TimerQueue queue_;
  std::unique_ptr<event, EventDeleter> event_;
};

}  // namespace ocspcache
