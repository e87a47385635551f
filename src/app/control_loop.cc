#include "ocspcache/app/control_loop.h"

#include <event2/event.h>

#include <stdexcept>

namespace ocspcache {

void ControlLoop::BaseDeleter::operator()(event_base* b) const {
  event_base_free(b);
}
void ControlLoop::EventDeleter::operator()(event* e) const {
  event_free(e);
}

namespace {
event_base* checked(event_base* b) {
  if (b == nullptr) throw std::runtime_error("event_base_new failed (control loop)");
  return b;
}
}  // namespace

ControlLoop::ControlLoop(const Clock& clock)
    : base_(checked(event_base_new())), timers_(base_.get(), clock), mailbox_(base_.get()) {}

ControlLoop::~ControlLoop() {
  signals_.clear();
  mailbox_.clear();
}

void ControlLoop::post(std::function<void()> fn) { mailbox_.post(std::move(fn)); }

void ControlLoop::on_signal(int signo, std::function<void()> fn) {
  auto s = std::make_unique<Signal>();
  s->fn = std::move(fn);
  s->ev.reset(evsignal_new(base_.get(), signo, &ControlLoop::on_signal_event, s.get()));
  if (!s->ev || event_add(s->ev.get(), nullptr) != 0) {
    throw std::runtime_error("cannot handle signal " + std::to_string(signo));
  }
  signals_.push_back(std::move(s));
}

void ControlLoop::on_signal_event(int, short, void* arg) {
  static_cast<Signal*>(arg)->fn();
}

TimerQueue::TimerId ControlLoop::after(Millis delay, std::function<void()> fn) {
  return timers_.after(delay, std::move(fn));
}

TimerQueue::TimerId ControlLoop::every(Millis period, std::function<void()> fn) {
  return timers_.every(period, std::move(fn));
}

void ControlLoop::cancel(TimerQueue::TimerId id) {
  timers_.cancel(id);
}

void ControlLoop::run() {
  event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
}

void ControlLoop::exit() {
  event_base_loopexit(base_.get(), nullptr);
}

}  // namespace ocspcache
