// The miss path between the front end and the responders, with the real
// store, writer, metrics and fetcher and a fake upstream client: one fetch
// per CertID however many wait, the answer stored and seen by the metrics,
// failures told to the tracker. No sockets, no sleeps.
#include "ocspcache/http/miss_resolver.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_upstream.h"
#include "ocspcache/cache/memory_store.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testing::FakeUpstreamClient;
using testpki::pki;

class MissResolverTest : public ::testing::Test {
 protected:
  MissResolverTest() {
    writer.subscribe(metrics.certs());
    metrics.certs().watch(&store);
    std::vector<ocsp::Issuer> issuers;
    issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()),
                         std::vector<HttpUrl>{*parse_http_url("http://r1/")});
    routes = std::make_shared<const RouteTable>(
        std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers)), responders);
    request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
    decoded = *ocsp::decode_request(request);
    key = ocsp::make_cache_key(decoded);
    current.store(routes);
  }

  // What a reload installs: a table whose one issuer has `cert`.
  std::shared_ptr<const RouteTable> table_with(const std::string& name, X509* cert) {
    std::vector<ocsp::Issuer> issuers;
    issuers.emplace_back(name, testpki::up_ref(cert), std::vector<HttpUrl>{*parse_http_url("http://r1/")});
    return std::make_shared<const RouteTable>(
        std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers)), responders);
  }

  std::vector<uint8_t> good_answer() {
    return testpki::make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
                                  {pki().ca.get(), pki().ca_key.get(), {}, 0});
  }

  // Asks as a client would; the outcome is appended to `outcomes`.
  void ask() {
    const Route* route = routes->find(decoded);
    ASSERT_NE(route, nullptr);
    resolver.resolve(key, decoded, routes, *route, /*tracked=*/true,
                     [this](const FetchOutcome& o) { outcomes.push_back(o); });
  }

  ManualClock clock{testpki::now()};
  MemoryStore store{1 << 20, 4};
  CacheWriter writer{store};
  Metrics metrics;
  Flights flights;
  ResponderSet responders;
  FakeUpstreamClient client;
  TimerQueue timers{clock};
  Fetcher fetcher{client, clock, timers, FetcherOptions{}};
  NegativeCache negative{Millis{30'000}, 0.0};
  std::atomic<std::shared_ptr<const RouteTable>> current;  // Services::routes
  MissResolver resolver{{store, writer, flights, metrics, clock, negative, &current}, fetcher};
  std::shared_ptr<const RouteTable> routes;
  std::vector<uint8_t> request;
  ocsp::DecodedRequest decoded;
  ocsp::CacheKey key;
  std::vector<FetchOutcome> outcomes;
};

TEST_F(MissResolverTest, OneFetchForEveryoneWaitingThenStoredAndTracked) {
  ask();
  ask();
  ask();
  ASSERT_EQ(client.calls.size(), 1u) << "single flight: one upstream request";
  EXPECT_TRUE(outcomes.empty());
  const auto der = testpki::make_response(
      {{.leaf = pki().leaf.get(), .issuer = pki().ca.get(), .status = V_OCSP_CERTSTATUS_REVOKED,
        .revoked_at = clock.unix_seconds() - 100}},
      {pki().ca.get(), pki().ca_key.get(), {}, 0});
  client.answer(0, FakeUpstreamClient::ok(der));
  ASSERT_EQ(outcomes.size(), 3u);
  for (const auto& o : outcomes) {
    ASSERT_TRUE(o.entry);
    EXPECT_EQ(o.entry->status(), ocsp::CertStatus::kRevoked);
  }
  EXPECT_EQ(store.peek(key, clock.unix_seconds()), outcomes[0].entry) << "the writer stored it";
  const auto rows = metrics.certs().snapshot(clock.unix_seconds());
  ASSERT_EQ(rows.size(), 1u) << "the tracker heard of it from the writer";
  EXPECT_EQ(rows[0].issuer(), "Test CA");
  EXPECT_EQ(rows[0].serial(), "8F3A00112233445566778899AABBCCDDEEFF0011");
  EXPECT_EQ(rows[0].status, TrackedStatus::kRevoked);
  const std::string text = metrics.render(clock.unix_seconds());
  EXPECT_NE(text.find(R"(ocspcache_upstream_requests_total{outcome="revoked",responder="http://r1/"} 1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(flights.in_flight(), 0u);

  ask();  // the next client after the flight: the store answers, no fetch
  EXPECT_EQ(client.calls.size(), 1u);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[3].entry, outcomes[0].entry);
}

TEST_F(MissResolverTest, AnAnswerFetchedAcrossAReloadThatReplacedItsIssuerIsNotStored) {
  ask();
  ASSERT_EQ(client.calls.size(), 1u);
  // The reload swaps the issuer's certificate while the fetch is out; it
  // has dropped the old certificate's answers already.
  current.store(table_with("Test CA", pki().signer.get()));
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].entry);
  EXPECT_EQ(outcomes[0].code, ocsp::ResponseCode::kTryLater);
  EXPECT_EQ(store.entries(), 0u) << "validated against a certificate no longer trusted";
  EXPECT_EQ(flights.in_flight(), 0u);
}

TEST_F(MissResolverTest, AnAnswerFetchedAcrossAReloadThatKeptItsIssuerCertificateIsStored) {
  ask();
  // Renamed, same certificate: the answer was validated against the same key.
  current.store(table_with("Test CA renamed", pki().ca.get()));
  client.answer(0, FakeUpstreamClient::ok(good_answer()));
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].entry);
  EXPECT_EQ(store.entries(), 1u);
}

TEST_F(MissResolverTest, EveryResponderFailingIsTryLaterAndUnavailable) {
  ask();
  ask();
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kTimeout));
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes) {
    EXPECT_FALSE(o.entry);
    EXPECT_EQ(o.code, ocsp::ResponseCode::kTryLater);
  }
  EXPECT_EQ(store.entries(), 0u);
  const auto rows = metrics.certs().snapshot(clock.unix_seconds());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, TrackedStatus::kUnavailable);
  EXPECT_EQ(rows[0].last_error, "http://r1/: timeout (timeout)");
  const std::string text = metrics.render(clock.unix_seconds());
  EXPECT_NE(text.find(R"(ocspcache_upstream_requests_total{outcome="timeout",responder="http://r1/"} 1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(flights.in_flight(), 0u);
  EXPECT_EQ(store.entries(), 0u) << "a failure is never cached as an answer";
}

TEST_F(MissResolverTest, AFailedFetchIsRememberedForNegativeTtlThenAskedAgain) {
  ask();
  client.answer(0, FakeUpstreamClient::failed(TransportStatus::kConnectError));
  ASSERT_EQ(outcomes.size(), 1u);
  clock.advance_ms(29'000);
  ask();
  EXPECT_EQ(client.calls.size(), 1u) << "within upstream.negative_ttl: no responder is asked";
  ASSERT_EQ(outcomes.size(), 2u) << "and the client is answered at once";
  EXPECT_FALSE(outcomes[1].entry);
  EXPECT_EQ(outcomes[1].code, ocsp::ResponseCode::kTryLater);
  EXPECT_EQ(flights.in_flight(), 0u);
  const std::string text = metrics.render(clock.unix_seconds());
  EXPECT_NE(text.find("ocspcache_upstream_failures_remembered_total 1"), std::string::npos) << text;
  clock.advance_ms(1'000);
  ask();
  ASSERT_EQ(client.calls.size(), 2u) << "once it has passed, the next miss fetches again";
  client.answer(1, FakeUpstreamClient::ok(testpki::make_response(
                       {{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
                       {pki().ca.get(), pki().ca_key.get(), {}, 0})));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[2].entry);
}

}  // namespace
}  // namespace ocspcache
