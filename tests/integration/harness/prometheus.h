// A real Prometheus server (Debian's `prometheus` binary) for alert tests:
// its own config and TSDB in a TempDir, listening on a free loopback port,
// scraping the given targets and evaluating the given rule files every
// second. Stopped with SIGTERM when the test ends, also on failure.
//
// Prometheus 2.42 scrapes a new target only after its discovery manager's
// first update (about 5 s after /-/ready, DESIGN.md field notes); an alert
// with `for: 0m` fires at the evaluation after that.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/json.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {

using namespace std::chrono_literals;

struct PrometheusOptions {
  std::vector<std::string> targets;  // "127.0.0.1:PORT", scraped at /metrics, job "ocspcache"
  std::vector<std::filesystem::path> rule_files;
  std::string interval = "1s";  // scrape and evaluation interval
  // Non-empty: this prometheus.yml as it is (e.g. a shipped example), and
  // the three fields above are not used.
  std::string config{};
};

// One entry of /api/v1/alerts.
struct PromAlert {
  std::string name;   // labels["alertname"]
  std::string state;  // "pending" | "firing"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string value;
};

class Prometheus {
 public:
  // Writes prometheus.yml, starts the server and waits for /-/ready; throws
  // (with its log) when the binary is missing, exits, or is not ready in time.
  explicit Prometheus(PrometheusOptions options);
  ~Prometheus();
  Prometheus(const Prometheus&) = delete;
  Prometheus& operator=(const Prometheus&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT"

  // GET PATH (with its query string) on the HTTP API, parsed; throws when the
  // answer is not HTTP 200 with JSON.
  Json api(std::string_view path);
  // The alerts Prometheus holds now, pending and firing.
  std::vector<PromAlert> alerts();
  // An instant query's result vector (/api/v1/query), as Json.
  Json query(std::string_view promql);

  std::string log() const;  // everything it wrote to stderr

 private:
  TempDir dir_{"ocspcache-prometheus"};
  PortReservation reservation_;  // held while it runs (Go binds with SO_REUSEADDR)
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);

}  // namespace ocspcache::it
