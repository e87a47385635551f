// The app's control loop: one libevent loop on the main thread, never a
// worker's. It hosts what is not the request path: signal handling
// (SIGTERM/SIGINT drain, SIGHUP reload), the admin listener, and timers for
// background work (timer_queue.h). A worker never waits on it.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/loop_mailbox.h"
#include "ocspcache/util/loop_timers.h"

struct event_base;
struct event;

namespace ocspcache {

class ControlLoop {
 public:
  explicit ControlLoop(const Clock& clock);
  ~ControlLoop();
  ControlLoop(const ControlLoop&) = delete;
  ControlLoop& operator=(const ControlLoop&) = delete;

  event_base* base() { return base_.get(); }

  // Runs `fn` on this loop each time `signo` arrives (libevent's signal
  // events: the handler only wakes the loop). Start-up only.
  void on_signal(int signo, std::function<void()> fn);

  TimerQueue::TimerId after(Millis delay, std::function<void()> fn);
  TimerQueue::TimerId every(Millis period, std::function<void()> fn);
  void cancel(TimerQueue::TimerId id);

  // Runs `fn` on this loop soon; callable from any thread (the upstream
  // thread hands the refresher's fleet writes over this way). Functions
  // still queued when the loop is destroyed are dropped, not run.
  void post(std::function<void()> fn);

  // Runs until exit() (called from a callback on this loop).
  void run();
  void exit();

 private:
  struct BaseDeleter {
    void operator()(event_base* b) const;
  };
  struct EventDeleter {
    void operator()(event* e) const;
  };
  using EventPtr = std::unique_ptr<event, EventDeleter>;
  struct Signal {
    std::function<void()> fn;
    EventPtr ev;
  };
  static void on_signal_event(int fd, short what, void* arg);

  std::unique_ptr<event_base, BaseDeleter> base_;
  LoopTimers timers_;
  std::vector<std::unique_ptr<Signal>> signals_;
  LoopMailbox mailbox_;
};

}  // namespace ocspcache
