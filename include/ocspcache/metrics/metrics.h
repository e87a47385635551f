// The /metrics renderer and what feeds it (names, help and types come from
// the catalogue, catalogue.h). Rare-path metrics live in a
// prometheus-cpp registry; hot-path ones are summed from WorkerStats at
// scrape time; per-certificate state lives in the CertTracker this object
// owns, per-responder state upstream (read through a ResponderSource), the
// cache's size in the store; each is copied out under its own lock and
// formatted after.
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

#include "ocspcache/cache/refresh_stats.h"
#include "ocspcache/cache/staple_stats.h"
#include "ocspcache/cache/revocation_ledger.h"
#include "ocspcache/cache/shared_store.h"
#include "ocspcache/cache/snapshot_stats.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/metrics/cert_tracker.h"
#include "ocspcache/metrics/responder_status.h"
#include "ocspcache/metrics/worker_stats.h"

namespace ocspcache {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Start-up wiring (before workers run).
  void add_worker(const WorkerStats* stats) { workers_.push_back(stats); }
  void set_store(const Store* store) { store_ = store; }
  void set_ledger(const RevocationLedger* ledger) { ledger_ = ledger; }
  // cache.backend = "redis": the tier's counters (ocspcache_redis_*), and
  // what /status and /readyz say of it.
  struct SharedInfo {
    std::string backend;  // "redis"
    std::string address;  // host:port or unix:/path (never the password)
  };
  void set_shared(const SharedStoreStats* stats, SharedInfo info) {
    shared_ = stats;
    shared_info_ = std::move(info);
  }
  const SharedStoreStats* shared() const { return shared_; }
  const SharedInfo& shared_info() const { return shared_info_; }
  // cache.snapshot: its writes and what the start restored (ocspcache_snapshot_*).
  void set_snapshot(const SnapshotStats* stats) { snapshot_ = stats; }
  // The refresher's counters (ocspcache_refresh*); the daemon always has one.
  void set_refresh(const RefreshStats* stats) { refresh_ = stats; }
  // stapling.certs: the staple files and after_update (ocspcache_staple*).
  void set_staples(const StapleStats* stats) { staples_ = stats; }
  void set_responder_source(ResponderSource source) { responder_source_ = std::move(source); }
  void set_transport_source(TransportSource source) { transport_source_ = std::move(source); }
  // Start-up: the descriptor budget /status shows (util/fd_limit.h), and
  // how many descriptors the configuration may need at once.
  struct FdBudget {
    uint64_t limit = 0;
    uint64_t hard_limit = 0;
    uint64_t needed = 0;
  };
  void set_fd_budget(FdBudget budget) { fd_budget_ = budget; }
  FdBudget fd_budget() const { return fd_budget_; }

  // Thread-safe; called once per upstream exchange. `outcome` is the label
  // (upstream/outcome.h names them).
  void upstream_result(std::string_view responder, std::string_view outcome, double seconds);
  // A miss answered tryLater from a remembered failure (upstream.negative_ttl).
  void failure_remembered() { failures_remembered_->Increment(); }
  // A miss answered tryLater for load: "queue_full" or "queue_wait".
  void upstream_shed(std::string_view reason);
  void upstream_hedged(size_t n) { hedges_->Increment(static_cast<double>(n)); }
  // Forward-proxy mode refused a request (`reason`: http/forward_target.h).
  void forward_refused(std::string_view reason);

  // Thread-safe sources of the ssl_ocsp_response_* series, responder_up and /status.
  CertTracker& certs() { return certs_; }
  std::vector<ResponderStatus> responders() const {
    return responder_source_ ? responder_source_() : std::vector<ResponderStatus>{};
  }
  const Store* store() const { return store_; }

  // Prometheus text exposition of everything. Not const: the tracker prunes
  // idle certificates as it is read.
  std::string render(int64_t now);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* upstream_requests_;
  prometheus::Family<prometheus::Histogram>* upstream_duration_;
  prometheus::Counter* failures_remembered_;
  prometheus::Counter* shed_queue_full_;
  prometheus::Counter* shed_queue_wait_;
  prometheus::Counter* hedges_;
  prometheus::Family<prometheus::Counter>* forward_refused_;
  std::vector<const WorkerStats*> workers_;
  const Store* store_ = nullptr;
  FdBudget fd_budget_;
  const SharedStoreStats* shared_ = nullptr;
  SharedInfo shared_info_;
  const RevocationLedger* ledger_ = nullptr;
  const SnapshotStats* snapshot_ = nullptr;
  const RefreshStats* refresh_ = nullptr;
  const StapleStats* staples_ = nullptr;
  CertTracker certs_;
  ResponderSource responder_source_;
  TransportSource transport_source_;
};

}  // namespace ocspcache
