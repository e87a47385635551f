// Sticky revocation (issue 10): once the real responder said revoked, an
// older good answer for the same CertID is never served again, even after
// the revoked answer left the cache. The stale answer is a correctly signed
// response made before the revocation (response_forge), as a CDN or a
// lagging replica in front of the responder would serve it.
#include <chrono>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "harness/response_forge.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class StickyRevocationTest : public ProxyTest {
 protected:
  double metric(std::string_view name) { return metric_value(metrics(), name).value_or(-1); }
};

TEST_F(StickyRevocationTest, AnOlderGoodAnswerAfterARevocationIsNeverServed) {
  OpensslResponder real;  // index.txt: revoked.pem revoked (keyCompromise)
  FaultServer upstream;
  upstream.forward_to(real.port());
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {upstream.url()}});
  daemon = std::make_unique<Daemon>(options);

  auto revoked = ask(pki.revoked());
  ASSERT_EQ(revoked.cert_status, "revoked") << revoked.out << revoked.err;
  EXPECT_EQ(metric("ocspcache_revocations_remembered"), 1);
  EXPECT_EQ(metric("ocspcache_stale_answers_refused_total"), 0);

  // The revoked answer leaves the cache: a reload without the issuer drops
  // its answers, and the issuer comes back with an empty cache.
  DaemonOptions without = options;
  without.issuers[0].cert = pki.other_ca();
  daemon->rewrite_config(without);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reload_dropped_answers", 1)) << daemon->log();
  daemon->rewrite_config(options);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reloaded", 2)) << daemon->log();
  EXPECT_EQ(metric("ocspcache_cache_entries"), 0);

  // Now the responder serves a good answer from two hours ago, signed by
  // the right delegate: valid in every other respect.
  upstream.reply(forge_response({.leaf = pki.revoked(),
                                 .status = kGood,
                                 .this_update = -std::chrono::hours(2),
                                 .next_update = std::chrono::hours(22)}));
  const size_t before = upstream.request_count();
  auto stale = ask(pki.revoked());
  EXPECT_NE(stale.cert_status, "good") << stale.out << stale.err;
  EXPECT_EQ(stale.responder_error, "trylater") << stale.out << stale.err;
  EXPECT_EQ(upstream.request_count(), before + 1) << "the cache no longer held the revoked answer";
  EXPECT_EQ(metric("ocspcache_stale_answers_refused_total"), 1);
  EXPECT_EQ(daemon->log_count("event=stale_after_revocation"), 1u) << daemon->log();
  auto again = post_for(pki.revoked());
  EXPECT_EQ(response_status_of(again.body), kTryLater);

  // Control: the same forge for a certificate never revoked is served, so
  // the refusal above is the ledger's and not the forge's.
  upstream.reply(forge_response({.leaf = pki.good(),
                                 .status = kGood,
                                 .this_update = -std::chrono::hours(2),
                                 .next_update = std::chrono::hours(22)}));
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
}

}  // namespace
}  // namespace ocspcache::it
