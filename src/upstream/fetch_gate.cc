#include "ocspcache/upstream/fetch_gate.h"

#include <algorithm>
#include <limits>

namespace ocspcache {

FetchGate::FetchGate(const Clock& clock, Timers& timers, GateLimits limits)
    : clock_(clock), timers_(timers), limits_(limits) {}

FetchGate::~FetchGate() {
  if (refill_timer_ != 0) timers_.cancel(refill_timer_);
}

void FetchGate::set_limits(const GateLimits& limits) {
  limits_ = limits;
  pump();
}

FetchGate::Lane& FetchGate::lane(Responder& r) {
  if (auto it = lanes_.find(&r); it != lanes_.end()) return *it->second;
  const int64_t now_ms = clock_.monotonic_ms();
  if (lanes_.size() >= prune_at_) {
    prune_idle(now_ms);
    prune_at_ = std::max(kMinPruneAt, 2 * lanes_.size());  // amortised: doubling
  }
  std::unique_ptr<Lane>& slot = lanes_[&r];
  slot = std::make_unique<Lane>();
  slot->responder = &r;
  slot->tokens = std::max<double>(1, limits_.rate);
  slot->refilled_ms = now_ms;
  slot->prunable = r.forwarded();
  return *slot;
}

void FetchGate::prune_idle(int64_t now_ms) {
  const double full = std::max<double>(1, limits_.rate);
  absl::erase_if(lanes_, [&](const auto& entry) {
    Lane& l = *entry.second;
    if (!l.prunable || l.in_flight != 0 || !l.waiting.empty()) return false;
    refill(l, now_ms);
    return limits_.rate == 0 || l.tokens >= full;
  });
}

bool FetchGate::has_slot(const Lane& l) const {
  return in_flight_ < limits_.total && l.in_flight < limits_.per_responder;
}

// One second of burst: a responder idle for a while gets `rate` at once,
// never more.
void FetchGate::refill(Lane& l, int64_t now_ms) const {
  if (limits_.rate == 0) return;
  const double cap = std::max<double>(1, limits_.rate);
  const double gained = static_cast<double>(now_ms - l.refilled_ms) * limits_.rate / 1000.0;
  l.tokens = std::min(cap, l.tokens + std::max(0.0, gained));
  l.refilled_ms = now_ms;
}

bool FetchGate::may_start(Lane& l, int64_t now_ms) {
  if (!has_slot(l)) return false;
  if (limits_.rate == 0) return true;
  refill(l, now_ms);
  return l.tokens >= 1;
}

void FetchGate::take(Lane& l) {
  ++in_flight_;
  ++l.in_flight;
  if (limits_.rate != 0) l.tokens -= 1;
  publish(l);
}

void FetchGate::publish(const Lane& l) { l.responder->set_load(l.in_flight, l.live); }

void FetchGate::drop_withdrawn(Lane& l) {
  while (!l.waiting.empty() && !l.waiting.front().grant) l.waiting.pop_front();
}

FetchGate::Admit FetchGate::acquire(Responder& r, Grant grant, Ticket* ticket) {
  Lane& l = lane(r);
  const int64_t now_ms = clock_.monotonic_ms();
  // Nobody overtakes a fetch already waiting for this responder.
  if (l.live == 0 && may_start(l, now_ms)) {
    take(l);
    return Admit::kGranted;
  }
  if (queued_ >= limits_.queue) return Admit::kFull;
  const Ticket t = next_ticket_++;
  l.waiting.push_back({t, std::move(grant)});
  ++l.live;
  ++queued_;
  where_[t] = &r;
  *ticket = t;
  publish(l);
  arm_refill(now_ms);
  return Admit::kQueued;
}

bool FetchGate::try_acquire(Responder& r) {
  Lane& l = lane(r);
  if (l.live != 0 || !may_start(l, clock_.monotonic_ms())) return false;
  take(l);
  return true;
}

void FetchGate::release(Responder& r) {
  Lane& l = lane(r);
  if (l.in_flight > 0) --l.in_flight;
  if (in_flight_ > 0) --in_flight_;
  publish(l);
  pump();
}

void FetchGate::withdraw(Ticket ticket) {
  const auto it = where_.find(ticket);
  if (it == where_.end()) return;  // already granted
  Lane& l = lane(*it->second);
  where_.erase(it);
  // Tickets grow, so each lane's queue is sorted by them.
  auto w = std::lower_bound(l.waiting.begin(), l.waiting.end(), ticket,
                            [](const Waiter& a, Ticket t) { return a.ticket < t; });
  if (w != l.waiting.end() && w->ticket == ticket && w->grant) {
    w->grant = nullptr;
    --l.live;
    --queued_;
  }
  drop_withdrawn(l);
  publish(l);
  // The withdrawn fetch may have held others of its lane back.
  pump();
}

void FetchGate::pump() {
  if (pumping_) return;  // a grant that releases a slot: the loop below sees it
  pumping_ = true;
  const int64_t now_ms = clock_.monotonic_ms();
  for (;;) {
    Lane* oldest = nullptr;
    for (auto& [responder, lp] : lanes_) {
      Lane& l = *lp;
      drop_withdrawn(l);
      if (l.waiting.empty() || !may_start(l, now_ms)) continue;
      if (oldest == nullptr || l.waiting.front().ticket < oldest->waiting.front().ticket) {
        oldest = &l;
      }
    }
    if (oldest == nullptr) break;
    Waiter w = std::move(oldest->waiting.front());
    oldest->waiting.pop_front();
    --oldest->live;
    --queued_;
    where_.erase(w.ticket);
    take(*oldest);
    w.grant();
  }
  pumping_ = false;
  arm_refill(now_ms);
}

void FetchGate::arm_refill(int64_t now_ms) {
  if (limits_.rate == 0 || refill_timer_ != 0) return;
  int64_t wait_ms = std::numeric_limits<int64_t>::max();
  for (auto& [responder, lp] : lanes_) {
    Lane& l = *lp;
    if (l.live == 0 || !has_slot(l)) continue;
    refill(l, now_ms);
    const double missing = std::max(0.0, 1.0 - l.tokens);
    wait_ms = std::min<int64_t>(wait_ms, static_cast<int64_t>(missing * 1000.0 / limits_.rate) + 1);
  }
  if (wait_ms == std::numeric_limits<int64_t>::max()) return;
  refill_timer_ = timers_.after(Millis{wait_ms}, [this] {
    refill_timer_ = 0;
    pump();
  });
}

}  // namespace ocspcache
