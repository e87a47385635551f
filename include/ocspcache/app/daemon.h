// Assembles the running service from a loaded config: cache, issuers,
// workers, admin listener; then waits for signals. SIGTERM/SIGINT drain
// and return 0.
#pragma once

#include "ocspcache/config/config.h"

namespace ocspcache {

// Returns the process exit code. Throws std::runtime_error for start-up
// failures (cannot listen, unreadable issuer certificate).
int run_daemon(const Config& config);

}  // namespace ocspcache
