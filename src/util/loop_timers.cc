#include "ocspcache/util/loop_timers.h"

#include <event2/event.h>

#include <stdexcept>

namespace ocspcache {

void LoopTimers::EventDeleter::operator()(event* e) const { event_free(e); }

LoopTimers::LoopTimers(event_base* base, const Clock& clock)
    : queue_(clock), event_(evtimer_new(base, &LoopTimers::on_timer, this)) {
  if (!event_) throw std::runtime_error("evtimer_new failed");
}

LoopTimers::~LoopTimers() = default;

Timers::TimerId LoopTimers::after(Millis delay, std::function<void()> fn) {
  const TimerId id = queue_.after(delay, std::move(fn));
  arm();
  return id;
}

Timers::TimerId LoopTimers::every(Millis period, std::function<void()> fn) {
  const TimerId id = queue_.every(period, std::move(fn));
  arm();
  return id;
}

// The libevent timer stays armed for a cancelled earliest timer; it then
// fires, runs nothing and re-arms: cheaper than re-arming on every cancel.
void LoopTimers::cancel(TimerId id) { queue_.cancel(id); }

void LoopTimers::on_timer(int, short, void* arg) {
  auto* self = static_cast<LoopTimers*>(arg);
  self->queue_.run_due();
  self->arm();
}

void LoopTimers::arm() {
  const auto next = queue_.next_due_in();
  if (!next) {
    event_del(event_.get());
    return;
  }
  const timeval tv = to_timeval(*next);
  event_add(event_.get(), &tv);
}

}  // namespace ocspcache
