// The shipped alert rules (packaging/prometheus/ocspcache.rules.yml) loaded
// into a real Prometheus that scrapes a real ocspcache, whose upstreams are a
// real `openssl ocsp` responder (good, revoked and unknown leaves) and, for a
// second issuer, responders that all fail (HTTP 500 and connection refused).
// Proves end to end that SslCertificateOscpStatusUnknown fires for the
// unknown and for the unobtainable certificate and not for the good one,
// that SslCertificateRevoked fires for the revoked one, and that the
// dashboard only charts metrics this daemon really exports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "harness/daemon.h"
#include "harness/fault_server.h"
#include "harness/http_client.h"
#include "harness/json.h"
#include "harness/ocsp_tools.h"
#include "harness/openssl_responder.h"
#include "harness/pki.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus.h"
#include "harness/prometheus_text.h"
#include "harness/raw_connection.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {
namespace {

const std::filesystem::path kSource = OCSPCACHE_SOURCE_DIR;
constexpr const char* kUnknownAlert = "SslCertificateOscpStatusUnknown";
constexpr const char* kRevokedAlert = "SslCertificateRevoked";

// "1003" for serial=1003, as `openssl x509 -serial` prints it (hex).
std::string serial_hex(const std::filesystem::path& cert) {
  auto r = run_command({"openssl", "x509", "-in", cert.string(), "-noout", "-serial"});
  if (r.exit_code != 0 || !r.out.starts_with("serial=")) {
    throw std::runtime_error("openssl x509 -serial " + cert.string() + ": " + r.err);
  }
  std::string hex = r.out.substr(7);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  return hex;
}

// The serial label is upper-case hex without leading zero bytes, which is
// also how `openssl x509 -serial` prints it: compare as they are.
bool same_serial(const std::string& label, const std::string& hex) {
  return label == hex;
}

struct Cert {
  std::string issuer;
  std::string serial_hex;
};

bool alert_for(const std::vector<PromAlert>& alerts, const std::string& name,
               const std::string& state, const Cert& cert) {
  return std::any_of(alerts.begin(), alerts.end(), [&](const PromAlert& a) {
    return a.name == name && (state.empty() || a.state == state) && a.labels.count("issuer") &&
           a.labels.at("issuer") == cert.issuer && a.labels.count("serial") &&
           same_serial(a.labels.at("serial"), cert.serial_hex);
  });
}

// A real Prometheus scraping DAEMON's admin port with the shipped rules.
PrometheusOptions scraping_with_shipped_rules(const Daemon& daemon) {
  return PrometheusOptions{.targets = {"127.0.0.1:" + std::to_string(daemon.admin_port())},
                           .rule_files = {kSource / "packaging/prometheus/ocspcache.rules.yml"}};
}

// Polls PROMETHEUS until NAME fires for CERT or TIMEOUT passes; ALERTS
// keeps the last poll's alerts for the failure message.
bool wait_firing(Prometheus& prometheus, const std::string& name, const Cert& cert,
                 std::chrono::seconds timeout, std::chrono::milliseconds every,
                 std::vector<PromAlert>& alerts) {
  return wait_until(
      [&] {
        alerts = prometheus.alerts();
        return alert_for(alerts, name, "firing", cert);
      },
      timeout, every);
}

bool alert_for_responder(const std::vector<PromAlert>& alerts, const std::string& name,
                         const std::string& responder) {
  return std::any_of(alerts.begin(), alerts.end(), [&](const PromAlert& a) {
    return a.name == name && a.labels.count("responder") && a.labels.at("responder") == responder;
  });
}

std::string describe(const std::vector<PromAlert>& alerts) {
  std::string out;
  for (const auto& a : alerts) {
    out += "  " + a.state + " " + a.name;
    for (const auto& [k, v] : a.labels) {
      if (k != "alertname") out += " " + k + "=" + v;
    }
    out += "\n";
  }
  return out.empty() ? "  (none)\n" : out;
}

// The harness and the rules file on their own: Prometheus loads every rule
// of the shipped file (health ok) and scrapes the daemon.
TEST(PrometheusAlerts, RealPrometheusLoadsTheRulesAndScrapesTheDaemon) {
  OpensslResponder responder;
  DaemonOptions options;
  options.issuers = {IssuerEntry{"test intermediate", {}, {responder.url()}}};
  Daemon daemon(options);
  Prometheus prometheus(scraping_with_shipped_rules(daemon));

  std::vector<std::string> rules;
  const Json loaded = prometheus.api("/api/v1/rules");  // named: the loop below reads into it
  for (const Json& group : loaded["data"]["groups"].items()) {
    for (const Json& rule : group["rules"].items()) {
      EXPECT_EQ(rule["health"].str() == "err" ? rule["lastError"].str() : "", "")
          << rule["name"].str();
      rules.push_back(rule["name"].str());
    }
  }
  for (const char* name :
       {kUnknownAlert, kRevokedAlert, "OcspcacheResponseExpiringSoon", "OcspcacheResponderDown",
        "OcspcacheRedisDown", "OcspcacheRefreshLagging", "OcspcacheUpstreamFailureRatioHigh",
        "ocspcache:response_expiry_margin_seconds"}) {
    EXPECT_NE(std::find(rules.begin(), rules.end(), name), rules.end()) << name;
  }

  std::string health;
  bool up = wait_until(
      [&] {
        Json targets = prometheus.api("/api/v1/targets");
        for (const Json& t : targets["data"]["activeTargets"].items()) {
          health = t["health"].str() + " " + t["lastError"].str();
        }
        return health == "up ";
      },
      20s, 250ms);
  EXPECT_TRUE(up) << "target health: " << health << "\n" << prometheus.log();
  Json built = prometheus.query("ocspcache_requests_total");
  EXPECT_FALSE(built["data"]["result"].items().empty());
}

TEST(PrometheusAlerts, StatusAlertsFireForUnknownUnobtainableAndRevokedOnly) {
  const Pki& pki = Pki::get();
  const Cert good{"test intermediate", serial_hex(pki.good())};
  const Cert revoked{"test intermediate", serial_hex(pki.revoked())};
  const Cert unknown{"test intermediate", serial_hex(pki.unknown())};
  const Cert unobtainable{"other CA", serial_hex(pki.other_leaf())};

  // Upstreams: the real responder for the test intermediate; for the other
  // CA one that answers HTTP 500 and one where nobody listens.
  OpensslResponder responder;
  FaultServer failing;
  failing.reply_status(500);
  const PortReservation dead;  // bound, never listening: connections are refused
  const std::string refused = "http://127.0.0.1:" + std::to_string(dead.port()) + "/";

  DaemonOptions options;
  options.issuers = {
      IssuerEntry{"test intermediate", {}, {responder.url()}},
      IssuerEntry{"other CA", pki.other_ca(), {failing.url(), refused}},
  };
  Daemon daemon(options);

  // Every certificate asked once through ocspcache, by the real client.
  auto ask = [&](const std::filesystem::path& leaf, const std::filesystem::path& issuer,
                 const std::filesystem::path& trust) {
    return openssl_client(daemon.url(), leaf, issuer, trust, {.nonce = false});
  };
  EXPECT_EQ(ask(pki.good(), pki.intermediate(), pki.root()).cert_status, "good");
  EXPECT_EQ(ask(pki.revoked(), pki.intermediate(), pki.root()).cert_status, "revoked");
  EXPECT_EQ(ask(pki.unknown(), pki.intermediate(), pki.root()).cert_status, "unknown");
  auto other = ask(pki.other_leaf(), pki.other_ca(), pki.other_ca());
  EXPECT_EQ(other.responder_error, "trylater") << other.out << other.err;

  Prometheus prometheus(scraping_with_shipped_rules(daemon));

  // Poll until everything expected is there; clients keep asking for the
  // unobtainable certificate meanwhile (each ask fails upstream again), as
  // they would in production, so the failure-ratio rate has increases to see.
  std::vector<PromAlert> alerts;
  auto all_there = [&] {
    ask(pki.other_leaf(), pki.other_ca(), pki.other_ca());
    alerts = prometheus.alerts();
    return alert_for(alerts, kUnknownAlert, "firing", unknown) &&
           alert_for(alerts, kUnknownAlert, "firing", unobtainable) &&
           alert_for(alerts, kRevokedAlert, "firing", revoked) &&
           alert_for_responder(alerts, "OcspcacheResponderDown", failing.url()) &&
           alert_for_responder(alerts, "OcspcacheResponderDown", refused) &&
           alert_for_responder(alerts, "OcspcacheUpstreamFailureRatioHigh", failing.url());
  };
  const bool arrived = wait_until(all_there, 45s, 500ms);
  ASSERT_TRUE(arrived) << "alerts now:\n"
                       << describe(alerts) << "ssl_ocsp_response_status in Prometheus: "
                       << prometheus
                              .api("/api/v1/query?query=ssl_ocsp_response_status")["data"]["result"]
                              .items()
                              .size()
                       << " series\nocspcache log:\n"
                       << daemon.log() << "\nprometheus log:\n"
                       << prometheus.log();
  SCOPED_TRACE("alerts:\n" + describe(alerts));

  // The good certificate is watched (its series is there, at 0) and quiet.
  Json status = prometheus.query("ssl_ocsp_response_status");
  bool good_is_zero = false;
  for (const Json& s : status["data"]["result"].items()) {
    if (s["metric"]["issuer"].str() == good.issuer &&
        same_serial(s["metric"]["serial"].str(), good.serial_hex)) {
      good_is_zero = s["value"].items().size() == 2 && s["value"].items()[1].str() == "0";
    }
  }
  EXPECT_TRUE(good_is_zero) << "no ssl_ocsp_response_status 0 series for the good certificate";
  for (const auto& a : alerts) {
    if (a.labels.count("serial") && a.labels.at("issuer") == good.issuer) {
      EXPECT_FALSE(same_serial(a.labels.at("serial"), good.serial_hex))
          << a.name << " is " << a.state << " for the good certificate";
    }
  }
  // Each status alert only for its own status.
  EXPECT_FALSE(alert_for(alerts, kUnknownAlert, "", revoked));
  EXPECT_FALSE(alert_for(alerts, kRevokedAlert, "", unknown));
  EXPECT_FALSE(alert_for(alerts, kRevokedAlert, "", unobtainable));
  // The healthy responder is not down; the gated and not-yet-exported
  // alerts stay silent.
  EXPECT_FALSE(alert_for_responder(alerts, "OcspcacheResponderDown", responder.url()));
  EXPECT_FALSE(alert_for_responder(alerts, "OcspcacheUpstreamFailureRatioHigh", responder.url()));
  for (const char* silent :
       {"OcspcacheRedisDown", "OcspcacheRefreshLagging", "OcspcacheResponseExpiringSoon"}) {
    EXPECT_FALSE(std::any_of(alerts.begin(), alerts.end(), [&](const PromAlert& a) {
      return a.name == silent;
    })) << silent;
  }

  // The seed alert as shipped: severity, annotations, runbook page that exists.
  for (const auto& a : alerts) {
    if (a.name != kUnknownAlert) continue;
    EXPECT_EQ(a.labels.at("severity"), "warning");
    EXPECT_EQ(a.annotations.at("summary"),
              "SSL certificate OSCP status unknown (instance " + a.labels.at("instance") + ")");
    EXPECT_EQ(a.annotations.at("runbook"), "docs/runbooks/SslCertificateOscpStatusUnknown.md");
    EXPECT_TRUE(std::filesystem::exists(kSource / a.annotations.at("runbook")));
  }

  // The dashboard against this live scrape (whose every family must be in
  // the daemon's catalogue), and the scrape against promtool.
  auto dashboard =
      run_command({"python3", (kSource / "packaging/grafana/check_dashboard.py").string(),
                   (kSource / "packaging/grafana/ocspcache.json").string(), "--url",
                   daemon.admin_url() + "/metrics", "--catalogue-from", OCSPCACHE_BINARY},
                  30s);
  EXPECT_EQ(dashboard.exit_code, 0) << dashboard.out << dashboard.err;
  auto lint = run_command(
      {"sh", "-c", "curl -sf \"$0\" | promtool check metrics", daemon.admin_url() + "/metrics"},
      30s);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
}

}  // namespace
}  // namespace ocspcache::it

namespace ocspcache::it {
namespace {

// Issue 13: anyone who can reach the proxy could invent serials under a
// configured issuer; the CA answers "unknown" for each, each got its own
// ssl_ocsp_response_status 2 series, and SslCertificateOscpStatusUnknown
// fired at their will. With metrics.track_clients, 1,000 invented serials
// asked from a client outside it are answered, but make no series: the
// alert stays silent for them, while the real certificates asked from a
// tracked client keep their series (and the real unknown one still fires).
TEST(PrometheusAlerts, InventedSerialsFromAnUntrackedClientCannotFireTheAlert) {
  const Pki& pki = Pki::get();
  const Cert good{"test intermediate", serial_hex(pki.good())};
  const Cert unknown{"test intermediate", serial_hex(pki.unknown())};
  OpensslResponder responder;
  DaemonOptions options;
  options.issuers = {IssuerEntry{"test intermediate", {}, {responder.url()}}};
  options.extra_toml = "[metrics]\ntrack_clients = [\"127.0.0.1/32\"]\n";
  Daemon daemon(options);

  // The real certificates, asked by the real client from 127.0.0.1 (tracked).
  auto ask = [&](const std::filesystem::path& leaf) {
    return openssl_client(daemon.url(), leaf, pki.intermediate(), pki.root(), {.nonce = false});
  };
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(ask(pki.unknown()).cert_status, "unknown");

  // 1,000 invented serials from 127.0.0.2, on keep-alive connections: each
  // a real miss the responder answers "unknown", each answered to the client.
  const auto requests = make_requests_for_serials(pki.intermediate(), 0x7e000000, 1000);
  RawConnection outsider(daemon.port(), 10s, "127.0.0.2");
  ASSERT_TRUE(outsider.connected());
  size_t answered = 0;
  for (const std::string& der : requests) {
    ASSERT_TRUE(outsider.send(post_request(der)));
    const HttpResponse r = outsider.read_response();
    ASSERT_EQ(r.status, 200) << r.error;
    if (response_status_of(r.body) == 0) ++answered;
  }
  EXPECT_EQ(answered, requests.size()) << "untracked clients are answered all the same";

  Prometheus prometheus(scraping_with_shipped_rules(daemon));
  std::vector<PromAlert> alerts;
  ASSERT_TRUE(wait_firing(prometheus, kUnknownAlert, unknown, 45s, 500ms, alerts))
      << "the real unknown certificate must still fire:\n"
      << describe(alerts) << daemon.log();
  // A few more evaluations, so a late series would have had its chance.
  std::this_thread::sleep_for(3s);
  alerts = prometheus.alerts();
  size_t unknown_alerts = 0;
  for (const auto& a : alerts) unknown_alerts += a.name == kUnknownAlert ? 1 : 0;
  EXPECT_EQ(unknown_alerts, 1u) << "only the real certificate:\n" << describe(alerts);

  Json series = prometheus.query("ssl_ocsp_response_status");
  std::vector<std::string> serials;
  for (const Json& s : series["data"]["result"].items())
    serials.push_back(s["metric"]["serial"].str());
  std::sort(serials.begin(), serials.end());
  std::vector<std::string> want = {good.serial_hex, unknown.serial_hex};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(serials, want) << "no series for invented serials; the real ones stay";
  Json refused = prometheus.query("ocspcache_cert_series_refused_total");
  ASSERT_EQ(refused["data"]["result"].items().size(), 1u);
  EXPECT_EQ(refused["data"]["result"].items()[0]["value"].items()[1].str(), "1000");
}

// Issue 12: a stapled certificate whose responder goes down. Its staple is
// written while the responder answers (two-minute answers, -nmin 2); then
// no renewal can be had, and once less than stapling.min_remaining (100 s)
// is left of the answer, its series says 2 and the seed alert fires: before
// the answer's nextUpdate, while the web servers still staple the old file.
// (A 100 s margin: Prometheus starting on a loaded machine must not push
// the alert past nextUpdate, where it would fire without min_remaining.)
// The files keep that last answer: never truncated, never rewritten.
TEST(PrometheusAlerts, AStapledCertificateWhoseResponderIsDownFiresBeforeItsStapleExpires) {
  const Pki& pki = Pki::get();
  const Cert good{"test intermediate", serial_hex(pki.good())};
  // The daemon asks through a FaultServer in front of the responder, so
  // "down" and "back" never give the port up (another test could take it).
  OpensslResponder responder(ResponderOptions{.nmin = 2});
  FaultServer front;
  front.forward_to(responder.port());
  TempDir dir("ocspcache-staple-alert");
  const auto slurp = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const auto chain = dir / "good.pem";
  std::ofstream(chain) << slurp(pki.good()) << slurp(pki.intermediate());
  std::filesystem::create_directories(dir / "nginx");

  DaemonOptions options;
  options.issuers = {IssuerEntry{"test intermediate", {}, {front.url()}}};
  options.extra_toml = "[cache]\nrefresh_ahead = 0.05\n[stapling]\ncerts = [\"" + chain.string() +
                       "\"]\ndir = \"" + (dir / "nginx").string() +
                       "\"\nmin_remaining = \"100s\"\n";
  Daemon daemon(options);
  const auto ocsp_file = dir / "good.pem.ocsp";
  const auto der_file = dir / "nginx" / "good.der";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(der_file); }, 15s)) << daemon.log();
  front.reply_status(503);  // the responder is down
  const std::string staple = slurp(ocsp_file);
  const auto written = std::filesystem::last_write_time(ocsp_file);
  const auto parsed = parse_response(staple, pki.good(), pki.intermediate(), pki.root());
  ASSERT_TRUE(parsed.has_single) << parsed.error;
  ASSERT_EQ(parsed.cert_status, kGood);

  Prometheus prometheus(scraping_with_shipped_rules(daemon));
  std::vector<PromAlert> alerts;
  ASSERT_TRUE(wait_firing(prometheus, kUnknownAlert, good, 90s, 250ms, alerts))
      << describe(alerts) << daemon.log();
  EXPECT_LT(std::time(nullptr), parsed.next_update)
      << "fired by min_remaining, before the staple's nextUpdate";
  EXPECT_TRUE(slurp(ocsp_file) == staple) << "the HAProxy file keeps the last answer";
  EXPECT_TRUE(slurp(der_file) == staple) << "the nginx file keeps the last answer";
  EXPECT_EQ(std::filesystem::last_write_time(ocsp_file), written) << "not rewritten";
  const std::string log = daemon.log();
  EXPECT_NE(log.find("event=refresh_failed"), std::string::npos) << log;
}

}  // namespace
}  // namespace ocspcache::it
