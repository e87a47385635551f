// The metric catalogue (names and help of DESIGN.md in one place) and the
// /metrics renderer. Rare-path metrics live in a prometheus-cpp registry;
// hot-path ones are summed from WorkerStats at scrape time; per-certificate
// and per-responder state lives in the CertTracker and ResponderHealth this
// object owns, copied out under their locks and formatted after.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/metrics/cert_tracker.h"
#include "ocspcache/upstream/responder_health.h"
#include "ocspcache/metrics/worker_stats.h"

namespace ocspcache {

class MemoryCache;

// Outcome label of ocspcache_upstream_requests_total.
enum class UpstreamOutcome : uint8_t {
  kGood, kRevoked, kUnknown, kTryLater, kUnauthorized, kMalformed, kInvalid,
  kTimeout, kHttpError, kConnectError,
};
constexpr size_t kUpstreamOutcomes = 10;
const char* to_label(UpstreamOutcome o);

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Start-up wiring (before workers run).
  void add_worker(const WorkerStats* stats) { workers_.push_back(stats); }
  void set_cache(const MemoryCache* cache) { cache_ = cache; }

  // Thread-safe; called once per upstream exchange.
  void upstream_result(std::string_view responder, UpstreamOutcome outcome, double seconds);

  // Thread-safe sources of the ssl_ocsp_response_* series, responder_up and /status.
  CertTracker& certs() { return certs_; }
  ResponderHealth& responders() { return responders_; }
  const ResponderHealth& responders() const { return responders_; }
  const MemoryCache* cache() const { return cache_; }

  // Prometheus text exposition of everything. Not const: the tracker prunes
  // idle certificates as it is read.
  std::string render(int64_t now);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* upstream_requests_;
  prometheus::Family<prometheus::Histogram>* upstream_duration_;
  std::vector<const WorkerStats*> workers_;
  const MemoryCache* cache_ = nullptr;
  CertTracker certs_;
  ResponderHealth responders_;
};

}  // namespace ocspcache
