// Refresh ahead across a fleet (cache.backend = "redis"): each due answer
// is fetched from its responder by one instance, and the others take its
// copy from the shared store instead of asking again.
//
// The fleet's schedule is DESIGN.md's `due` sorted set: the instance that
// refreshes an answer (or fails to, and backs off) records the key's next
// refresh time there. An instance whose own time for the key comes:
//   1. reads the fleet's time and stored answer (state): a newer answer
//      than its own is validated and taken; a fleet time still ahead means
//      another instance did this refresh, so it follows that time;
//   2. otherwise claims the refresh with the key's `lock:<hex>` (claim):
//      the winner fetches, then stores the answer (which releases the lock)
//      and records the next time; a loser waits, bounded, for the winner's
//      answer to replace the one it saw.
// Any store failure degrades to refreshing alone: Redis down never stops
// refreshes, it only costs the fleet its sharing.
//
// What the store holds is untrusted (shared_store.h): the caller validates
// every answer it takes exactly as a fetched one.
//
// Threads: state() and claim() and their callbacks run on the loop that
// owns the implementation (the control loop); stored(), abandon() and
// schedule() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"

namespace ocspcache {

struct FleetState {
  bool available = true;       // false: the store failed; refresh alone
  std::vector<uint8_t> der;    // the stored answer (not validated); empty: none
  std::optional<int64_t> due;  // the fleet's next refresh time (unix seconds)
};

struct FleetClaim {
  enum class Status {
    kOurs,         // we hold the lock: fetch, then stored() or abandon()
    kAnswered,     // another instance stored a new answer while we waited: `der`
    kHeld,         // another instance still holds the lock: try again later
    kUnavailable,  // the store failed: refresh alone
  };
  Status status = Status::kUnavailable;
  std::vector<uint8_t> der;
};

class FleetRefresh {
 public:
  virtual ~FleetRefresh() = default;

  virtual void state(const ocsp::CacheKey& key, std::function<void(FleetState)> done) = 0;

  // Takes the key's refresh lock. When another instance holds it, waits
  // (bounded) for a stored answer other than `seen` (what state() found).
  virtual void claim(const ocsp::CacheKey& key, std::vector<uint8_t> seen,
                     std::function<void(FleetClaim)> done) = 0;

  // Our refresh ended: with an answer to store (a newer one stored already
  // wins), or without one (abandon). Either releases our lock.
  virtual void stored(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                      int64_t next_update) = 0;
  virtual void abandon(const ocsp::CacheKey& key) = 0;

  // Records the key's next refresh time in the fleet's schedule.
  virtual void schedule(const ocsp::CacheKey& key, int64_t due) = 0;
};

}  // namespace ocspcache
