// Operating the service as the packaged unit does (issue 14): SIGHUP
// (the unit's ExecReload) keeps a keep-alive client's connection and the
// cache, a broken file on reload is refused with its reason while clients
// keep being answered, and the systemd notify protocol (Type=notify) hears
// READY=1 once serving, RELOADING=1/READY=1 around each reload and
// STOPPING=1 when SIGTERM starts the drain.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <optional>
#include <string>

#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "harness/temp_dir.h"
#include "ocspcache/util/unique_fd.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class ServiceOpsTest : public ProxyTest {};

TEST_F(ServiceOpsTest, KeepAliveClientIsAnsweredOnOneConnectionAcrossReloadsGoodAndBad) {
  OpensslResponder responder;
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  daemon = std::make_unique<Daemon>(options);
  HttpClient client(daemon->port(), /*keep_alive=*/true);

  auto first = parse(client.get(get_path(pki.good())), pki.good());
  ASSERT_TRUE(first.has_single) << first.error;
  EXPECT_EQ(first.cert_status, kGood);
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1);

  // A good reload (log level changed, so something was really re-read).
  options.log_level = "debug";
  daemon->rewrite_config(options);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reloaded", 1)) << daemon->log();
  auto second = parse(client.get(get_path(pki.good())), pki.good());
  ASSERT_TRUE(second.has_single) << second.error;
  EXPECT_EQ(second.this_update, first.this_update) << "the same cached answer";
  EXPECT_EQ(metric("ocspcache_requests_total", {{"result", "hit"}}), 1) << "the cache was kept";
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1) << "no new fetch after the reload";
  EXPECT_EQ(client.connections(), 1) << "the keep-alive connection survived SIGHUP";

  // A broken file: refused, said why, and the same connection still served,
  // a miss too (the kept issuer still routes to the responder).
  daemon->rewrite_config("[server]\nthreads = \"many\"\n");
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reload_failed", 1)) << daemon->log();
  const std::string log = daemon->log();
  std::string line = log.substr(log.find("event=reload_failed"));
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find("kept=previous"), std::string::npos) << line;
  EXPECT_NE(line.find("server.threads"), std::string::npos) << "names the key: " << line;
  EXPECT_TRUE(daemon->running());
  auto third = parse(client.get(get_path(pki.revoked())), pki.revoked());
  ASSERT_TRUE(third.has_single) << third.error;
  EXPECT_EQ(third.cert_status, kRevoked);
  auto fourth = parse(client.get(get_path(pki.good())), pki.good());
  EXPECT_EQ(fourth.cert_status, kGood);
  EXPECT_EQ(client.connections(), 1) << "still the first connection";
  HttpClient admin(daemon->admin_port());
  EXPECT_EQ(admin.get("/readyz").status, 200);
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path)
      : path_(path), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_.get() < 0 || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind " + path.string() + ": " + std::strerror(errno));
    }
  }
  const std::filesystem::path& path() const { return path_; }

  // The next datagram, or nullopt after TIMEOUT.
  std::optional<std::string> next(std::chrono::milliseconds timeout = 10s) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
};

TEST_F(ServiceOpsTest, SystemdHearsReadyReloadingAndStopping) {
  OpensslResponder responder;
  TempDir dir;
  NotifySocket notify(dir.path() / "notify.sock");
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  options.env = {"NOTIFY_SOCKET=" + notify.path().string()};
  daemon = std::make_unique<Daemon>(options);

  const auto ready = notify.next();
  ASSERT_TRUE(ready.has_value()) << "no READY=1\n" << daemon->log();
  EXPECT_TRUE(ready->starts_with("READY=1\nSTATUS=serving on ")) << *ready;
  EXPECT_NE(ready->find(":" + std::to_string(daemon->port())), std::string::npos) << *ready;
  EXPECT_NE(ready->find("1 issuers"), std::string::npos) << *ready;
  // READY=1 came after the listeners were up: a client is answered now.
  EXPECT_EQ(ask(pki.good()).cert_status, "good");

  daemon->reload();
  const auto reloading = notify.next();
  ASSERT_TRUE(reloading.has_value()) << daemon->log();
  EXPECT_TRUE(reloading->starts_with("RELOADING=1\nSTATUS=reloading ")) << *reloading;
  const auto reloaded = notify.next();
  ASSERT_TRUE(reloaded.has_value()) << daemon->log();
  EXPECT_TRUE(reloaded->starts_with("READY=1\nSTATUS=reloaded; serving on ")) << *reloaded;

  daemon->rewrite_config("[server]\nthreads = \"many\"\n");
  daemon->reload();
  ASSERT_TRUE(notify.next().value_or("").starts_with("RELOADING=1\n"));
  const auto refused = notify.next();
  ASSERT_TRUE(refused.has_value()) << daemon->log();
  EXPECT_TRUE(refused->starts_with("READY=1\nSTATUS=reload failed, previous config kept: "))
      << *refused;
  EXPECT_NE(refused->find("server.threads"), std::string::npos) << *refused;

  daemon->signal(SIGTERM);
  const auto stopping = notify.next();
  ASSERT_TRUE(stopping.has_value()) << daemon->log();
  EXPECT_EQ(*stopping, "STOPPING=1\nSTATUS=draining (SIGTERM)");
  EXPECT_EQ(daemon->wait_exit(15s), 0);
  daemon.reset();  // exited already: nothing left for TearDown to stop
}

}  // namespace
}  // namespace ocspcache::it
