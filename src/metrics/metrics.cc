#include "ocspcache/metrics/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <initializer_list>
#include <span>

#include "families.h"
#include "ocspcache/util/function_ref.h"

namespace ocspcache {

const char* to_label(ReqMethod m) {
  switch (m) {
    case ReqMethod::kGet:
      return "GET";
    case ReqMethod::kPost:
      return "POST";
    case ReqMethod::kOther:
      return "other";
  }
  return "other";
}

const char* to_label(ReqResult r) {
  switch (r) {
    case ReqResult::kHit:
      return "hit";
    case ReqResult::kMiss:
      return "miss";
    case ReqResult::kStale:
      return "stale";
    case ReqResult::kError:
      return "error";
  }
  return "error";
}

const char* to_label(RejectReason r) {
  switch (r) {
    case RejectReason::kMaxConnections:
      return "max_connections";
    case RejectReason::kPerClient:
      return "per_client";
    case RejectReason::kDraining:
      return "draining";
  }
  return "max_connections";
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  const MetricSpec& requests = metric_spec("ocspcache_upstream_requests_total");
  upstream_requests_ = &prometheus::BuildCounter()
                            .Name(std::string(requests.name))
                            .Help(std::string(requests.help))
                            .Register(*registry_);
  const MetricSpec& duration = metric_spec("ocspcache_upstream_duration_seconds");
  upstream_duration_ = &prometheus::BuildHistogram()
                            .Name(std::string(duration.name))
                            .Help(std::string(duration.help))
                            .Register(*registry_);
  const MetricSpec& remembered = metric_spec("ocspcache_upstream_failures_remembered_total");
  failures_remembered_ = &prometheus::BuildCounter()
                              .Name(std::string(remembered.name))
                              .Help(std::string(remembered.help))
                              .Register(*registry_)
                              .Add({});
  const MetricSpec& shed = metric_spec("ocspcache_upstream_shed_total");
  auto& shed_family = prometheus::BuildCounter()
                          .Name(std::string(shed.name))
                          .Help(std::string(shed.help))
                          .Register(*registry_);
  shed_queue_full_ = &shed_family.Add({{"reason", "queue_full"}});
  shed_queue_wait_ = &shed_family.Add({{"reason", "queue_wait"}});
  const MetricSpec& hedges = metric_spec("ocspcache_upstream_hedges_total");
  hedges_ = &prometheus::BuildCounter()
                 .Name(std::string(hedges.name))
                 .Help(std::string(hedges.help))
                 .Register(*registry_)
                 .Add({});
  const MetricSpec& refused = metric_spec("ocspcache_forward_refused_total");
  forward_refused_ = &prometheus::BuildCounter()
                          .Name(std::string(refused.name))
                          .Help(std::string(refused.help))
                          .Register(*registry_);
}

void Metrics::upstream_shed(std::string_view reason) {
  (reason == "queue_full" ? shed_queue_full_ : shed_queue_wait_)->Increment();
}

void Metrics::forward_refused(std::string_view reason) {
  forward_refused_->Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::upstream_result(std::string_view responder, std::string_view outcome,
                              double seconds) {
  const std::string r(responder);
  upstream_requests_->Add({{"responder", r}, {"outcome", std::string(outcome)}}).Increment();
  upstream_duration_
      ->Add({{"responder", r}},
            prometheus::Histogram::BucketBoundaries(kLatencyBuckets.begin(), kLatencyBuckets.end()))
      .Observe(seconds);
}

using metric_families::family;
using metric_families::gauge_value;

namespace {

prometheus::ClientMetric counter_value(double v) {
  prometheus::ClientMetric m;
  m.counter.value = v;
  return m;
}

// A family with one unlabelled sample.
void single(std::vector<prometheus::MetricFamily>& out, const char* name,
            prometheus::ClientMetric sample) {
  auto f = family(name);
  f.metric.push_back(std::move(sample));
  out.push_back(std::move(f));
}

// A histogram sample from per-bucket counts (`count_at(i)` for bucket i of
// `bounds`, then i == bounds.size() for +Inf), made cumulative here.
prometheus::ClientMetric cumulative_histogram(std::span<const double> bounds,
                                              FunctionRef<uint64_t(size_t)> count_at, double sum) {
  prometheus::ClientMetric cm;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += count_at(i);
    prometheus::ClientMetric::Bucket b;
    b.cumulative_count = cumulative;
    b.upper_bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    cm.histogram.bucket.push_back(b);
  }
  cm.histogram.sample_count = cumulative;
  cm.histogram.sample_sum = sum;
  return cm;
}

// ocspcache_requests_total and ocspcache_request_duration_seconds, summed
// over the workers' own counters.
void append_request_families(std::vector<prometheus::MetricFamily>& out,
                             const std::vector<const WorkerStats*>& workers) {
  auto requests = family("ocspcache_requests_total");
  for (size_t m = 0; m < kReqMethods; ++m) {
    for (size_t r = 0; r < kReqResults; ++r) {
      uint64_t total = 0;
      for (const auto* w : workers) total += w->requests(ReqMethod(m), ReqResult(r));
      prometheus::ClientMetric cm = counter_value(static_cast<double>(total));
      cm.label = {{"method", to_label(ReqMethod(m))}, {"result", to_label(ReqResult(r))}};
      requests.metric.push_back(std::move(cm));
    }
  }
  out.push_back(std::move(requests));

  uint64_t sum_ns = 0;
  for (const auto* w : workers) sum_ns += w->sum_ns();
  prometheus::ClientMetric cm = cumulative_histogram(
      kLatencyBuckets,
      [&](size_t i) {
        uint64_t n = 0;
        for (const auto* w : workers) n += w->bucket(i);
        return n;
      },
      static_cast<double>(sum_ns) * 1e-9);
  single(out, "ocspcache_request_duration_seconds", std::move(cm));
}

void append_connection_families(std::vector<prometheus::MetricFamily>& out,
                                const std::vector<const WorkerStats*>& workers) {
  uint64_t accepted = 0, paused = 0;
  std::array<uint64_t, kRejectReasons> rejected{};
  int64_t open = 0;
  for (const auto* w : workers) {
    accepted += w->accepted();
    for (size_t r = 0; r < kRejectReasons; ++r) rejected[r] += w->rejected(RejectReason(r));
    paused += w->accept_pauses();
    open += w->open();
  }
  single(out, "ocspcache_connections_accepted_total", counter_value(static_cast<double>(accepted)));
  auto rejections = family("ocspcache_connections_rejected_total");
  for (size_t r = 0; r < kRejectReasons; ++r) {
    prometheus::ClientMetric m = counter_value(static_cast<double>(rejected[r]));
    m.label = {{"reason", to_label(RejectReason(r))}};
    rejections.metric.push_back(std::move(m));
  }
  out.push_back(std::move(rejections));
  single(out, "ocspcache_connections_open", gauge_value(static_cast<double>(open)));
  single(out, "ocspcache_accept_paused_total", counter_value(static_cast<double>(paused)));
}

uint64_t load(const std::atomic<uint64_t>& c) {
  return c.load(std::memory_order_relaxed);
}

// A family of one sample per value of `label`.
void by_label(std::vector<prometheus::MetricFamily>& out, const char* name, const char* label,
              std::initializer_list<std::pair<const char*, double>> values, bool counter = true) {
  auto f = family(name);
  for (const auto& [value, n] : values) {
    prometheus::ClientMetric m = counter ? counter_value(n) : gauge_value(n);
    m.label = {{label, value}};
    f.metric.push_back(std::move(m));
  }
  out.push_back(std::move(f));
}

// cache.backend = "redis": the tier's counters, summed over its connections.
void append_shared_families(std::vector<prometheus::MetricFamily>& out, const SharedStoreStats& s) {
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  const int64_t up = s.connections_up.load(std::memory_order_relaxed);
  const int64_t all = s.connections.load(std::memory_order_relaxed);
  single(out, "ocspcache_redis_up", gauge_value(up > 0 && up == all ? 1 : 0));
  by_label(out, "ocspcache_redis_connections", "state",
           {{"up", static_cast<double>(up)}, {"down", static_cast<double>(all - up)}}, false);
  // `hits` counts what was found; what then failed validation is `invalid`.
  const uint64_t found = load(s.hits), invalid = load(s.invalid);
  by_label(out, "ocspcache_redis_lookups_total", "result",
           {{"hit", d(found > invalid ? found - invalid : 0)},
            {"miss", d(load(s.misses))},
            {"invalid", d(invalid)},
            {"unavailable", d(load(s.unavailable))}});
  by_label(
      out, "ocspcache_redis_lock_waits_total", "result",
      {{"answered", d(load(s.lock_waits_answered))}, {"gave_up", d(load(s.lock_waits_gave_up))}});
  by_label(out, "ocspcache_redis_writes_total", "result",
           {{"stored", d(load(s.writes_stored))},
            {"kept_newer", d(load(s.writes_kept_newer))},
            {"failed", d(load(s.writes_failed))}});
  by_label(out, "ocspcache_redis_errors_total", "kind",
           {{"timeout", d(load(s.errors_timeout))},
            {"connect", d(load(s.errors_connect))},
            {"reply", d(load(s.errors_reply))}});
  single(out, "ocspcache_redis_reconnects_total", counter_value(d(load(s.reconnects))));
  single(out, "ocspcache_redis_command_duration_seconds",
         cumulative_histogram(
             SharedStoreStats::kBuckets, [&](size_t i) { return load(s.duration_counts[i]); },
             static_cast<double>(load(s.duration_sum_us)) * 1e-6));
}

void append_store_families(std::vector<prometheus::MetricFamily>& out, const StoreStats& cache) {
  single(out, "ocspcache_cache_entries", gauge_value(static_cast<double>(cache.entries)));
  single(out, "ocspcache_cache_bytes", gauge_value(static_cast<double>(cache.bytes)));
  single(out, "ocspcache_cache_evictions_total",
         counter_value(static_cast<double>(cache.evictions)));
}

void append_ledger_families(std::vector<prometheus::MetricFamily>& out, const RevocationStats& s) {
  single(out, "ocspcache_revocations_remembered", gauge_value(static_cast<double>(s.records)));
  single(out, "ocspcache_stale_answers_refused_total",
         counter_value(static_cast<double>(s.refused)));
  single(out, "ocspcache_revocations_dropped_total", counter_value(static_cast<double>(s.dropped)));
}

void append_refresh_families(std::vector<prometheus::MetricFamily>& out, const RefreshStats& s) {
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  single(out, "ocspcache_refresh_lag_seconds",
         gauge_value(static_cast<double>(s.lag_seconds.load(std::memory_order_relaxed))));
  by_label(out, "ocspcache_refreshes_total", "result",
           {{"refreshed", d(load(s.refreshed))},
            {"unchanged", d(load(s.unchanged))},
            {"failed", d(load(s.failed))},
            {"idle", d(load(s.idle))},
            {"fleet", d(load(s.fleet))},
            {"deferred", d(load(s.deferred))}});
  single(out, "ocspcache_refresh_scheduled", gauge_value(d(load(s.scheduled))));
  single(out, "ocspcache_refresh_in_flight", gauge_value(d(load(s.in_flight))));
}

void append_staple_families(std::vector<prometheus::MetricFamily>& out, const StapleStats& s) {
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  single(out, "ocspcache_stapling_certificates", gauge_value(d(load(s.certificates))));
  by_label(out, "ocspcache_staple_writes_total", "result",
           {{"written", d(load(s.written))},
            {"failed", d(load(s.failed))},
            {"too_close", d(load(s.too_close))}});
  by_label(out, "ocspcache_staple_pushes_total", "result",
           {{"ok", d(load(s.pushes_ok))}, {"failed", d(load(s.pushes_failed))}});
  by_label(out, "ocspcache_staple_commands_total", "result",
           {{"ok", d(load(s.commands_ok))}, {"failed", d(load(s.commands_failed))}});
}

void append_snapshot_families(std::vector<prometheus::MetricFamily>& out, const SnapshotStats& s) {
  const auto d = [](uint64_t n) { return static_cast<double>(n); };
  by_label(out, "ocspcache_snapshot_writes_total", "result",
           {{"written", d(load(s.writes_ok))}, {"failed", d(load(s.writes_failed))}});
  single(out, "ocspcache_snapshot_last_success_timestamp_seconds",
         gauge_value(static_cast<double>(s.last_success_unix.load(std::memory_order_relaxed))));
  by_label(out, "ocspcache_snapshot_restored_entries", "result",
           {{"loaded", d(load(s.loaded))},
            {"expired", d(load(s.expired))},
            {"invalid", d(load(s.invalid))},
            {"refused", d(load(s.refused))}},
           /*counter=*/false);
}

}  // namespace

std::string Metrics::render(int64_t now) {
  std::vector<prometheus::MetricFamily> out = registry_->Collect();
  single(out, "ocspcache_build_info", gauge_value(1, {{"version", OCSPCACHE_VERSION}}));
  metric_families::append_responder_families(out, responders());
  if (transport_source_) metric_families::append_transport_families(out, transport_source_());
  append_request_families(out, workers_);
  append_connection_families(out, workers_);
  if (store_ != nullptr) append_store_families(out, store_->stats());
  if (shared_ != nullptr) append_shared_families(out, *shared_);
  if (ledger_ != nullptr) append_ledger_families(out, ledger_->stats());
  if (snapshot_ != nullptr) append_snapshot_families(out, *snapshot_);
  if (refresh_ != nullptr) append_refresh_families(out, *refresh_);
  if (staples_ != nullptr) append_staple_families(out, *staples_);
  std::string text = prometheus::TextSerializer().Serialize(out);
  // Copied under the tracker's lock (an atomic increment per row), formatted
  // without it, so a scrape holds up the upstream path only for the copy.
  const auto rows = certs_.snapshot(now);
  metric_families::append_cert_text(text, rows, certs_.dropped(), certs_.refused());
  return text;
}

}  // namespace ocspcache
