// The second tier (issue 11): a store shared by a fleet (Redis), behind the
// in-process L1 (store.h). Asynchronous, so it is not a Store: the request
// path never waits on it for a hit. An L1 miss asks it before any responder
// (MissResolver), and a freshly fetched answer is written to it after L1.
//
// What it holds is untrusted: another instance, an operator with redis-cli
// or a bug may have put anything under a key. A lookup hands back bytes; the
// caller validates them exactly as a fetched answer before serving or
// storing them (ocsp::validate_response), and reports what it found.
//
// One instance per event loop (a worker's): its calls and callbacks run on
// that loop's thread, except put(), which any thread may call (the fetch
// ends on the upstream thread).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"

namespace ocspcache {

struct SharedLookup {
  enum class Status {
    kHit,          // `der` holds the stored bytes (not yet validated)
    kMiss,         // nothing stored: this instance should fetch
    kUnavailable,  // the store is down or too slow: fetch without it
  };
  Status status = Status::kMiss;
  std::vector<uint8_t> der;
};

// Counters of one backend, shared by all its per-loop instances (relaxed
// atomics: bumped on misses only). Read by the metrics and /status.
struct SharedStoreStats {
  // ocspcache_redis_lookups_total{result}
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
  std::atomic<uint64_t> invalid{0};      // a value that did not validate for its key
  std::atomic<uint64_t> unavailable{0};  // down (skipped) or failed
  // Another instance held the fetch lock: how the wait for its answer ended.
  std::atomic<uint64_t> lock_waits_answered{0};
  std::atomic<uint64_t> lock_waits_gave_up{0};
  // ocspcache_redis_writes_total{result}
  std::atomic<uint64_t> writes_stored{0};
  std::atomic<uint64_t> writes_kept_newer{0};  // a newer answer was there already
  std::atomic<uint64_t> writes_failed{0};
  // ocspcache_redis_errors_total{kind}
  std::atomic<uint64_t> errors_timeout{0};
  std::atomic<uint64_t> errors_connect{0};
  std::atomic<uint64_t> errors_reply{0};  // an error reply or a reply of the wrong type
  std::atomic<uint64_t> reconnects{0};
  std::atomic<int64_t> connections_up{0};
  std::atomic<int64_t> connections{0};
  // What the server said it is at the last login (ROLE): 0 unknown, 1
  // primary ("master"), 2 replica.
  std::atomic<int> role{0};
  // The server in use (host:port), for /status: with Sentinel it moves.
  void set_address(std::string address) {
    std::lock_guard lock(address_mu_);
    address_ = std::move(address);
  }
  std::string address() const {
    std::lock_guard lock(address_mu_);
    return address_;
  }
  // ocspcache_redis_command_duration_seconds: cumulative buckets.
  static constexpr std::array<double, 11> kBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.25};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> duration_counts{};  // last: +Inf
  std::atomic<uint64_t> duration_sum_us{0};

  void observe(double seconds) {
    size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
    duration_counts[i].fetch_add(1, std::memory_order_relaxed);
    duration_sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  }
  static void bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

 private:
  mutable std::mutex address_mu_;
  std::string address_;
};

class SharedStore {
 public:
  virtual ~SharedStore() = default;

  // Looks `key` up. On a miss the instance takes the fleet's fetch lock
  // for the key; when another instance holds it, waits (bounded) for that
  // instance's answer to appear and returns it as a hit, or a miss when the
  // wait ends without one. `done` runs once, on this loop.
  virtual void lookup(const ocsp::CacheKey& key, std::function<void(SharedLookup)> done) = 0;

  // Stores a validated answer unless the store holds one with a later
  // thisUpdate (a fleet never moves a CertID backwards), expiring at
  // `next_update` (unix seconds), and releases this instance's fetch lock.
  // Fire and forget: counted, never waited for. Any thread.
  virtual void put(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                   int64_t next_update) = 0;

  // The fetch ended without an answer to store: the lock is released so
  // that other instances stop waiting. Any thread.
  virtual void release(const ocsp::CacheKey& key) = 0;

  // A hit that did not validate for its key (garbage, truncated, another
  // CertID's answer, expired, a bad signature): counted and logged; the
  // caller fetches, and its answer overwrites the value.
  virtual void report_invalid(const ocsp::CacheKey& key, std::string_view why) = 0;
};

}  // namespace ocspcache
