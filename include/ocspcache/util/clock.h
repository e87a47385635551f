// Time, behind a seam: code whose logic depends on time (timers, drain
// deadlines, rate limits, the tracker's idle expiry) takes a Clock, and its
// unit tests move a ManualClock instead of sleeping.
//
// The hot path does not call through the interface: a worker reads the
// system clock once per loop wake-up (Worker::refresh_now) and passes the
// second down.
#pragma once

#include <atomic>
#include <cstdint>

namespace ocspcache {

// CLOCK_MONOTONIC in nanoseconds (vDSO, no system call).
uint64_t monotonic_ns();
// Unix seconds of the system clock.
int64_t now_unix();

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t unix_seconds() const = 0;  // wall clock: OCSP times, metrics
  virtual int64_t monotonic_ms() const = 0;  // intervals, deadlines
};

// The real clocks. One process-wide instance; never destroyed.
Clock& system_clock();

// A clock that moves only when told to. Thread-safe reads, so a component
// under test may read it from its own thread.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t unix_seconds = 1'700'000'000, int64_t monotonic_ms = 1'000'000)
      : unix_(unix_seconds), mono_ms_(monotonic_ms) {}
  int64_t unix_seconds() const override { return unix_.load(std::memory_order_relaxed); }
  int64_t monotonic_ms() const override { return mono_ms_.load(std::memory_order_relaxed); }
  // Moves both clocks forward; the wall clock by whole seconds crossed.
  void advance_ms(int64_t ms) {
    const int64_t before = mono_ms_.fetch_add(ms, std::memory_order_relaxed);
    unix_.fetch_add((before + ms) / 1000 - before / 1000, std::memory_order_relaxed);
  }
  void advance_seconds(int64_t s) { advance_ms(s * 1000); }
  void set_unix(int64_t unix_seconds) { unix_.store(unix_seconds, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> unix_;
  std::atomic<int64_t> mono_ms_;
};

}  // namespace ocspcache
