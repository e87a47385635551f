// Wall-clock seconds, behind a seam so tests can move time.
#pragma once

#include <cstdint>

namespace ocspcache {

// Unix seconds. The hot path reads this once per event-loop wake-up.
int64_t now_unix();

// Tests only: pin "now" to a fixed value (0 restores the real clock).
void set_fake_now_for_testing(int64_t unix_seconds);

}  // namespace ocspcache
