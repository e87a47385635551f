// What the metrics and the admin pages show of one responder
// (ocspcache_responder_up, /status, /readyz). The responders themselves
// live upstream (upstream/responder.h), a module the metrics do not depend
// on: the app hands the Metrics a source that copies their health into
// these rows at scrape time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ocspcache {

struct ResponderStatus {
  std::string url;
  std::vector<std::string> issuers;  // [[issuer]] names it was asked for
  bool up = false;                   // the last exchange gave a valid answer in time
  int64_t last_ok_at = 0;
  std::string last_error;  // "" when none yet
  int64_t last_error_at = 0;
  size_t recent_exchanges = 0;  // over the last `window` exchanges
  size_t recent_errors = 0;
  size_t window = 0;
  std::string breaker = "closed";  // "closed", "open" or "half-open" (upstream/breaker.h)
  uint32_t consecutive_failures = 0;
  int64_t held_seconds = 0;  // left of a 503's Retry-After; 0 = not held
  size_t in_flight = 0;      // exchanges under way
  size_t queued = 0;         // misses waiting for a slot
};

// Rows of the responders asked at least once or being asked, sorted by URL.
using ResponderSource = std::function<std::vector<ResponderStatus>()>;

// The upstream client's connections to one origin (scheme://host:port):
// copied from upstream's TransportStats at scrape time.
struct TransportRow {
  std::string origin;
  int64_t idle = 0;  // parked keep-alive connections
  int64_t busy = 0;  // connections carrying (or opening for) an exchange
  uint64_t opened = 0;
  uint64_t dns_lookups = 0;
};
using TransportSource = std::function<std::vector<TransportRow>()>;

}  // namespace ocspcache
