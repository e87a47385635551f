// Issue 4 end to end: the real daemon in front of a real `openssl ocsp`
// responder (good, revoked, unknown certificates) and of a responder that
// only fails (a second issuer), scraped on its admin port. Checks the exact
// ssl_ocsp_response_status values the SslCertificateOscpStatusUnknown alert
// reads, that a certificate never asked has no series, that promtool accepts
// the exposition, and that /status is valid JSON.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>

#include "harness/daemon.h"
#include "harness/fault_server.h"
#include "harness/http_client.h"
#include "harness/ocsp_tools.h"
#include "harness/openssl_responder.h"
#include "harness/pki.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {
namespace {

// As `openssl x509 -noout -serial` prints it: the label operators grep for.
std::string serial_of(const std::filesystem::path& cert) {
  auto r = run_command({"openssl", "x509", "-noout", "-serial", "-in", cert.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string s = r.out.substr(r.out.find('=') + 1);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Samples of NAME whose label set contains every `k="v"` in NEEDLES.
std::vector<double> samples(const std::string& exposition, const std::string& name,
                            const std::vector<std::string>& needles) {
  std::vector<double> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const auto& n : needles) all = all && line.find(n) != std::string::npos;
    if (all) out.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
  }
  return out;
}

std::optional<double> one_sample(const std::string& exposition, const std::string& name,
                                 const std::vector<std::string>& needles) {
  auto v = samples(exposition, name, needles);
  if (v.size() != 1) return std::nullopt;
  return v[0];
}

class CertStatusMetricsTest : public ::testing::Test {
 protected:
  const Pki& pki = Pki::get();
  OpensslResponder responder;
  FaultServer broken;  // HTTP 500 to everything
  std::unique_ptr<Daemon> daemon;

  void SetUp() override {
    broken.reply_status(500);
    DaemonOptions o;
    o.issuers.push_back(
        {.name = "test intermediate", .cert = pki.intermediate(), .responders = {responder.url()}});
    o.issuers.push_back({.name = "other ca", .cert = pki.other_ca(), .responders = {broken.url()}});
    o.upstream_timeout = "2s";
    daemon = std::make_unique<Daemon>(o);
  }

  void TearDown() override {
    if (!daemon) return;
    EXPECT_TRUE(daemon->running());
    EXPECT_EQ(daemon->stop(), 0);
    if (HasFailure()) std::cerr << "---- ocspcache stderr\n" << daemon->log() << "----\n";
  }

  std::string admin_get(const std::string& path, int* status = nullptr) {
    HttpClient admin(daemon->admin_port());
    auto r = admin.get(path);
    if (status != nullptr) *status = r.status;
    return r.body;
  }

  // `cmd < file` with the body in a file: the tools read stdin.
  CommandResult pipe_to(const std::string& body, const std::string& cmd) {
    auto file = daemon->dir().write("piped.txt", body);
    return run_command({"sh", "-c", cmd + " < '" + file.string() + "'"}, 20s);
  }
};

TEST_F(CertStatusMetricsTest, StatusValuesForEachOutcomeAndNoSeriesForTheUnasked) {
  EXPECT_EQ(
      openssl_client(daemon->url(), pki.good(), pki.intermediate(), pki.root(), {.nonce = false})
          .cert_status,
      "good");
  EXPECT_EQ(
      openssl_client(daemon->url(), pki.revoked(), pki.intermediate(), pki.root(), {.nonce = false})
          .cert_status,
      "revoked");
  EXPECT_EQ(
      openssl_client(daemon->url(), pki.unknown(), pki.intermediate(), pki.root(), {.nonce = false})
          .cert_status,
      "unknown");
  auto failed = openssl_client(daemon->url(), pki.other_leaf(), pki.other_ca(), pki.other_ca(),
                               {.nonce = false});
  EXPECT_EQ(failed.responder_error, "trylater") << failed.out << failed.err;

  const std::string m = admin_get("/metrics");
  const std::string ours = "issuer=\"test intermediate\"";
  auto status_of = [&](const std::string& issuer, const std::filesystem::path& cert) {
    return one_sample(m, "ssl_ocsp_response_status",
                      {"issuer=\"" + issuer + "\"", "serial=\"" + serial_of(cert) + "\""});
  };
  EXPECT_EQ(status_of("test intermediate", pki.good()), 0) << m;
  EXPECT_EQ(status_of("test intermediate", pki.revoked()), 1) << m;
  EXPECT_EQ(status_of("test intermediate", pki.unknown()), 2) << m;
  EXPECT_EQ(status_of("other ca", pki.other_leaf()), 2) << m;
  // Exactly these four: nothing for a certificate nobody asked about.
  EXPECT_EQ(samples(m, "ssl_ocsp_response_status", {}).size(), 4u) << m;
  EXPECT_TRUE(samples(m, "ssl_ocsp_response_status", {serial_of(pki.signer())}).empty()) << m;

  // Times from the answers; none for the certificate that never had one.
  const std::string good = "serial=\"" + serial_of(pki.good()) + "\"";
  auto this_update = one_sample(m, "ssl_ocsp_response_this_update", {ours, good});
  auto next_update = one_sample(m, "ssl_ocsp_response_next_update", {ours, good});
  ASSERT_TRUE(this_update && next_update) << m;
  EXPECT_GT(*next_update, *this_update);
  EXPECT_TRUE(one_sample(m, "ssl_ocsp_response_produced_at", {ours, good}).has_value()) << m;
  EXPECT_TRUE(samples(m, "ssl_ocsp_response_revoked_at", {good}).empty()) << m;
  EXPECT_TRUE(one_sample(m, "ssl_ocsp_response_revoked_at",
                         {ours, "serial=\"" + serial_of(pki.revoked()) + "\""})
                  .has_value())
      << m;
  EXPECT_TRUE(samples(m, "ssl_ocsp_response_next_update", {"issuer=\"other ca\""}).empty()) << m;

  EXPECT_EQ(one_sample(m, "ocspcache_responder_up", {"responder=\"" + responder.url() + "\""}), 1)
      << m;
  EXPECT_EQ(one_sample(m, "ocspcache_responder_up", {"responder=\"" + broken.url() + "\""}), 0)
      << m;
  EXPECT_EQ(one_sample(m, "ocspcache_build_info", {"version=\""}), 1) << m;
  EXPECT_EQ(one_sample(m, "ocspcache_cert_series_dropped_total", {}), 0) << m;

  // A hit is counted as "asked" but changes nothing else.
  EXPECT_EQ(
      openssl_client(daemon->url(), pki.good(), pki.intermediate(), pki.root(), {.nonce = false})
          .cert_status,
      "good");
  EXPECT_EQ(one_sample(admin_get("/metrics"), "ssl_ocsp_response_status", {ours, good}), 0);
}

TEST_F(CertStatusMetricsTest, PromtoolAcceptsTheExposition) {
  openssl_client(daemon->url(), pki.revoked(), pki.intermediate(), pki.root(), {.nonce = false});
  openssl_client(daemon->url(), pki.other_leaf(), pki.other_ca(), pki.other_ca(), {.nonce = false});
  const std::string m = admin_get("/metrics");
  ASSERT_NE(m.find("ssl_ocsp_response_status{"), std::string::npos) << m;
  auto r = pipe_to(m, "promtool check metrics");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << "\n" << m;
}

TEST_F(CertStatusMetricsTest, StatusIsValidJsonAndReadyzExplainsDegradation) {
  openssl_client(daemon->url(), pki.good(), pki.intermediate(), pki.root(), {.nonce = false});
  openssl_client(daemon->url(), pki.other_leaf(), pki.other_ca(), pki.other_ca(), {.nonce = false});
  int code = 0;
  const std::string status = admin_get("/status", &code);
  EXPECT_EQ(code, 200);
  auto r = pipe_to(status, "python3 -m json.tool");
  EXPECT_EQ(r.exit_code, 0) << r.err << "\n" << status;
  EXPECT_NE(status.find("\"status\":\"good\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"status\":\"unavailable\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"serial\":\"" + serial_of(pki.good()) + "\""), std::string::npos);
  EXPECT_NE(status.find("HTTP 500"), std::string::npos) << status;

  const std::string ready = admin_get("/readyz", &code);
  EXPECT_EQ(code, 200) << ready;
  EXPECT_NE(ready.find("degraded"), std::string::npos) << ready;
  EXPECT_NE(ready.find(broken.url()), std::string::npos) << ready;
}

}  // namespace
}  // namespace ocspcache::it
