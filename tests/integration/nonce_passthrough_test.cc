// upstream.nonce = "passthrough" with the real `openssl ocsp` client (which
// sends a nonce by default) and the real responder: a nonce request gets the
// responder's own answer with its nonce, uncached; requests without a nonce
// are cached as before, and a nonce answer never replaces the cached one.
#include <string>

#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

constexpr std::string_view kNoNonce = "WARNING: no nonce in response";

class NoncePassthroughTest : public ProxyTest {
 protected:
  void SetUp() override {
    responder = std::make_unique<OpensslResponder>();
    DaemonOptions options;
    options.issuers.push_back({.cert = pki.intermediate(), .responders = {responder->url()}});
    options.upstream_toml = "nonce = \"passthrough\"\n";
    daemon = std::make_unique<Daemon>(std::move(options));
  }
  double asked() {
    return metric_sum(metrics(), "ocspcache_upstream_requests_total",
                      {{"responder", responder->url()}});
  }
  std::unique_ptr<OpensslResponder> responder;
};

TEST_F(NoncePassthroughTest, NonceRequestsGetTheRespondersOwnAnswerUncached) {
  // Without a nonce: cached as usual.
  auto plain = post_for(pki.good());
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(parse(plain, pki.good()).cert_status, kGood);
  EXPECT_EQ(asked(), 1);

  for (int i = 0; i < 2; ++i) {
    auto r = ask(pki.good(), {.nonce = true});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
    EXPECT_TRUE(r.verify_ok) << r.err;
    EXPECT_EQ((r.out + r.err).find(kNoNonce), std::string::npos) << "the nonce came back\n" << r.err;
  }
  EXPECT_EQ(asked(), 3) << "each nonce request is its own exchange";

  // The cached answer is still the first one, not a client's nonce answer.
  auto again = post_for(pki.good());
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body, plain.body);
  EXPECT_NE(again.header("cache-control").find("max-age="), std::string::npos);
  EXPECT_EQ(asked(), 3);

  // Responder gone: a nonce request falls back to the valid cached answer.
  responder->stop();
  auto fallback = ask(pki.good(), {.nonce = true});
  EXPECT_EQ(fallback.cert_status, "good") << fallback.out << fallback.err;
  EXPECT_NE((fallback.out + fallback.err).find(kNoNonce), std::string::npos) << fallback.err;
}

TEST_F(NoncePassthroughTest, NonceAnswersAreMarkedNoStore) {
  auto r = post(make_request_der(pki.revoked(), pki.intermediate(), false, /*nonce=*/true));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(parse(r, pki.revoked()).cert_status, kRevoked);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  // Nothing was cached by it: a plain request asks the responder.
  auto plain = post_for(pki.revoked());
  EXPECT_EQ(parse(plain, pki.revoked()).cert_status, kRevoked);
  EXPECT_EQ(asked(), 2);
}

}  // namespace
}  // namespace ocspcache::it
