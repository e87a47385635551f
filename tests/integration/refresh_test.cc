// Refresh ahead (issue 12), end to end: a real `openssl ocsp` responder
// that issues one-minute answers (-nmin 1), and ocspcache replacing the
// cached answer before its nextUpdate with no client asking; the next
// client gets the newer answer as a hit, and the responder was asked once
// more, not once per client. Then the stapling inventory on top of it:
// staple files written at start and rewritten by refreshes, and a real
// nginx stapling them (file mode) or asking ocspcache (responder mode).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "harness/ocsp_tools.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus_text.h"
#include "harness/raw_connection.h"
#include "harness/temp_dir.h"
#include "harness/tls_probe.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using namespace std::chrono_literals;

class RefreshTest : public ProxyTest {};

TEST_F(RefreshTest, AnAnswerIsReplacedBeforeItsNextUpdateWithNoClientAsking) {
  OpensslResponder responder(ResponderOptions{.nmin = 1});
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  // A quarter of the minute (15 s, up to 6 s earlier by jitter) rather than
  // half-way: the same path in half the suite's time, and the next refresh
  // still 9 s or more after it.
  options.extra_toml = "[cache]\nrefresh_ahead = 0.25\n";
  daemon = std::make_unique<Daemon>(options);
  HttpClient http(daemon->port());

  const auto first = parse(http.get(get_path(pki.good())), pki.good());
  ASSERT_TRUE(first.has_single) << first.error;
  ASSERT_EQ(first.next_update - first.this_update, 60) << "a one-minute answer";
  EXPECT_EQ(metric("ocspcache_refresh_scheduled"), 1);
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1);

  // At 15 s (up to 6 s earlier by jitter), never past nextUpdate - 6 s.
  ASSERT_TRUE(wait_until(
      [&] {
        return metric("ocspcache_refreshes_total", {{"result", "refreshed"}}) >= 1;
      },
      50s, 250ms))
      << metrics() << daemon->log();
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 2) << "one refresh, one exchange";
  EXPECT_LE(metric("ocspcache_refresh_lag_seconds"), 1) << "started on time";
  EXPECT_EQ(metric("ocspcache_requests_total"), 1) << "no client asked meanwhile";

  const auto second = parse(http.get(get_path(pki.good())), pki.good());
  ASSERT_TRUE(second.has_single) << second.error;
  EXPECT_GT(second.this_update, first.this_update) << "the refreshed answer is served";
  EXPECT_LT(std::time(nullptr), first.next_update) << "before the first answer's nextUpdate";
  EXPECT_EQ(metric("ocspcache_requests_total", {{"result", "hit"}}), 1) << "a hit";
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 2);
}

}  // namespace
}  // namespace ocspcache::it

namespace ocspcache::it {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Issue 12, the inventory: chain files listed in [stapling].certs are
// fetched at start with no client asking, their staples written for HAProxy
// (<chain>.ocsp) and nginx (<dir>/<name>.der), after_update run, their
// series there from the start; and a refresh rewrites the files with the
// newer answer.
TEST_F(RefreshTest, InventoryStaplesAreWrittenAtStartAndRewrittenByRefresh) {
  OpensslResponder responder(ResponderOptions{.nmin = 1});
  TempDir dir;
  const auto chains = dir.path() / "chains";
  const auto out = dir.path() / "nginx";
  std::filesystem::create_directories(chains);
  std::filesystem::create_directories(out);
  const std::string intermediate = read_file(pki.intermediate());
  for (const auto& [name, leaf] :
       {std::pair{"good.pem", pki.good()}, {"revoked.crt", pki.revoked()}}) {
    std::ofstream(chains / name) << read_file(leaf) << intermediate;
  }
  std::ofstream(chains / "stray.pem") << "not a certificate\n";
  const auto marker = dir.path() / "after_update.count";

  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.extra_toml = "[cache]\nrefresh_ahead = 0.25\n[stapling]\ncerts = [\"" +
                       (chains / "*").string() + "\"]\ndir = \"" + out.string() +
                       "\"\nmin_remaining = \"10s\"\nafter_update = \"echo x >> " +
                       marker.string() + "\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));

  const auto good_ocsp = chains / "good.pem.ocsp";
  const auto good_der = out / "good.der";
  const auto revoked_ocsp = chains / "revoked.crt.ocsp";
  const auto revoked_der = out / "revoked.der";
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& f : {good_ocsp, good_der, revoked_ocsp, revoked_der}) {
          if (!std::filesystem::exists(f)) return false;
        }
        return std::filesystem::exists(marker);
      },
      15s))
      << daemon->log();
  EXPECT_EQ(metric("ocspcache_requests_total"), 0) << "no client asked";
  EXPECT_EQ(read_file(good_ocsp), read_file(good_der)) << "both forms hold the same answer";
  const auto good =
      parse_response(read_file(good_ocsp), pki.good(), pki.intermediate(), pki.root());
  ASSERT_TRUE(good.has_single) << good.error;
  EXPECT_EQ(good.cert_status, kGood);
  EXPECT_TRUE(good.signature_ok);
  const auto revoked =
      parse_response(read_file(revoked_der), pki.revoked(), pki.intermediate(), pki.root());
  EXPECT_EQ(revoked.cert_status, kRevoked) << "the truth is stapled, revoked too";
  EXPECT_NE(daemon->log().find("event=stapling_skipped"), std::string::npos)
      << "the stray file is reported";
  EXPECT_EQ(metric("ocspcache_stapling_certificates"), 2);
  const std::string m = metrics();
  EXPECT_EQ(metric_value(m, "ssl_ocsp_response_status", {{"serial", "1001"}}), 0) << m;
  EXPECT_EQ(metric_value(m, "ssl_ocsp_response_status", {{"serial", "1002"}}), 1) << m;
  ASSERT_TRUE(wait_until(
      [&] {
        return metric("ocspcache_staple_commands_total", {{"result", "ok"}}) >= 1;
      },
      10s));

  // A quarter into the minute the refresher renews both, and the files follow.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto now =
            parse_response(read_file(good_der), pki.good(), pki.intermediate(), pki.root());
        return now.has_single && now.this_update > good.this_update;
      },
      50s, 500ms))
      << daemon->log();
  const auto newer =
      parse_response(read_file(good_ocsp), pki.good(), pki.intermediate(), pki.root());
  EXPECT_GT(newer.this_update, good.this_update) << "the .ocsp file too";
  EXPECT_EQ(metric("ocspcache_requests_total"), 0) << "still no client";
}

// SIGHUP re-reads the inventory (the same config, its glob matching one
// more chain file): the new certificate is fetched and written with no
// client asking and its series appears; a certificate whose chain file is
// gone stops being refreshed and its staple stays as it is; a keep-alive
// client connection is answered before and after on the same connection.
TEST_F(RefreshTest, SighupRereadsTheInventoryWithoutDroppingConnections) {
  OpensslResponder responder;
  TempDir dir;
  const auto chains = dir.path() / "chains";
  std::filesystem::create_directories(chains);
  const std::string intermediate = read_file(pki.intermediate());
  std::ofstream(chains / "good.pem") << read_file(pki.good()) << intermediate;
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.extra_toml = "[stapling]\ncerts = [\"" + (chains / "*.pem").string() + "\"]\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(chains / "good.pem.ocsp"); }, 15s))
      << daemon->log();
  EXPECT_EQ(metric("ocspcache_stapling_certificates"), 1);

  RawConnection client(daemon->port(), 10s);
  ASSERT_TRUE(client.connected());
  const std::string unknown = make_request_der(pki.unknown(), pki.intermediate());
  ASSERT_TRUE(client.send(post_request(unknown)));
  ASSERT_EQ(client.read_response().status, 200);

  std::ofstream(chains / "revoked.pem") << read_file(pki.revoked()) << intermediate;
  std::filesystem::remove(chains / "good.pem");
  const std::string good_staple = read_file(chains / "good.pem.ocsp");
  daemon->reload();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(chains / "revoked.pem.ocsp"); }, 15s))
      << daemon->log();
  EXPECT_EQ(metric("ocspcache_stapling_certificates"), 1) << "revoked.pem in, good.pem out";
  const auto revoked = parse_response(read_file(chains / "revoked.pem.ocsp"), pki.revoked(),
                                      pki.intermediate(), pki.root());
  EXPECT_EQ(revoked.cert_status, kRevoked);
  EXPECT_EQ(metric_value(metrics(), "ssl_ocsp_response_status", {{"serial", "1002"}}), 1);
  EXPECT_TRUE(read_file(chains / "good.pem.ocsp") == good_staple) << "left as it was";
  EXPECT_EQ(metric("ocspcache_requests_total"), 1) << "only the keep-alive client asked";

  ASSERT_TRUE(client.send(post_request(unknown))) << "the connection survived the reload";
  const HttpResponse after = client.read_response();
  EXPECT_EQ(after.status, 200) << after.error;
  EXPECT_EQ(metric("ocspcache_requests_total", {{"result", "hit"}}), 1) << "and the cache did";
}

// A chain file whose issuer is not an [[issuer]]: the issuer is taken from
// the chain (it signed the leaf) and asked at the responder the leaf's
// authorityInfoAccess names, as nginx and HAProxy would. The leaf is
// re-issued here (serial 0x1001, the good one's, so the responder's index
// knows it) with an AIA URL on the responder's ephemeral port.
TEST_F(RefreshTest, AChainWhoseIssuerIsNotConfiguredIsAskedAtItsLeafsResponder) {
  OpensslResponder responder;
  TempDir dir;
  const auto run = [](const std::vector<std::string>& argv) {
    const CommandResult r = run_command(argv, 20s);
    EXPECT_EQ(r.exit_code, 0) << argv[0] << " " << argv[1] << ": " << r.err;
  };
  const auto ext = dir.path() / "aia.ext";
  std::ofstream(ext) << "authorityInfoAccess = OCSP;URI:" << responder.url() << "\n";
  run({"openssl", "req", "-new", "-key", pki.dir().string() + "/good.key", "-subj", "/CN=aia.test",
       "-out", (dir.path() / "leaf.csr").string()});
  const auto leaf = dir.path() / "leaf.pem";
  run({"openssl", "x509", "-req", "-in", (dir.path() / "leaf.csr").string(), "-CA",
       pki.intermediate().string(), "-CAkey", pki.dir().string() + "/intermediate.key",
       "-set_serial", "0x1001", "-days", "30", "-extfile", ext.string(), "-out", leaf.string()});
  const auto chain = dir.path() / "aia.pem";
  std::ofstream(chain) << read_file(leaf) << read_file(pki.intermediate());
  // The same leaf without its issuer in the file: nothing to check it with.
  std::ofstream(dir.path() / "alone.pem") << read_file(leaf);

  DaemonOptions options;  // only another CA is configured
  options.issuers.push_back(
      {.name = "other CA", .cert = pki.other_ca(), .responders = {responder.url()}});
  options.extra_toml = "[stapling]\ncerts = [\"" + chain.string() + "\", \"" +
                       (dir.path() / "alone.pem").string() + "\"]\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  const auto staple = dir.path() / "aia.pem.ocsp";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(staple); }, 15s)) << daemon->log();
  const auto answer = parse_response(read_file(staple), leaf, pki.intermediate(), pki.root());
  ASSERT_TRUE(answer.has_single) << answer.error;
  EXPECT_EQ(answer.cert_status, kGood);
  EXPECT_TRUE(answer.signature_ok) << "checked against the chain's issuer";
  EXPECT_NE(
      daemon->log().find("event=stapling_issuer_from_chain issuer=\"ocspcache test intermediate\" "
                         "responders=\"" +
                         responder.url() + "\""),
      std::string::npos)
      << daemon->log();
  EXPECT_EQ(metric_value(metrics(), "ssl_ocsp_response_status",
                         {{"issuer", "ocspcache test intermediate"}, {"serial", "1001"}}),
            0);
  EXPECT_NE(daemon->log().find("alone.pem: no [[issuer]] signed its certificate and the file holds "
                               "no certificate that did"),
            std::string::npos)
      << daemon->log();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "alone.pem.ocsp"));
  EXPECT_EQ(metric("ocspcache_stapling_certificates"), 1);

  // A client (nginx in responder mode, here openssl) asking ocspcache for
  // it is answered from the cache, not refused as an unknown issuer.
  const auto asked =
      openssl_client(daemon->url(), leaf, pki.intermediate(), pki.root(), {.nonce = false});
  EXPECT_EQ(asked.cert_status, "good") << asked.out << asked.err;
  EXPECT_EQ(metric("ocspcache_requests_total", {{"result", "hit"}}), 1);
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1);
}

}  // namespace
}  // namespace ocspcache::it

namespace ocspcache::it {
namespace {

// An nginx that serves TLS on 127.0.0.1:PORT with CHAIN and KEY, its
// stapling configured by STAPLING (directives), under PREFIX.
void write_nginx_conf(const std::filesystem::path& prefix, uint16_t port,
                      const std::filesystem::path& chain, const std::filesystem::path& key,
                      const std::string& stapling) {
  std::filesystem::create_directories(prefix / "logs");
  const std::string tmp = (prefix / "tmp").string();
  std::ofstream(prefix / "nginx.conf")
      << "daemon off;\nmaster_process off;\nworker_processes 1;\npid "
      << (prefix / "nginx.pid").string() << ";\nerror_log " << (prefix / "logs/error.log").string()
      << " info;\n"
      << "events { worker_connections 64; }\nhttp {\n  access_log off;\n"
      << "  client_body_temp_path " << tmp << ";\n  proxy_temp_path " << tmp << ";\n"
      << "  fastcgi_temp_path " << tmp << ";\n  uwsgi_temp_path " << tmp << ";\n"
      << "  scgi_temp_path " << tmp << ";\n"
      << "  server {\n    listen 127.0.0.1:" << port << " ssl reuseport;\n"
      << "    ssl_certificate " << chain.string() << ";\n"
      << "    ssl_certificate_key " << key.string() << ";\n"
      << "    ssl_stapling on;\n    " << stapling << "\n"
      << "    location / { return 200 \"ok\\n\"; }\n  }\n}\n";
}

// The test PKI's leaf names www.test.
std::string handshake_at(uint16_t port) { return s_client_status(port, "www.test"); }

// Handshakes until one carries a staple (nginx in responder mode fetches
// only after a client asked for status) or 15 s pass: the last handshake.
std::string wait_stapled_handshake(uint16_t port) {
  return wait_for_handshake(port, "www.test", stapled, 15s);
}

// Issue 12: a real nginx with ssl_stapling_file pointed at the staple
// ocspcache wrote staples from the first handshake after its start (with
// ssl_stapling_responder it would staple only after a client asked).
TEST_F(RefreshTest, NginxStaplesTheWrittenFileFromTheFirstHandshake) {
  OpensslResponder responder;
  TempDir dir;
  const auto chains = dir.path() / "chains";
  const auto out = dir.path() / "staples";
  std::filesystem::create_directories(chains);
  std::filesystem::create_directories(out);
  std::filesystem::copy_file(pki.dir() / "good-chain.pem", chains / "www.pem");
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.extra_toml = "[stapling]\ncerts = [\"" + (chains / "*.pem").string() + "\"]\ndir = \"" +
                       out.string() + "\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  const auto staple = out / "www.der";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(staple); }, 15s)) << daemon->log();

  PortReservation port;
  const auto prefix = dir.path() / "nginx";
  write_nginx_conf(prefix, port.port(), chains / "www.pem", pki.dir() / "good.key",
                   "ssl_stapling_file " + staple.string() + ";");
  Process nginx({.argv = {"nginx", "-p", prefix.string(), "-c", (prefix / "nginx.conf").string()},
                 .env = {},
                 .cwd = {}},
                dir.path(), "nginx");
  ASSERT_TRUE(wait_listening(port.port(), 10s)) << nginx.stderr_text();

  const std::string handshake = handshake_at(port.port());
  EXPECT_NE(handshake.find("OCSP Response Status: successful"), std::string::npos)
      << "the first handshake is stapled:\n"
      << handshake << "\n"
      << nginx.stderr_text();
  EXPECT_NE(handshake.find("Cert Status: good"), std::string::npos) << handshake;
  nginx.stop();
}

// Responder mode: nginx's ssl_stapling_responder pointed at ocspcache.
// nginx fetches only after a handshake asked for status (DESIGN.md field
// notes), in its own request format (GET, HTTP/1.0); a later handshake
// carries the staple ocspcache answered.
TEST_F(RefreshTest, NginxStaplesWithOcspcacheAsItsResponder) {
  OpensslResponder responder;
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  daemon = std::make_unique<Daemon>(std::move(options));
  TempDir dir;
  PortReservation port;
  const auto prefix = dir.path() / "nginx";
  write_nginx_conf(prefix, port.port(), pki.dir() / "good-chain.pem", pki.dir() / "good.key",
                   "ssl_stapling_responder " + daemon->url() + "/;");
  Process nginx({.argv = {"nginx", "-p", prefix.string(), "-c", (prefix / "nginx.conf").string()},
                 .env = {},
                 .cwd = {}},
                dir.path(), "nginx");
  ASSERT_TRUE(wait_listening(port.port(), 10s)) << nginx.stderr_text();
  std::string handshake = wait_stapled_handshake(port.port());
  ASSERT_NE(handshake.find("OCSP Response Status: successful"), std::string::npos)
      << handshake << "\n"
      << nginx.stderr_text() << daemon->log();
  EXPECT_NE(handshake.find("Cert Status: good"), std::string::npos) << handshake;
  EXPECT_GE(metric("ocspcache_requests_total", {{"method", "GET"}}), 1) << "nginx asks with GET";
  nginx.stop();

  // A second nginx (a restart: its staple cache is gone) asks again with
  // its own request format, and the answer comes from ocspcache's cache.
  ASSERT_EQ(metric("ocspcache_upstream_requests_total"), 1);
  Process again({.argv = {"nginx", "-p", prefix.string(), "-c", (prefix / "nginx.conf").string()},
                 .env = {},
                 .cwd = {}},
                dir.path(), "nginx-again");
  ASSERT_TRUE(wait_listening(port.port(), 10s)) << again.stderr_text();
  handshake = wait_stapled_handshake(port.port());
  ASSERT_NE(handshake.find("OCSP Response Status: successful"), std::string::npos)
      << handshake << "\n"
      << again.stderr_text() << daemon->log();
  EXPECT_GE(metric("ocspcache_requests_total", {{"method", "GET"}, {"result", "hit"}}), 1)
      << "nginx's request is answered from the cache";
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1) << "the responder is not asked again";
  again.stop();
}

}  // namespace
}  // namespace ocspcache::it

namespace ocspcache::it {
namespace {

// "This Update: Dec  4 05:10:00 2026 GMT" of the staple s_client printed; "" without one.
std::string stapled_this_update(const std::string& s_client_out) {
  if (s_client_out.find("OCSP Response Status: successful") == std::string::npos) return "";
  const size_t at = s_client_out.find("This Update:");
  if (at == std::string::npos) return "";
  return s_client_out.substr(at, s_client_out.find('\n', at) - at);
}

// Issue 12: a real HAProxy 2.6 with the <crt>.ocsp file ocspcache wrote
// staples it, and after a refresh staples the newer answer, pushed over its
// runtime socket: no HAProxy reload.
TEST_F(RefreshTest, HaproxyStaplesTheFileAndTakesRefreshedAnswersOverItsSocket) {
  // HAProxy takes an answer with less than 5 minutes left for expired:
  // ten-minute answers, refreshed after 30 s (refresh_ahead 0.05).
  OpensslResponder responder(ResponderOptions{.nmin = 10});
  TempDir dir;
  const auto certs = dir.path() / "certs";
  std::filesystem::create_directories(certs);
  const auto bundle = certs / "www.pem";  // HAProxy's crt: leaf, key, chain
  std::ofstream(bundle) << read_file(pki.good()) << read_file(pki.dir() / "good.key")
                        << read_file(pki.intermediate());
  const auto admin = dir.path() / "admin.sock";
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.extra_toml = "[cache]\nrefresh_ahead = 0.05\n[stapling]\ncerts = [\"" + bundle.string() +
                       "\"]\nmin_remaining = \"6m\"\nhaproxy_sockets = [\"unix:" + admin.string() +
                       "\"]\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(bundle.string() + ".ocsp"); }, 15s))
      << daemon->log();

  PortReservation port;
  const auto cfg = dir.path() / "haproxy.cfg";
  std::ofstream(cfg) << "global\n  stats socket " << admin.string() << " mode 600 level admin\n"
                     << "defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n"
                     << "  timeout server 5s\n"
                     << "frontend https\n  bind 127.0.0.1:" << port.port() << " ssl crt "
                     << bundle.string() << "\n"
                     << "  http-request return status 200 content-type text/plain string ok\n";
  Process haproxy({.argv = {"haproxy", "-db", "-f", cfg.string()}, .env = {}, .cwd = {}},
                  dir.path(), "haproxy");
  ASSERT_TRUE(wait_listening(port.port(), 10s)) << haproxy.stderr_text();

  const std::string first = stapled_this_update(handshake_at(port.port()));
  ASSERT_NE(first, "") << "HAProxy staples the .ocsp file:\n"
                       << handshake_at(port.port()) << haproxy.stderr_text();
  std::string now;
  ASSERT_TRUE(wait_until(
      [&] {
        now = stapled_this_update(handshake_at(port.port()));
        return !now.empty() && now != first;
      },
      50s, 1s))
      << "still " << first << "\n"
      << daemon->log();
  EXPECT_GE(metric("ocspcache_staple_pushes_total", {{"result", "ok"}}), 1) << metrics();
  EXPECT_TRUE(haproxy.running()) << "never reloaded or restarted";
  haproxy.stop();
}

}  // namespace
}  // namespace ocspcache::it
