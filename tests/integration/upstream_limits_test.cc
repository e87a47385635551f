// Bounded fan-out and hedging against real components: a flood of distinct
// CertIDs through a real `openssl ocsp` responder behind a FaultServer that
// counts the connections the daemon opens, and a slow responder hedged by a
// fast one.
#include <fstream>
#include <memory>
#include <sstream>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/raw_connection.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using Clock = std::chrono::steady_clock;

// The daemon's resident memory, from /proc (kB).
long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A counter's value in the /metrics text (-1 when absent).
double sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class UpstreamLimitsTest : public ProxyTest {};

// 5,000 distinct uncached CertIDs at once: the responder never sees more
// connections than upstream.max_fetches_per_responder, every client gets an
// answer (a valid one or tryLater, never a hang or a reset), what the queue
// cannot hold is shed and counted, memory stays bounded, and the daemon
// serves normally afterwards.
TEST_F(UpstreamLimitsTest, AFloodOfDistinctCertIdsNeverExceedsTheLimitsAndEveryClientIsAnswered) {
  constexpr size_t kClients = 5000;
  constexpr size_t kPerResponder = 4;
  OpensslResponder responder;
  FaultServer counter;  // relays to the real responder, counting connections
  counter.forward_to(responder.port());
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {counter.url()}});
  options.upstream_toml = "max_fetches_per_responder = " + std::to_string(kPerResponder) +
                          "\nqueue = 500\ndeadline = \"3s\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  const long rss_before = rss_kb(daemon->pid());

  const auto requests = make_requests_for_serials(pki.intermediate(), 0x7000'0000, kClients);
  std::vector<std::unique_ptr<RawConnection>> conns;
  conns.reserve(kClients);
  const auto started = Clock::now();
  for (const std::string& der : requests) {
    auto c = std::make_unique<RawConnection>(daemon->port(), 20s);
    ASSERT_TRUE(c->connected()) << "client " << conns.size();
    std::ostringstream req;
    req << "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
        << "Content-Length: " << der.size() << "\r\n\r\n"
        << der;
    ASSERT_TRUE(c->send(req.str()));
    conns.push_back(std::move(c));
  }
  size_t answered = 0, try_later = 0;
  for (size_t i = 0; i < conns.size(); ++i) {
    HttpResponse r = conns[i]->read_response();
    ASSERT_EQ(r.status, 200) << "client " << i << ": " << r.error;
    const int status = response_status_of(r.body);
    ASSERT_TRUE(status == kSuccessful || status == kTryLater) << "client " << i << ": " << status;
    (status == kSuccessful ? answered : try_later)++;
  }
  const auto took = Clock::now() - started;
  conns.clear();

  EXPECT_LE(counter.max_in_progress(), kPerResponder) << "the responder saw more at once";
  EXPECT_GT(answered, 0u);
  EXPECT_GT(try_later, 0u) << "5,000 at once through 4 slots and a queue of 500: some shed";
  EXPECT_EQ(answered + try_later, kClients);
  EXPECT_LE(counter.request_count(), answered + try_later);
  const std::string m = metrics();
  const double shed = sample(m, "ocspcache_upstream_shed_total{reason=\"queue_full\"}") +
                      sample(m, "ocspcache_upstream_shed_total{reason=\"queue_wait\"}");
  EXPECT_GT(shed, 0) << m;
  EXPECT_LE(shed, static_cast<double>(try_later));
  EXPECT_NE(m.find("ocspcache_upstream_connections_opened_total{origin="), std::string::npos) << m;
  EXPECT_EQ(sample(m, "ocspcache_upstream_failures_remembered_total"), 0)
      << "load is not remembered against the CertIDs";
  const long rss_after = rss_kb(daemon->pid());
  EXPECT_LT(rss_after - rss_before, 200 * 1024)
      << "RSS grew from " << rss_before << " kB to " << rss_after << " kB";
  std::cerr << "flood: " << answered << " answered, " << try_later << " tryLater, "
            << counter.request_count() << " upstream requests, max "
            << counter.max_in_progress() << " exchanges at once, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, RSS "
            << rss_before << " -> " << rss_after << " kB\n";

  // The shed CertIDs were not remembered: asked again, they are fetched.
  HttpClient http(daemon->port());
  auto again = http.post("/", requests.back());
  ASSERT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(response_status_of(again.body), kSuccessful);
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
}

// A responder slower than upstream.hedge_after gets company: the next one
// is asked too and its answer ends the miss long before the slow one's.
TEST_F(UpstreamLimitsTest, ASlowResponderIsHedgedByTheNext) {
  OpensslResponder fast;
  FaultServer slow;
  slow.forward_to(fast.port(), 1500ms);
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {slow.url(), fast.url()}});
  options.upstream_timeout = "5s";
  options.upstream_toml = "hedge_after = \"100ms\"\ndeadline = \"5s\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  const auto started = Clock::now();
  auto r = ask(pki.good());
  const auto took = Clock::now() - started;
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_LT(took, 1200ms) << "the slow responder's answer was not waited for";
  EXPECT_EQ(slow.request_count(), 1u) << "the slow one was asked first";
  const std::string m = metrics();
  EXPECT_EQ(sample(m, "ocspcache_upstream_hedges_total"), 1) << m;
  // The losing exchange still ends and is counted once it does.
  ASSERT_TRUE(slow.wait_for_requests(1, 1s));
  std::this_thread::sleep_for(1500ms);
  EXPECT_NE(metrics().find("ocspcache_upstream_requests_total{outcome=\"good\",responder=\"" +
                           slow.url() + "\"} 1"),
            std::string::npos)
      << metrics();
}

// Without hedging the same slow responder costs the client its whole delay.
TEST_F(UpstreamLimitsTest, WithoutHedgingTheSlowResponderIsWaitedFor) {
  OpensslResponder fast;
  FaultServer slow;
  slow.forward_to(fast.port(), 800ms);
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {slow.url(), fast.url()}});
  options.upstream_timeout = "5s";
  options.upstream_toml = "deadline = \"5s\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  const auto started = Clock::now();
  auto r = ask(pki.good());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_GE(Clock::now() - started, 800ms);
  EXPECT_EQ(sample(metrics(), "ocspcache_upstream_hedges_total"), 0);
}

}  // namespace
}  // namespace ocspcache::it
