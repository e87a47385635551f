#include "ocspcache/util/loop_mailbox.h"

#include <event2/event.h>

#include <stdexcept>
#include <utility>

namespace ocspcache {

void LoopMailbox::EventDeleter::operator()(event* e) const { event_free(e); }

LoopMailbox::LoopMailbox(event_base* base, std::function<void()> before_batch)
    : before_batch_(std::move(before_batch)) {
  if (base == nullptr) throw std::runtime_error("mailbox without an event loop");
  event_.reset(event_new(base, -1, EV_PERSIST, &LoopMailbox::on_event, this));
  if (!event_) throw std::runtime_error("event_new failed (mailbox)");
}

// The event goes first (a member declared last), so no callback can run
// into closures being destroyed.
LoopMailbox::~LoopMailbox() = default;

void LoopMailbox::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
  }
  event_active(event_.get(), EV_READ, 0);
}

void LoopMailbox::clear() {
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(queue_);
  }
  // Destroyed outside the lock: a closure's captures may post on the way out.
}

void LoopMailbox::on_event(int, short, void* arg) { static_cast<LoopMailbox*>(arg)->run(); }

void LoopMailbox::run() {
  {
    std::lock_guard lock(mu_);
    running_.swap(queue_);
  }
  if (before_batch_) before_batch_();
  for (auto& fn : running_) fn();
  running_.clear();
}

}  // namespace ocspcache
