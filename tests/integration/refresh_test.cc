// Refresh ahead (issue 12), end to end: a real `openssl ocsp` responder
// that issues one-minute answers (-nmin 1), and ocspcache replacing the
// cached answer before its nextUpdate with no client asking; the next
// client gets the newer answer as a hit, and the responder was asked once
// more, not once per client.
#include <chrono>
#include <thread>

#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

using namespace std::chrono_literals;

class RefreshTest : public ProxyTest {
 protected:
  double metric(std::string_view name, const std::map<std::string, std::string>& labels = {}) {
    return metric_sum(metrics(), name, labels);
  }
  std::string get_path(const std::filesystem::path& cert) {
    return "/" + url_escape(base64(make_request_der(cert, pki.intermediate())));
  }
};

TEST_F(RefreshTest, AnAnswerIsReplacedBeforeItsNextUpdateWithNoClientAsking) {
  OpensslResponder responder(ResponderOptions{.nmin = 1});
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  daemon = std::make_unique<Daemon>(options);
  HttpClient http(daemon->port());

  const auto first = parse(http.get(get_path(pki.good())), pki.good());
  ASSERT_TRUE(first.has_single) << first.error;
  ASSERT_EQ(first.next_update - first.this_update, 60) << "a one-minute answer";
  EXPECT_EQ(metric("ocspcache_refresh_scheduled"), 1);
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1);

  // Half-way (30 s, up to 6 s earlier by jitter), never past nextUpdate - 6 s.
  ASSERT_TRUE(wait_until(
      [&] { return metric("ocspcache_refreshes_total", {{"result", "refreshed"}}) >= 1; }, 50s,
      250ms))
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
