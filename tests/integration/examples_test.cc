// The shipped examples of packaging/examples/ (issue 14), each loaded by its
// real server from Debian as the file is shipped: only ports and paths are
// substituted (render_example fails when a substituted text is no longer in
// the file, so the example and its test cannot drift apart). nginx in both
// modes, HAProxy 2.6 and Apache 2.4 must show a staple from ocspcache;
// Prometheus must load the packaged rules and find the admin endpoint.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus.h"
#include "harness/prometheus_text.h"
#include "harness/temp_dir.h"
#include "harness/tls_probe.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using namespace std::chrono_literals;
using Substitutions = std::vector<std::pair<std::string, std::string>>;

const std::filesystem::path kExamples =
    std::filesystem::path(OCSPCACHE_SOURCE_DIR) / "packaging/examples";

// packaging/examples/NAME with every FROM replaced by TO, written to OUT.
// Throws when a FROM is not in the file: the shipped example changed.
std::filesystem::path render_example(const std::string& name, const Substitutions& subs,
                                     const std::filesystem::path& out) {
  std::string text = read_file(kExamples / name);
  if (text.empty()) throw std::runtime_error("cannot read " + (kExamples / name).string());
  for (const auto& [from, to] : subs) {
    size_t at = text.find(from);
    if (at == std::string::npos) {
      throw std::runtime_error(name + " no longer contains \"" + from + "\": update its test");
    }
    for (; at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  write_file(out, text);
  return out;
}

// The examples' server name.
std::string handshake_at(uint16_t port) { return s_client_status(port, "www.example.com"); }

class ExamplesTest : public ProxyTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir.path() / "ssl/private");
    // What the examples call /etc/ssl/www.example.com.pem: leaf + chain.
    std::filesystem::copy_file(pki.dir() / "good-chain.pem",
                               dir.path() / "ssl/www.example.com.pem");
    std::filesystem::copy_file(pki.dir() / "good.key",
                               dir.path() / "ssl/private/www.example.com.key");
  }
  void start_daemon_with(const std::string& extra_toml = "", const std::string& nmin = "") {
    ResponderOptions r;
    if (!nmin.empty()) r.nmin = std::stoi(nmin);
    responder = std::make_unique<OpensslResponder>(r);
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder->url()}});
    options.extra_toml = extra_toml;
    daemon = std::make_unique<Daemon>(std::move(options));
  }
  // The /etc/ssl paths of the nginx and Apache examples, moved under dir.
  Substitutions ssl_paths() const {
    return {{"/etc/ssl/private/", (dir.path() / "ssl/private").string() + "/"},
            {"/etc/ssl/www.example.com.pem", (dir.path() / "ssl/www.example.com.pem").string()}};
  }
  // nginx running only SERVER_BLOCK (a rendered example) inside its http {}.
  std::unique_ptr<Process> start_nginx(const std::filesystem::path& server_block, uint16_t port) {
    const auto prefix = dir.path() / "nginx";
    std::filesystem::create_directories(prefix / "logs");
    const std::string tmp = (prefix / "tmp").string();
    std::ofstream(prefix / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid "
        << (prefix / "nginx.pid").string() << ";\nerror_log "
        << (prefix / "logs/error.log").string()
        << " info;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << tmp << ";\n  proxy_temp_path " << tmp << ";\n"
        << "  fastcgi_temp_path " << tmp << ";\n  uwsgi_temp_path " << tmp << ";\n"
        << "  scgi_temp_path " << tmp << ";\n  include " << server_block.string() << ";\n}\n";
    auto nginx = std::make_unique<Process>(
        SpawnOptions{
            .argv = {"nginx", "-p", prefix.string(), "-c", (prefix / "nginx.conf").string()},
            .env = {},
            .cwd = {}},
        dir.path(), "nginx");
    if (!wait_listening(port, 10s)) {
      throw std::runtime_error("nginx did not listen:\n" + nginx->stderr_text() +
                               read_file(prefix / "logs/error.log"));
    }
    return nginx;
  }

  TempDir dir{"ocspcache-examples"};
  std::unique_ptr<OpensslResponder> responder;
};

// nginx-responder.conf: ssl_stapling_responder at ocspcache, with
// ssl_stapling_verify on (so nginx checked the answer against the chain).
TEST_F(ExamplesTest, NginxResponderExampleStaplesOcspcachesAnswer) {
  start_daemon_with();
  write_file(dir.path() / "ssl/example-ca-chain.pem",
             read_file(pki.intermediate()) + read_file(pki.root()));
  PortReservation port;
  Substitutions subs = ssl_paths();
  subs.push_back(
      {"/etc/ssl/example-ca-chain.pem", (dir.path() / "ssl/example-ca-chain.pem").string()});
  subs.push_back({"listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(port.port()) + " ssl;"});
  subs.push_back({"http://127.0.0.1:8080/", daemon->url() + "/"});
  auto nginx = start_nginx(render_example("nginx-responder.conf", subs, dir.path() / "site.conf"),
                           port.port());
  // nginx fetches after the first handshake that asked: retry, bounded.
  const std::string handshake =
      wait_for_handshake(port.port(), "www.example.com", stapled_good, 20s);
  ASSERT_TRUE(stapled_good(handshake))
      << handshake << "\n"
      << nginx->stderr_text() << read_file(dir.path() / "nginx/logs/error.log");
  EXPECT_GE(metric("ocspcache_requests_total", {{"method", "GET"}}), 1) << "nginx asked ocspcache";
  nginx->stop();
}

// nginx-staple-file.conf with the [stapling] its comment gives: stapled from
// the first handshake, from the file ocspcache wrote.
TEST_F(ExamplesTest, NginxStapleFileExampleStaplesTheFileFromTheFirstHandshake) {
  const auto staples = dir.path() / "staples";
  std::filesystem::create_directories(staples);
  start_daemon_with("[stapling]\ncerts = [\"" + (dir.path() / "ssl/www.example.com.pem").string() +
                    "\"]\nocsp_files = false\ndir = \"" + staples.string() + "\"\n");
  const auto staple = staples / "www.example.com.der";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(staple); }, 15s)) << daemon->log();
  PortReservation port;
  Substitutions subs = ssl_paths();
  subs.push_back({"listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(port.port()) + " ssl;"});
  subs.push_back({"/var/lib/ocspcache/staples/", staples.string() + "/"});
  auto nginx = start_nginx(render_example("nginx-staple-file.conf", subs, dir.path() / "site.conf"),
                           port.port());
  const std::string handshake = handshake_at(port.port());
  EXPECT_TRUE(stapled_good(handshake)) << "the first handshake is stapled:\n" << handshake;
  EXPECT_EQ(metric("ocspcache_requests_total"), 0) << "nginx never asked: it read the file";
  nginx->stop();
}

// haproxy.cfg with the [stapling] its comment gives: HAProxy staples the
// .ocsp file from its start, and ocspcache's push over the admin socket is
// taken (ocspcache retries a push every 5 s until the socket is there).
TEST_F(ExamplesTest, HaproxyExampleStaplesTheOcspFileAndTakesPushes) {
  const auto certs = dir.path() / "haproxy-certs";
  std::filesystem::create_directories(certs);
  const auto bundle = certs / "www.example.com.pem";  // HAProxy's crt: leaf, key, chain
  write_file(bundle, read_file(pki.good()) + read_file(pki.dir() / "good.key") +
                         read_file(pki.intermediate()));
  const auto admin = dir.path() / "admin.sock";
  start_daemon_with(
      "[stapling]\ncerts = [\"" + (certs / "*.pem").string() +
          "\"]\nocsp_files = true\nmin_remaining = \"6m\"\nhaproxy_sockets = [\"unix:" +
          admin.string() + "\"]\n",
      "10");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(bundle.string() + ".ocsp"); }, 15s))
      << daemon->log();

  PortReservation port;
  const auto cfg = render_example(
      "haproxy.cfg",
      {{"/run/haproxy/admin.sock", admin.string()},
       {"bind :443 ssl crt /etc/haproxy/certs/",
        "bind 127.0.0.1:" + std::to_string(port.port()) + " ssl crt " + certs.string() + "/"}},
      dir.path() / "haproxy.cfg");
  Process haproxy({.argv = {"haproxy", "-db", "-f", cfg.string()}, .env = {}, .cwd = {}},
                  dir.path(), "haproxy");
  ASSERT_TRUE(wait_listening(port.port(), 10s)) << haproxy.stderr_text();
  const std::string handshake = handshake_at(port.port());
  EXPECT_TRUE(stapled_good(handshake)) << "HAProxy staples the .ocsp file:\n"
                                       << handshake << haproxy.stderr_text();
  ASSERT_TRUE(wait_until(
      [&] {
        return metric("ocspcache_staple_pushes_total", {{"result", "ok"}}) >= 1;
      },
      20s, 250ms))
      << metrics() << daemon->log();
  EXPECT_TRUE(haproxy.running()) << haproxy.stderr_text();
  haproxy.stop();
}

// apache-stapling.conf: SSLStaplingForceURL at ocspcache. Apache fetches
// on the first handshake that asks for status: retry, bounded.
TEST_F(ExamplesTest, ApacheExampleStaplesOcspcachesAnswer) {
  start_daemon_with();
  PortReservation port;
  Substitutions subs = ssl_paths();
  subs.push_back(
      {"<VirtualHost *:443>", "<VirtualHost 127.0.0.1:" + std::to_string(port.port()) + ">"});
  subs.push_back({"http://127.0.0.1:8080/", daemon->url() + "/"});
  const auto site = render_example("apache-stapling.conf", subs, dir.path() / "site.conf");
  const auto run = dir.path() / "apache";
  std::filesystem::create_directories(run);
  const std::string modules = "/usr/lib/apache2/modules/";
  std::string conf = "Define APACHE_RUN_DIR " + run.string() + "\nServerRoot " + run.string() +
                     "\nServerName localhost\nDefaultRuntimeDir " + run.string() + "\nPidFile " +
                     (run / "apache.pid").string() + "\nErrorLog " + (run / "error.log").string() +
                     "\nLogLevel warn ssl:info\nListen 127.0.0.1:" + std::to_string(port.port()) +
                     "\nMutex file:" + run.string() + " default\n";
  for (const char* m : {"mpm_event", "authz_core", "socache_shmcb", "ssl"}) {
    conf += "LoadModule " + std::string(m) + "_module " + modules + "mod_" + m + ".so\n";
  }
  // Run by root (CI), Apache hands its children to an unprivileged user.
  if (::geteuid() == 0) conf += "User nobody\nGroup nogroup\n";
  conf += "Include " + site.string() + "\n";
  const auto main_conf = dir.write("apache2.conf", conf);
  std::filesystem::permissions(run, std::filesystem::perms::all);  // the children's mutexes
  Process apache({.argv = {"/usr/sbin/apache2", "-f", main_conf.string(), "-DFOREGROUND"},
                  .env = {},
                  .cwd = {}},
                 dir.path(), "apache2");
  ASSERT_TRUE(wait_listening(port.port(), 10s))
      << apache.stderr_text() << read_file(run / "error.log");
  const std::string handshake =
      wait_for_handshake(port.port(), "www.example.com", stapled_good, 20s);
  ASSERT_TRUE(stapled_good(handshake))
      << handshake << "\n"
      << apache.stderr_text() << read_file(run / "error.log") << daemon->log();
  EXPECT_GE(metric("ocspcache_requests_total", {{"method", "POST"}}), 1)
      << "Apache POSTs to ocspcache";
  apache.stop();
}

// prometheus.yml: the packaged rules load and the admin endpoint is the target.
TEST_F(ExamplesTest, PrometheusExampleLoadsTheRulesAndScrapesTheAdminEndpoint) {
  start_daemon_with();
  const std::string target = "127.0.0.1:" + std::to_string(daemon->admin_port());
  const auto rules =
      std::filesystem::path(OCSPCACHE_SOURCE_DIR) / "packaging/prometheus/ocspcache.rules.yml";
  const auto cfg =
      render_example("prometheus.yml",
                     {{"/usr/share/ocspcache/prometheus/ocspcache.rules.yml", rules.string()},
                      {"\"127.0.0.1:9080\"", "\"" + target + "\""},
                      // Seconds, not the shipped 15 s, so the first scrape comes within the test.
                      {"scrape_interval: 15s", "scrape_interval: 1s"}},
                     dir.path() / "prometheus.yml");
  Prometheus prometheus(
      {.targets = {}, .rule_files = {}, .interval = {}, .config = read_file(cfg)});

  const Json loaded = prometheus.api("/api/v1/rules");
  std::vector<std::string> names;
  for (const Json& group : loaded["data"]["groups"].items()) {
    for (const Json& rule : group["rules"].items()) {
      EXPECT_NE(rule["health"].str(), "err")
          << rule["name"].str() << ": " << rule["lastError"].str();
      names.push_back(rule["name"].str());
    }
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "SslCertificateOscpStatusUnknown"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "SslCertificateRevoked"), names.end());
  EXPECT_GE(names.size(), 7u) << "every packaged alert";

  // Scraped: up is 1 for the admin endpoint as the example's target.
  std::string seen;
  ASSERT_TRUE(wait_until(
      [&] {
        const Json up = prometheus.query("up{job=\"ocspcache\"}")["data"]["result"];
        if (up.items().size() != 1) return false;
        seen = up.items()[0]["metric"]["instance"].str();
        return up.items()[0]["value"].items().size() == 2 &&
               up.items()[0]["value"].items()[1].str() == "1";
      },
      30s, 500ms))
      << prometheus.log();
  EXPECT_EQ(seen, target);
}

}  // namespace
}  // namespace ocspcache::it
