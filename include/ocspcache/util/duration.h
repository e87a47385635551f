// Durations as the config writes them and the event loops take them.
#pragma once

#include <sys/time.h>

#include <chrono>

namespace ocspcache {

using Millis = std::chrono::milliseconds;

// libevent's timers take a timeval.
inline timeval to_timeval(Millis d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>(d.count() % 1000 * 1000)};
}

}  // namespace ocspcache
