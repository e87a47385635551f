// The process's descriptor budget. Every client connection, upstream
// connection, listener and eventfd takes one, and the soft RLIMIT_NOFILE is
// often 1,024 while server.max_connections defaults to 10,000: start-up
// raises the soft limit to the hard one and says when the configured
// connections still cannot fit.
#pragma once

#include <cstdint>
#include <string>

namespace ocspcache {

struct FdLimit {
  uint64_t soft_before = 0;  // the soft limit found at start
  uint64_t soft = 0;         // the soft limit now
  uint64_t hard = 0;
  std::string error;         // setrlimit's failure, if any (the limit stays as found)
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at `cap`, for a
// hard limit of "unlimited"). Start-up only.
FdLimit raise_fd_limit(uint64_t cap = 1u << 20);

}  // namespace ocspcache
