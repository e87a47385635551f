// The front end's protective limits (docs/configuration.md [server]):
// read_timeout for a request that never completes (408, then close),
// idle_timeout for keep-alive connections nobody uses, neither cutting off a
// request that is waiting upstream, and max_connections (beyond it a new
// connection is closed at once and counted).
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "harness/raw_connection.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class FrontendLimitsTest : public ProxyTest {
 protected:
  void SetUp() override {
    responder = std::make_unique<OpensslResponder>();
    upstream = std::make_unique<FaultServer>();
    upstream->forward_to(responder->port());
  }
  void start(const std::string& server_toml, std::string upstream_timeout = "2s") {
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {upstream->url()}});
    options.upstream_timeout = std::move(upstream_timeout);
    options.server_toml = server_toml;
    daemon = std::make_unique<Daemon>(std::move(options));
  }
  std::string get_path(const std::filesystem::path& cert) {
    return "/" + url_escape(base64(make_request_der(cert, pki.intermediate())));
  }
  void expect_status(const HttpResponse& r, const std::filesystem::path& cert, int want,
                     const std::string& what) {
    EXPECT_EQ(r.status, 200) << what << ": " << r.error;
    auto parsed = parse(r, cert);
    EXPECT_TRUE(parsed.has_single) << what << ": " << parsed.error;
    EXPECT_EQ(parsed.cert_status, want) << what;
  }
  double metric(const std::string& name) { return metric_sum(metrics(), name); }

  std::unique_ptr<OpensslResponder> responder;
  std::unique_ptr<FaultServer> upstream;
};

// The sweep runs once a second and read_timeout counts from the request's
// first byte: 408 and close within read_timeout + 1 s (+ scheduling slack).
TEST_F(FrontendLimitsTest, UnfinishedHeadersGet408AndAClose) {
  start("read_timeout = \"1s\"\n");
  for (const char* partial : {"GET /abc HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n0123"}) {
    RawConnection conn(daemon->port());
    auto started = Clock::now();
    ASSERT_TRUE(conn.send(partial));
    auto r = conn.read_response();
    auto elapsed = ms_since(started);
    EXPECT_EQ(r.status, 408) << partial << "\n" << r.error << r.raw;
    EXPECT_EQ(r.header("connection"), "close") << partial;
    EXPECT_TRUE(conn.wait_closed(3s).closed) << partial;
    EXPECT_LT(elapsed, 3000) << partial;
  }
  // The daemon is unaffected.
  HttpClient http(daemon->port());
  expect_status(http.get(get_path(pki.good())), pki.good(), kGood, "after the 408s");
}

// An idle keep-alive connection, used once or never, is closed without a
// word (no 408: no request had started) within idle_timeout + 1 s sweep.
TEST_F(FrontendLimitsTest, IdleKeepAliveConnectionsAreClosed) {
  start("idle_timeout = \"1s\"\n");
  RawConnection used(daemon->port());
  RawConnection unused(daemon->port());
  ASSERT_TRUE(used.connected() && unused.connected());
  auto started = Clock::now();
  ASSERT_TRUE(used.send(get_request(get_path(pki.good()))));
  expect_status(used.read_response(), pki.good(), kGood, "before idling");
  auto used_closed = used.wait_closed(5s);
  auto unused_closed = unused.wait_closed(5s);
  auto elapsed = ms_since(started);
  EXPECT_TRUE(used_closed.closed);
  EXPECT_EQ(used_closed.data, "");
  EXPECT_TRUE(unused_closed.closed);
  EXPECT_EQ(unused_closed.data, "");
  EXPECT_LT(elapsed, 3500);
  EXPECT_TRUE(wait_until([&] { return metric("ocspcache_connections_open") == 0; }, 5s))
      << metrics();
}

// A request waiting on a slow upstream (2.5 s, within upstream.timeout 5 s)
// outlasts both read_timeout and idle_timeout (1 s each): it is neither 408
// nor cut off, and the keep-alive connection still works after it.
TEST_F(FrontendLimitsTest, TimeoutsDoNotCutOffARequestWaitingUpstream) {
  start("read_timeout = \"1s\"\nidle_timeout = \"1s\"\n", "5s");
  upstream->forward_to(responder->port(), 2500ms);
  RawConnection get_conn(daemon->port(), 15s);
  RawConnection post_conn(daemon->port(), 15s);
  auto started = Clock::now();
  ASSERT_TRUE(get_conn.send(get_request(get_path(pki.revoked()))));
  ASSERT_TRUE(post_conn.send(post_request(make_request_der(pki.good(), pki.intermediate()))));
  auto revoked = get_conn.read_response();
  auto good = post_conn.read_response();
  EXPECT_GE(ms_since(started), 2400);
  expect_status(revoked, pki.revoked(), kRevoked, "slow GET");
  expect_status(good, pki.good(), kGood, "slow POST");
  // Fresh activity: the connection is usable again at once.
  ASSERT_TRUE(get_conn.send(get_request(get_path(pki.revoked()))));
  expect_status(get_conn.read_response(), pki.revoked(), kRevoked, "hit after the wait");
}

// server.max_connections = 5: the sixth connection is accepted by the kernel
// and closed at once by the daemon, no answer; the five keep working; after
// two close, new connections are served again. Rejections are counted.
TEST_F(FrontendLimitsTest, MaxConnectionsRejectsTheSixthAndRecovers) {
  start("max_connections = 5\n");
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 5; ++i) {
    conns.push_back(std::make_unique<RawConnection>(daemon->port()));
    ASSERT_TRUE(conns.back()->connected());
    // An answer proves the daemon accepted (and counts) this one.
    ASSERT_TRUE(conns.back()->send(get_request(get_path(pki.good()))));
    expect_status(conns.back()->read_response(), pki.good(), kGood, "conn " + std::to_string(i));
  }
  EXPECT_EQ(metric("ocspcache_connections_open"), 5);

  RawConnection sixth(daemon->port());
  ASSERT_TRUE(sixth.connected());  // the kernel's accept queue took it
  auto rejected = sixth.wait_closed(5s);
  EXPECT_TRUE(rejected.closed) << "the sixth connection was not closed";
  EXPECT_EQ(rejected.data, "");
  EXPECT_EQ(metric("ocspcache_connections_rejected_total"), 1) << metrics();

  for (size_t i = 0; i < conns.size(); ++i) {
    ASSERT_TRUE(conns[i]->send(get_request(get_path(pki.revoked()))));
    expect_status(conns[i]->read_response(), pki.revoked(), kRevoked,
                  "conn " + std::to_string(i) + " again");
  }

  conns[0]->close();
  conns[1]->close();
  ASSERT_TRUE(wait_until([&] { return metric("ocspcache_connections_open") == 3; }, 5s))
      << metrics();
  for (int i = 0; i < 2; ++i) {
    auto again = std::make_unique<RawConnection>(daemon->port());
    ASSERT_TRUE(again->send(get_request(get_path(pki.good()))));
    expect_status(again->read_response(), pki.good(), kGood, "new conn " + std::to_string(i));
    conns.push_back(std::move(again));
  }
  // Full again: the next one is rejected too.
  RawConnection eighth(daemon->port());
  EXPECT_TRUE(eighth.wait_closed(5s).closed);
  EXPECT_EQ(metric("ocspcache_connections_rejected_total"), 2) << metrics();
}

// utime + stime of a process, in clock ticks.
long long cpu_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) { stime = std::stoll(f); break; }
  }
  return utime + stime;
}

size_t count_lines(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Out of descriptors, the level-triggered listener fired again at once: a
// worker at 100% CPU writing a log line per try. Now accepting pauses, the
// log is rate-limited, and clients are served once descriptors come free.
TEST_F(FrontendLimitsTest, OutOfDescriptorsPausesAcceptingInsteadOfSpinning) {
  start("");
  const int pid = daemon->pid();
  // Start-up said what the configuration needs (10,000 connections and more).
  const auto status = HttpClient(daemon->admin_port()).get("/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"fileDescriptors\":{\"limit\":"), std::string::npos) << status.body;
  EXPECT_NE(daemon->log().find("needed="), std::string::npos) << daemon->log();
  // As `ulimit -n 256` would leave it (the daemon raised its own soft limit
  // to the hard one at start; this lowers both under it).
  ASSERT_EQ(run_command({"prlimit", "--pid", std::to_string(pid), "--nofile=256:256"}).exit_code, 0);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 400; ++i) conns.push_back(std::make_unique<RawConnection>(daemon->port()));
  // Some of them are accepted, the rest wait in the backlog: the limit is hit.
  std::this_thread::sleep_for(500ms);
  const long long before = cpu_ticks(pid);
  std::this_thread::sleep_for(2s);
  const long long used = cpu_ticks(pid) - before;
  const long long ticks_per_s = sysconf(_SC_CLK_TCK);
  EXPECT_LE(used, ticks_per_s * 2 / 10) << "more than 10% of a CPU while at the descriptor limit";
  const std::string log = daemon->log();
  EXPECT_GE(count_lines(log, "event=accept_paused"), 1u) << log.substr(0, 2000);
  EXPECT_LE(count_lines(log, "event=accept_paused"), 3u) << "rate-limited";

  conns.clear();  // descriptors come free
  HttpClient http(daemon->port());
  const auto start_at = Clock::now();
  expect_status(http.get(get_path(pki.good())), pki.good(), kGood, "after the clients left");
  EXPECT_LT(ms_since(start_at), 2000);
  EXPECT_GT(metric("ocspcache_accept_paused_total"), 0) << metrics();
}

}  // namespace
}  // namespace ocspcache::it
