// The per-certificate families, named and valued as ribbybibby/ssl_exporter
// names them so its alert rules (SslCertificateOscpStatusUnknown:
// ssl_ocsp_response_status == 2) and dashboards work unchanged.
//
// Written as exposition text directly rather than through prometheus-cpp's
// ClientMetric/TextSerializer: with 10k certificates that path builds 50k
// label vectors and formats every value through an ostringstream, which
// measured about ten times slower than this one pass into one string
// (bench/RESULTS.md, "Scraping during load", has what a scrape costs now).
#include <cinttypes>
#include <cstdio>

#include "families.h"

namespace ocspcache::metric_families {
namespace {

// Label value escaping of the text format: backslash, double quote, newline.
void append_label_value(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

// Name, help and type from the catalogue; looked up once per family and
// scrape, never per sample.
void header(std::string& out, const MetricSpec& spec) {
  out.append("# HELP ").append(spec.name).append(" ").append(spec.help).append("\n");
  out.append("# TYPE ").append(spec.name).append(" ").append(to_string(spec.type)).append("\n");
}

void sample(std::string& out, std::string_view name, const CertTracker::Row& r, int64_t value) {
  out.append(name).append("{issuer=\"");
  append_label_value(out, r.issuer());
  out.append("\",serial=\"");
  append_label_value(out, r.serial());
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"} %" PRId64 "\n", value);
  out.append(buf);
}

struct TimeFamily {
  std::string_view name;
  int64_t CertTracker::Row::*field;
  bool revoked_only;
};

constexpr TimeFamily kTimes[] = {
    {"ssl_ocsp_response_this_update", &CertTracker::Row::this_update, false},
    {"ssl_ocsp_response_next_update", &CertTracker::Row::next_update, false},
    {"ssl_ocsp_response_produced_at", &CertTracker::Row::produced_at, false},
    {"ssl_ocsp_response_revoked_at", &CertTracker::Row::revoked_at, true},
};

}  // namespace

void append_cert_text(std::string& out, const std::vector<CertTracker::Row>& rows,
                      uint64_t dropped, uint64_t refused) {
  out.reserve(out.size() + 512 + rows.size() * 600);
  // An empty family would be HELP/TYPE lines with no sample; leave it out.
  if (!rows.empty()) {
    const MetricSpec& status = metric_spec("ssl_ocsp_response_status");
    header(out, status);
    for (const auto& r : rows) sample(out, status.name, r, metric_value(r.status));
  }
  for (const auto& f : kTimes) {
    // Times only from a real answer: a certificate that never had one has
    // its status (2) and nothing else, never a made-up 0.
    auto wanted = [&f](const CertTracker::Row& r) {
      return r.has_answer && (!f.revoked_only || r.revoked());
    };
    bool any = false;
    for (const auto& r : rows) {
      if (!wanted(r)) continue;
      if (!any) header(out, metric_spec(f.name));
      any = true;
      sample(out, f.name, r, r.*f.field);
    }
  }
  const MetricSpec& dropped_spec = metric_spec("ocspcache_cert_series_dropped_total");
  header(out, dropped_spec);
  out.append(dropped_spec.name).append(" ").append(std::to_string(dropped)).append("\n");
  const MetricSpec& refused_spec = metric_spec("ocspcache_cert_series_refused_total");
  header(out, refused_spec);
  out.append(refused_spec.name).append(" ").append(std::to_string(refused)).append("\n");
}

void append_responder_families(std::vector<prometheus::MetricFamily>& out,
                               const std::vector<ResponderStatus>& rows) {
  if (rows.empty()) return;
  auto up = family("ocspcache_responder_up");
  auto open = family("ocspcache_responder_breaker_open");
  auto in_flight = family("ocspcache_upstream_in_flight");
  auto queued = family("ocspcache_upstream_queued");
  for (const auto& r : rows) {
    // Up or down is known from the first answer on, not while it is awaited.
    if (r.recent_exchanges > 0) {
      up.metric.push_back(gauge_value(r.up ? 1 : 0, {{"responder", r.url}}));
      open.metric.push_back(gauge_value(r.breaker == "closed" ? 0 : 1, {{"responder", r.url}}));
    }
    in_flight.metric.push_back(gauge_value(static_cast<double>(r.in_flight), {{"responder", r.url}}));
    queued.metric.push_back(gauge_value(static_cast<double>(r.queued), {{"responder", r.url}}));
  }
  for (auto* f : {&up, &open, &in_flight, &queued}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
}

void append_transport_families(std::vector<prometheus::MetricFamily>& out,
                               const std::vector<TransportRow>& rows) {
  if (rows.empty()) return;
  auto conns = family("ocspcache_upstream_connections");
  auto opened = family("ocspcache_upstream_connections_opened_total");
  auto lookups = family("ocspcache_upstream_dns_lookups_total");
  for (const auto& r : rows) {
    conns.metric.push_back(gauge_value(static_cast<double>(r.idle), {{"origin", r.origin}, {"state", "idle"}}));
    conns.metric.push_back(gauge_value(static_cast<double>(r.busy), {{"origin", r.origin}, {"state", "busy"}}));
    prometheus::ClientMetric o;
    o.counter.value = static_cast<double>(r.opened);
    o.label = {{"origin", r.origin}};
    opened.metric.push_back(std::move(o));
    prometheus::ClientMetric l;
    l.counter.value = static_cast<double>(r.dns_lookups);
    l.label = {{"origin", r.origin}};
    lookups.metric.push_back(std::move(l));
  }
  out.push_back(std::move(conns));
  out.push_back(std::move(opened));
  out.push_back(std::move(lookups));
}

}  // namespace ocspcache::metric_families
