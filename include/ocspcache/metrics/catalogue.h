// The metric catalogue: every metric family ocspcache exports, or has
// promised and does not export yet, as one row (name, type, help, labels,
// when it is exported, a line of documentation). The rows in
// src/metrics/catalogue.cc are read by the /metrics exposition (names, help
// and types), by `ocspcache --list-metrics`, by the reference table in
// docs/metrics.md and, through --list-metrics, by the Grafana dashboard and
// alert rule checkers; metrics_catalogue_test fails when any of them drifts,
// as config_docs_test does for the config schema.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ocspcache {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

// When a scrape has the family.
enum class Availability : uint8_t {
  kAlways,    // from the first scrape on
  kOnceSeen,  // once there is something to show (a first answer, a first exchange, ...)
  kPlanned,   // named in the design, not exported by this build yet
  kWhenConfigured,  // exported only when its feature is configured (the Redis backend)
};

struct MetricSpec {
  static constexpr size_t kMaxLabels = 2;

  std::string_view name;
  MetricType type;
  std::string_view help;  // the # HELP text, exactly as exported
  // Label names of the samples (histograms' `le` aside); unused slots empty.
  std::array<std::string_view, kMaxLabels> labels = {};
  Availability availability = Availability::kAlways;
  std::string_view doc;  // one line for the reference in docs/metrics.md

  constexpr std::span<const std::string_view> label_names() const {
    size_t n = 0;
    while (n < labels.size() && !labels[n].empty()) ++n;
    return {labels.data(), n};
  }
};

// Every row, in the order of the docs and --list-metrics.
std::span<const MetricSpec> metric_catalogue();

// The row of `name`. A name not in the catalogue is a programming error: it
// says so on stderr and aborts (the unit tests render every family).
const MetricSpec& metric_spec(std::string_view name);

std::string_view to_string(MetricType type);     // "counter", "gauge", "histogram"
std::string_view to_string(Availability avail);  // "always", "once_seen", "planned", "when_configured"

// `ocspcache --list-metrics`: one line per row, tab-separated:
// name, type, availability, labels (comma-separated), help.
std::string render_metric_list();
// The reference table between the METRIC CATALOGUE markers of docs/metrics.md.
std::string render_metric_reference();

}  // namespace ocspcache
