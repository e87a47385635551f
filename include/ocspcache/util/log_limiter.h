// Rate limiting for repeated log lines: during a responder outage every miss
// fails the same way, and one line per request would bury everything else.
// A key (e.g. responder + outcome) is let through at most once per interval;
// the next line that gets through carries `suppressed=N`.
//
// Time comes from a Clock (monotonic), so tests move a ManualClock.
// Only error paths call this, so a mutex is fine.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"

namespace ocspcache::log {

class Limiter {
 public:
  explicit Limiter(Millis interval = Millis{10'000}, const Clock& clock = system_clock())
      : clock_(clock), interval_ms_(interval.count()) {}
  void set_interval(Millis interval);

  // True when a line for `key` may be written now; *suppressed is then how
  // many were held back since the last one written (0 for the first).
  bool allow(std::string_view key, uint64_t* suppressed);

  // log::warn(event, fields) unless a line for `key` was written within the
  // interval; the line that gets through ends with how many were held back
  // (" suppressed=N").
  void warn(std::string_view key, std::string_view event, std::string fields);

 private:
  struct Slot {
    int64_t last_ms = 0;
    uint64_t suppressed = 0;
  };
  const Clock& clock_;
  std::mutex mu_;
  int64_t interval_ms_;
  absl::flat_hash_map<std::string, Slot> slots_;  // bounded: responders x outcomes
};

// The process-wide limiter for upstream errors (log.upstream_error_interval).
Limiter& upstream_errors();

}  // namespace ocspcache::log
