// Bounded fan-out to the responders: at most `per_responder` exchanges in
// flight to one responder and `total` to all, at most `rate` started per
// second per responder (a token bucket, one second of burst), and a bounded
// FIFO queue of fetches waiting for their turn. When the queue is full a
// fetch is refused at once (the client gets tryLater, never a hang); a
// fetch may also give up its place (its deadline passed).
//
// Without it, 10,000 distinct CertIDs asked at once would be 10,000 sockets
// to a CA. Upstream thread only (not thread-safe): one gate for the process,
// so the limits are exact whatever the number of workers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include <absl/container/flat_hash_map.h>
#include "ocspcache/upstream/responder.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/timer_queue.h"

namespace ocspcache {

struct GateLimits {
  size_t per_responder = 16;  // upstream.max_fetches_per_responder
  size_t total = 256;         // upstream.max_fetches
  size_t queue = 4096;        // upstream.queue: waiting fetches, all responders
  uint32_t rate = 0;          // upstream.rate: starts per second per responder; 0 = no limit
  bool operator==(const GateLimits&) const = default;
};

class FetchGate {
 public:
  using Ticket = uint64_t;
  using Grant = std::function<void()>;
  enum class Admit : uint8_t {
    kGranted,  // a slot is taken for the caller: start the exchange now
    kQueued,   // `grant` runs (from release() or a timer) when a slot is the caller's
    kFull,     // refused: the queue is full
  };

  FetchGate(const Clock& clock, Timers& timers, GateLimits limits = {});
  ~FetchGate();
  FetchGate(const FetchGate&) = delete;
  FetchGate& operator=(const FetchGate&) = delete;

  // Applies at once; raised limits start queued fetches now.
  void set_limits(const GateLimits& limits);

  // A slot for one exchange with `r`, now or later. With kQueued, *ticket
  // names the place in the queue (for withdraw()).
  Admit acquire(Responder& r, Grant grant, Ticket* ticket);
  // A slot now or nothing (a hedge does not queue).
  bool try_acquire(Responder& r);
  // The exchange ended: its slot goes to the oldest waiter that may start.
  void release(Responder& r);
  // A queued fetch gives up (its deadline passed); a no-op once granted.
  void withdraw(Ticket ticket);

  size_t in_flight() const { return in_flight_; }
  size_t queued() const { return queued_; }
  // Responders with state here (a slot, a waiter or a rate bucket).
  size_t lanes() const { return lanes_.size(); }

 private:
  struct Waiter {
    Ticket ticket;
    Grant grant;
  };
  struct Lane {
    Responder* responder = nullptr;
    size_t in_flight = 0;
    std::deque<Waiter> waiting;  // withdrawn waiters have an empty grant
    size_t live = 0;             // waiters not withdrawn
    double tokens = 0;
    int64_t refilled_ms = 0;
    // A forwarded responder's lane (forward-proxy mode): clients name new
    // ones at will, and the set forgets them (LRU), so their idle lanes go.
    bool prunable = false;
  };
  Lane& lane(Responder& r);
  bool has_slot(const Lane& l) const;
  bool may_start(Lane& l, int64_t now_ms);  // a slot and a token now
  void take(Lane& l);
  static void publish(const Lane& l);
  static void drop_withdrawn(Lane& l);
  void pump();  // grant what may start, oldest first
  void refill(Lane& l, int64_t now_ms) const;
  void arm_refill(int64_t now_ms);  // when waiters wait for tokens only
  // Drops prunable lanes with nothing in flight, nobody waiting and a full
  // bucket (so forgetting it grants nothing a kept one would not). Never
  // reads a lane's responder: a forgotten one may be freed already.
  void prune_idle(int64_t now_ms);

  const Clock& clock_;
  Timers& timers_;
  GateLimits limits_;
  // Keyed by address: configured responders live as long as the process
  // (ResponderSet); a forwarded one may be freed once idle, and its lane
  // (prunable) is dropped when the map next grows past prune_at_.
  absl::flat_hash_map<Responder*, std::unique_ptr<Lane>> lanes_;
  size_t prune_at_ = kMinPruneAt;
  static constexpr size_t kMinPruneAt = 64;
  absl::flat_hash_map<Ticket, Responder*> where_;
  Ticket next_ticket_ = 1;
  size_t in_flight_ = 0;
  size_t queued_ = 0;
  Timers::TimerId refill_timer_ = 0;
  bool pumping_ = false;
};

}  // namespace ocspcache
