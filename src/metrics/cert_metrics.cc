// The per-certificate families, named and valued as ribbybibby/ssl_exporter
// names them so its alert rules (SslCertificateOscpStatusUnknown:
// ssl_ocsp_response_status == 2) and dashboards work unchanged.
#include "families.h"

namespace ocspcache::metric_families {
namespace {

using prometheus::MetricType;

std::vector<prometheus::ClientMetric::Label> labels(const CertTracker::Row& r) {
  return {{"issuer", r.issuer}, {"serial", r.serial}};
}

}  // namespace

void append_cert_families(std::vector<prometheus::MetricFamily>& out,
                          const std::vector<CertTracker::Row>& rows, uint64_t dropped) {
  auto status = family("ssl_ocsp_response_status",
                       "OCSP status of the certificate: 0 good, 1 revoked, 2 unknown or no valid "
                       "response obtainable (every responder failed, no valid copy cached).",
                       MetricType::Gauge);
  auto this_update =
      family("ssl_ocsp_response_this_update",
             "thisUpdate of the last valid OCSP response, unix seconds.", MetricType::Gauge);
  auto next_update =
      family("ssl_ocsp_response_next_update",
             "nextUpdate of the last valid OCSP response, unix seconds.", MetricType::Gauge);
  auto produced_at =
      family("ssl_ocsp_response_produced_at",
             "producedAt of the last valid OCSP response, unix seconds.", MetricType::Gauge);
  auto revoked_at =
      family("ssl_ocsp_response_revoked_at",
             "revocationTime of a revoked certificate, unix seconds.", MetricType::Gauge);
  for (const auto& r : rows) {
    status.metric.push_back(gauge_value(metric_value(r.status), labels(r)));
    // Times only from a real answer: a certificate that never had one has
    // its status (2) and nothing else, never a made-up 0.
    if (!r.has_answer) continue;
    this_update.metric.push_back(gauge_value(static_cast<double>(r.this_update), labels(r)));
    next_update.metric.push_back(gauge_value(static_cast<double>(r.next_update), labels(r)));
    produced_at.metric.push_back(gauge_value(static_cast<double>(r.produced_at), labels(r)));
    if (r.answer_status == ocsp::CertStatus::kRevoked) {
      revoked_at.metric.push_back(gauge_value(static_cast<double>(r.revoked_at), labels(r)));
    }
  }
  // An empty family would be HELP/TYPE lines with no sample; leave it out.
  for (auto* f : {&status, &this_update, &next_update, &produced_at, &revoked_at}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }

  auto drops = family("ocspcache_cert_series_dropped_total",
                      "Certificates that lost (or never got) their ssl_ocsp_response_* series "
                      "because metrics.max_series was reached.",
                      MetricType::Counter);
  prometheus::ClientMetric d;
  d.counter.value = static_cast<double>(dropped);
  drops.metric.push_back(d);
  out.push_back(std::move(drops));
}

void append_responder_families(std::vector<prometheus::MetricFamily>& out,
                               const std::vector<ResponderHealth::Row>& rows) {
  if (rows.empty()) return;
  auto up = family("ocspcache_responder_up",
                   "1 if the last exchange with this responder gave a valid answer in time, 0 if "
                   "it failed. No series before the first exchange.",
                   MetricType::Gauge);
  for (const auto& r : rows) up.metric.push_back(gauge_value(r.up ? 1 : 0, {{"responder", r.url}}));
  out.push_back(std::move(up));
}

}  // namespace ocspcache::metric_families
