// Every way a responder can misbehave, against one set of promises: the bad
// answer is not cached, the valid answer already cached is still served,
// the failure is counted under its outcome, and the client gets a valid
// answer from the next responder (a real `openssl ocsp`) within
// upstream.deadline. One daemon per fault; the faulty responder first
// relays to the real one (so a valid answer is cached through it), then
// turns bad.
#include <chrono>
#include <functional>
#include <string>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/response_forge.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using Clock = std::chrono::steady_clock;

struct Fault {
  const char* name;
  const char* outcome;  // the `outcome` label it is counted under
  std::function<void(FaultServer&, uint16_t good_port)> apply;
};

// The FaultServer relays to the real responder after this: well past
// upstream.timeout (1 s here).
constexpr auto kSlow = 2500ms;

std::vector<Fault> faults() {
  return {
      {"slow", "timeout", [](FaultServer& f, uint16_t good) { f.forward_to(good, kSlow); }},
      {"closing_early", "connect_error", [](FaultServer& f, uint16_t) { f.close_immediately(); }},
      {"http_500", "http_error", [](FaultServer& f, uint16_t) { f.reply_status(500); }},
      {"http_503_retry_after", "http_error",
       [](FaultServer& f, uint16_t) {
         f.add_header("Retry-After: 120");
         f.reply_status(503);
       }},
      {"try_later", "try_later",
       [](FaultServer& f, uint16_t) { f.reply(error_response(kTryLater)); }},
      {"garbage", "invalid", [](FaultServer& f, uint16_t) { f.reply("this is not DER at all"); }},
      {"oversized", "http_error",
       [](FaultServer& f, uint16_t) { f.reply(std::string(200 * 1024, '\x30')); }},
      {"another_serial", "invalid",
       [](FaultServer& f, uint16_t) {
         f.reply(forge_response({.leaf = Pki::get().unknown()}));
       }},
      {"expired", "invalid",
       [](FaultServer& f, uint16_t) {
         f.reply(forge_response(
             {.this_update = -std::chrono::hours(48), .next_update = -std::chrono::hours(1)}));
       }},
      {"future_this_update", "invalid",
       [](FaultServer& f, uint16_t) {
         f.reply(forge_response(
             {.this_update = std::chrono::hours(2), .next_update = std::chrono::hours(26)}));
       }},
      {"unrelated_signer", "invalid",
       [](FaultServer& f, uint16_t) { f.reply(forge_response(ForgeSpec{}.wrong_signer())); }},
      {"no_next_update", "invalid",
       [](FaultServer& f, uint16_t) { f.reply(forge_response({.omit_next_update = true})); }},
  };
}

double counter(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  return at == std::string::npos ? 0 : std::stod(metrics.substr(at + series.size() + 2));
}

double upstream_total(const std::string& metrics) {
  double sum = 0;
  for (size_t at = metrics.find("\nocspcache_upstream_requests_total{"); at != std::string::npos;
       at = metrics.find("\nocspcache_upstream_requests_total{", at + 1)) {
    const size_t end = metrics.find('\n', at + 1);
    const std::string line = metrics.substr(at + 1, end - at - 1);
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class UpstreamFaultMatrix : public ProxyTest, public ::testing::WithParamInterface<Fault> {};

TEST_P(UpstreamFaultMatrix, NotCachedPreviousAnswerServedCountedFailoverWithinTheDeadline) {
  const Fault& fault = GetParam();
  OpensslResponder good;
  FaultServer faulty;
  faulty.forward_to(good.port());
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {faulty.url(), good.url()}});
  options.upstream_timeout = "1s";
  options.upstream_toml = "deadline = \"3s\"\nmax_response = \"64KiB\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));

  // A valid answer, fetched through the responder about to go bad, cached.
  auto before = ask(pki.revoked());
  ASSERT_EQ(before.cert_status, "revoked") << before.out << before.err;
  ASSERT_EQ(faulty.request_count(), 1u);

  fault.apply(faulty, good.port());
  const auto started = Clock::now();
  HttpClient http(daemon->port(), false, 10s);
  auto r = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  const auto took = Clock::now() - started;
  ASSERT_EQ(r.status, 200) << r.error;
  // Failover: the real responder's answer, valid and for the asked CertID.
  const ParsedResponse parsed = parse(r, pki.good());
  EXPECT_EQ(parsed.response_status, kSuccessful) << parsed.error;
  EXPECT_TRUE(parsed.has_single && parsed.signature_ok) << parsed.error;
  EXPECT_EQ(parsed.cert_status, kGood);
  EXPECT_LT(took, 3s + 1500ms) << "upstream.deadline plus a margin for a loaded machine: "
                               << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                               << " ms";
  EXPECT_EQ(faulty.request_count(), 2u) << "the faulty responder was asked once, first";

  // Counted under its outcome, for the faulty responder.
  const std::string m = metrics();
  EXPECT_EQ(counter(m, "ocspcache_upstream_requests_total{outcome=\"" + std::string(fault.outcome) +
                           "\",responder=\"" + faulty.url() + "\"}"),
            1)
      << m;
  // Not cached: the answer for the CertID is the real one, served again
  // from the cache without asking anyone.
  const double asked = upstream_total(m);
  auto again = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  EXPECT_EQ(parse(again, pki.good()).cert_status, kGood);
  // The valid answer cached before the fault is still served, from the cache.
  auto previous = ask(pki.revoked());
  EXPECT_EQ(previous.cert_status, "revoked") << previous.out << previous.err;
  EXPECT_EQ(upstream_total(metrics()), asked) << "both answered from the cache";
}

INSTANTIATE_TEST_SUITE_P(Faults, UpstreamFaultMatrix, ::testing::ValuesIn(faults()),
                         [](const ::testing::TestParamInfo<Fault>& p) {
                           return std::string(p.param.name);
                         });

// A 503's Retry-After holds the responder back: the next misses go
// straight to the next responder, and /status says for how long.
TEST_F(ProxyTest, RetryAfterHoldsTheResponderBack) {
  OpensslResponder good;
  FaultServer busy;
  busy.add_header("Retry-After: 120");
  busy.reply_status(503);
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {busy.url(), good.url()}});
  options.upstream_toml = "breaker_max_backoff = \"10m\"\n";
  daemon = std::make_unique<Daemon>(std::move(options));
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(busy.request_count(), 1u);
  EXPECT_EQ(ask(pki.revoked()).cert_status, "revoked");
  EXPECT_EQ(ask(pki.unknown()).cert_status, "unknown");
  EXPECT_EQ(busy.request_count(), 1u) << "held back by Retry-After: not asked again";
  HttpClient admin(daemon->admin_port());
  const std::string status = admin.get("/status").body;
  EXPECT_NE(status.find("\"retryAfterSeconds\":1"), std::string::npos) << status;
  EXPECT_NE(admin.get("/readyz").body.find("Retry-After 1"), std::string::npos);
}

}  // namespace
}  // namespace ocspcache::it
