// What the admin listener says beyond /metrics: /status (JSON for humans and
// scripts: every tracked certificate and responder) and the /readyz verdict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ocspcache/metrics/metrics.h"

namespace ocspcache {

// Always a valid JSON document (json.h escapes every string).
std::string render_status_json(Metrics& metrics, int64_t now);

struct ReadyzAnswer {
  int code = 200;
  std::string body;
};

// 503 only when the service cannot answer at all (not listening yet, or
// draining for shutdown). A responder that is down does not make the
// instance unready: it still answers from cache and with tryLater, and
// taking every instance out of a load balancer because a CA is down would
// turn a partial outage into a total one. Such states are listed as
// "ready (degraded: ...)" with 200.
// `shared_down`: "" or what to say of a shared store that is down (Redis):
// the instance still serves (memory and responders), so it stays ready,
// degraded.
ReadyzAnswer readyz(bool listening, bool draining, const std::vector<ResponderStatus>& responders,
                    std::string_view shared_down = {});

}  // namespace ocspcache
