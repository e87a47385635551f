// Work handed to an event loop from any thread. post() queues a closure and
// wakes the loop; the loop runs everything queued so far, in order, on its
// own thread. The workers, the upstream thread and the control loop each
// take cross-thread work through one of these.
//
// Waking from another thread needs evthread_use_pthreads() before the base
// was made (the app calls it first).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

struct event_base;
struct event;

namespace ocspcache {

class LoopMailbox {
 public:
  // `base` must outlive this. `before_batch`, if given, runs on the loop
  // thread ahead of each batch (the worker refreshes its cached clock).
  // Throws std::runtime_error when the event cannot be made.
  explicit LoopMailbox(event_base* base, std::function<void()> before_batch = {});
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Thread-safe.
  void post(std::function<void()> fn);
  // Drops closures not yet run, for owners whose closures capture parts that
  // must go before the mailbox does. Not from inside a closure.
  void clear();

 private:
  struct EventDeleter {
    void operator()(event* e) const;
  };
  static void on_event(int fd, short what, void* arg);
  void run();

  std::function<void()> before_batch_;
  std::mutex mu_;
  std::vector<std::function<void()>> queue_;
  // Loop thread only: the batch being run. Swapped with queue_ so the two
  // buffers are reused and a batch allocates nothing once they have grown.
  std::vector<std::function<void()>> running_;
  std::unique_ptr<event, EventDeleter> event_;
};

}  // namespace ocspcache
