#include "ocspcache/util/clock.h"

#include <ctime>

namespace ocspcache {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int64_t now_unix() { return static_cast<int64_t>(::time(nullptr)); }

namespace {

class SystemClock final : public Clock {
 public:
  int64_t unix_seconds() const override { return now_unix(); }
  int64_t monotonic_ms() const override { return static_cast<int64_t>(monotonic_ns() / 1'000'000); }
};

}  // namespace

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace ocspcache
