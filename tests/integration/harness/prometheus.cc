#include "harness/prometheus.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "harness/http_client.h"
#include "harness/ports.h"

namespace ocspcache::it {

namespace {

// Debian puts it in /usr/bin; a missing binary is a failure, not a skip
// (scripts/install-deps.sh test installs it).
std::string find_prometheus() {
  for (const char* p : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
    if (access(p, X_OK) == 0) return p;
  }
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/prometheus";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error(
      "prometheus not found (install the Debian package prometheus: scripts/install-deps.sh test)");
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string config_text(const PrometheusOptions& o) {
  std::string t = "global:\n";
  t += "  scrape_interval: " + o.interval + "\n";
  t += "  scrape_timeout: " + o.interval + "\n";
  t += "  evaluation_interval: " + o.interval + "\n";
  t += "rule_files:\n";
  for (const auto& f : o.rule_files)
    t += "  - " + quoted(std::filesystem::absolute(f).string()) + "\n";
  if (o.rule_files.empty()) t += "  []\n";
  t += "scrape_configs:\n";
  t += "  - job_name: ocspcache\n";
  t += "    static_configs:\n";
  t += "      - targets: [";
  for (size_t i = 0; i < o.targets.size(); ++i) t += (i ? ", " : "") + quoted(o.targets[i]);
  t += "]\n";
  return t;
}

}  // namespace

std::string url_encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Prometheus::Prometheus(PrometheusOptions options) : port_(reservation_.port()) {
  const std::string binary = find_prometheus();
  auto config =
      dir_.write("prometheus.yml", options.config.empty() ? config_text(options) : options.config);
  std::filesystem::create_directories(dir_ / "data");
  process_ = std::make_unique<Process>(
      SpawnOptions{{binary, "--config.file=" + config.string(),
                    "--storage.tsdb.path=" + (dir_ / "data").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=info"},
                   {},
                   dir_.path()},
      dir_.path(), "prometheus");
  // Prometheus is no `openssl ocsp`: connecting to probe it is harmless, and
  // /-/ready (200 once rules and TSDB are loaded) is the real readiness.
  bool ready = wait_until(
      [&] {
        if (!process_->running()) return true;
        if (!process_listens(process_->pid(), port_)) return false;
        return HttpClient(port_, false, 2s).get("/-/ready").status == 200;
      },
      30s, 50ms);
  if (!ready || !process_->running()) {
    int status = process_->stop();
    throw std::runtime_error("prometheus did not become ready (status " + std::to_string(status) +
                             ", config " + config.string() + "):\n" + log());
  }
}

Prometheus::~Prometheus() {
  if (process_ && process_->running()) process_->stop(5s);
}

std::string Prometheus::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string Prometheus::log() const {
  return process_ ? process_->stderr_text() : std::string();
}

Json Prometheus::api(std::string_view path) {
  HttpResponse r = HttpClient(port_, false, 5s).get(path);
  if (r.status != 200) {
    throw std::runtime_error("prometheus " + std::string(path) + ": HTTP " +
                             std::to_string(r.status) + " " + r.error + "\n" + r.body);
  }
  return Json::parse(r.body);
}

std::vector<PromAlert> Prometheus::alerts() {
  std::vector<PromAlert> out;
  Json doc = api("/api/v1/alerts");
  for (const Json& a : doc["data"]["alerts"].items()) {
    PromAlert alert;
    alert.state = a["state"].str();
    alert.value = a["value"].str();
    const Json& labels = a["labels"];
    for (size_t i = 0; i < labels.keys().size(); ++i) {
      alert.labels[labels.keys()[i]] = labels.items()[i].str();
    }
    const Json& annotations = a["annotations"];
    for (size_t i = 0; i < annotations.keys().size(); ++i) {
      alert.annotations[annotations.keys()[i]] = annotations.items()[i].str();
    }
    alert.name = alert.labels["alertname"];
    out.push_back(std::move(alert));
  }
  return out;
}

Json Prometheus::query(std::string_view promql) {
  return api("/api/v1/query?query=" + url_encode(promql));
}

}  // namespace ocspcache::it
