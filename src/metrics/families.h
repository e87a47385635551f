// Helpers for metric families built at scrape time (not registered in the
// prometheus-cpp registry because their values live elsewhere: WorkerStats,
// the store, the CertTracker, the responders).
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/metrics/catalogue.h"
#include "ocspcache/metrics/cert_tracker.h"
#include "ocspcache/metrics/responder_status.h"

namespace ocspcache::metric_families {

inline prometheus::MetricType prometheus_type(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return prometheus::MetricType::Counter;
    case MetricType::kGauge:
      return prometheus::MetricType::Gauge;
    case MetricType::kHistogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

// An empty family with the catalogue's name, help and type for `name`.
inline prometheus::MetricFamily family(std::string_view name) {
  const MetricSpec& spec = metric_spec(name);
  prometheus::MetricFamily f;
  f.name = spec.name;
  f.help = spec.help;
  f.type = prometheus_type(spec.type);
  return f;
}

inline prometheus::ClientMetric gauge_value(
    double v, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  return m;
}

// ssl_ocsp_response_* (ssl_exporter's names and values) and
// ocspcache_cert_series_{dropped,refused}_total, appended as exposition text.
void append_cert_text(std::string& out, const std::vector<CertTracker::Row>& rows,
                      uint64_t dropped, uint64_t refused);

// ocspcache_responder_up{responder}.
// ocspcache_upstream_connections and its counters, one series per origin.
void append_transport_families(std::vector<prometheus::MetricFamily>& out,
                               const std::vector<TransportRow>& rows);
void append_responder_families(std::vector<prometheus::MetricFamily>& out,
                               const std::vector<ResponderStatus>& rows);

}  // namespace ocspcache::metric_families
