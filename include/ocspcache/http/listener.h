// Listening sockets for the front end: one per address per worker, with
// SO_REUSEPORT so the kernel spreads connections over the workers.
#pragma once

#include <vector>

#include "ocspcache/config/config.h"

namespace ocspcache {

// Binds `addr` `count` times with SO_REUSEPORT. Port 0 picks a free port
// once and the others bind that same port. Throws std::runtime_error naming
// the address and the reason. `bound` receives the actual address.
std::vector<int> open_listeners(const HostPort& addr, unsigned count, HostPort* bound);

}  // namespace ocspcache
