// Shared set-up for the front-end proxy tests: the daemon in front of one or
// more upstreams (real openssl responders or FaultServers), and short ways to
// ask it. On failure the daemon's stderr is printed; on every exit the daemon
// must drain and exit 0 on SIGTERM.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/daemon.h"
#include "harness/http_client.h"
#include "harness/ocsp_tools.h"
#include "harness/pki.h"
#include "harness/prometheus_text.h"

namespace ocspcache::it {

class ProxyTest : public ::testing::Test {
 protected:
  const Pki& pki = Pki::get();
  std::unique_ptr<Daemon> daemon;

  void start_daemon(std::vector<std::string> responders, std::string upstream_timeout = "2s") {
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = std::move(responders)});
    options.upstream_timeout = std::move(upstream_timeout);
    daemon = std::make_unique<Daemon>(std::move(options));
  }

  // The real client, as a user would run it against the proxy.
  OpensslClientResult ask(const std::filesystem::path& cert,
                          OpensslClientOptions options = {.nonce = false}) {
    return openssl_client(daemon->url(), cert, pki.intermediate(), pki.root(), options);
  }

  // The admin /metrics body ("" when it cannot be fetched).
  std::string metrics() {
    HttpClient admin(daemon->admin_port());
    return admin.get("/metrics").body;
  }
  // A metric's value summed over the series matching LABELS (0 when none).
  double metric(std::string_view name, const std::map<std::string, std::string>& labels = {}) {
    return metric_sum(metrics(), name, labels);
  }
  // The GET path (base64 DER, URL-escaped) of a request for CERT.
  std::string get_path(const std::filesystem::path& cert) {
    return "/" + url_escape(base64(make_request_der(cert, pki.intermediate())));
  }

  HttpResponse post(const std::string& body) {
    HttpClient http(daemon->port());
    return http.post("/", body);
  }
  HttpResponse post_for(const std::filesystem::path& cert, bool sha256 = false) {
    return post(make_request_der(cert, pki.intermediate(), sha256));
  }
  ParsedResponse parse(const HttpResponse& r, const std::filesystem::path& cert,
                       bool sha256 = false) {
    return parse_response(r.body, cert, pki.intermediate(), pki.root(), sha256);
  }

  void TearDown() override {
    if (!daemon) return;
    bool was_running = daemon->running();
    int status = daemon->stop();
    EXPECT_TRUE(was_running) << "ocspcache died during the test";
    EXPECT_EQ(status, 0) << "ocspcache did not drain and exit 0 on SIGTERM";
    if (HasFailure()) {
      std::string log = daemon->log();
      if (log.size() > 6000) log = "...\n" + log.substr(log.size() - 6000);
      std::cerr << "---- ocspcache stderr (" << daemon->config_path() << ")\n" << log << "----\n";
    }
  }
};

}  // namespace ocspcache::it
