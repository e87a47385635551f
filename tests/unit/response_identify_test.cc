// identify_response on responses signed in-process: the labels it reads
// back must be the ones the upstream path gave the same certificate, or a
// revived certificate would come back as a second, different series.
#include "ocspcache/ocsp/response_identify.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/metrics/cert_tracker.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/cache/memory_cache.h"
#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::make_response;
using testpki::pki;
using testpki::SignSpec;
using testpki::SingleSpec;

SignSpec by_ca() { return {pki().ca.get(), pki().ca_key.get(), {}, 0}; }

IssuerRegistry test_ca_registry() {
  std::vector<Issuer> issuers;
  issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()), std::vector<HttpUrl>{});
  return IssuerRegistry(std::move(issuers));
}

// The label the request path (Fetcher::start) gives this certificate.
std::string request_serial(X509* leaf, X509* issuer) {
  const auto der = testpki::make_request({{leaf, issuer}});
  auto req = decode_request(der);
  EXPECT_TRUE(req.ok());
  return serial_hex(req->ids[0].serial);
}

TEST(ResponseIdentify, NamesIssuerSerialAndStatusOfEachSingle) {
  const int64_t now = testpki::now();
  const auto der = make_response(
      {{.leaf = pki().leaf.get(), .issuer = pki().ca.get()},
       {.leaf = pki().leaf2.get(),
        .issuer = pki().ca.get(),
        .md = EVP_sha256(),
        .status = V_OCSP_CERTSTATUS_REVOKED,
        .revoked_at = now - 7200,
        .this_update = now - 30,
        .next_update = now + 600},
       // Issued by a CA the registry does not know: skipped.
       {.leaf = pki().other_leaf.get(), .issuer = pki().other_ca.get()}},
      by_ca());
  const IssuerRegistry registry = test_ca_registry();
  const auto singles = identify_response(der, registry);
  ASSERT_EQ(singles.size(), 2u);

  EXPECT_EQ(singles[0].issuer, "Test CA");
  // The high-bit serial whose DER INTEGER carries a leading 00.
  EXPECT_EQ(singles[0].serial, "8F3A00112233445566778899AABBCCDDEEFF0011");
  EXPECT_EQ(singles[0].serial, request_serial(pki().leaf.get(), pki().ca.get()));
  EXPECT_EQ(singles[0].single.status, CertStatus::kGood);
  EXPECT_GT(singles[0].produced_at, now - 60);
  EXPECT_LE(singles[0].produced_at, testpki::now());

  EXPECT_EQ(singles[1].issuer, "Test CA");
  EXPECT_EQ(singles[1].serial, "1002");
  EXPECT_EQ(singles[1].serial, request_serial(pki().leaf2.get(), pki().ca.get()));
  EXPECT_EQ(singles[1].single.status, CertStatus::kRevoked);
  EXPECT_EQ(singles[1].single.revoked_at, now - 7200);
  EXPECT_EQ(singles[1].single.this_update, now - 30);
  EXPECT_EQ(singles[1].single.next_update, now + 600);
}

TEST(ResponseIdentify, NothingFromWhatIsNotASuccessfulBasicResponse) {
  const IssuerRegistry registry = test_ca_registry();
  const std::vector<uint8_t> junk{0x30, 0x03, 0x0a, 0x01, 0x00};
  EXPECT_TRUE(identify_response(junk, registry).empty());
  EXPECT_TRUE(identify_response(error_response_der(ResponseCode::kTryLater), registry).empty());
  EXPECT_TRUE(identify_response({}, registry).empty());
  const auto der = make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
                                 by_ca());
  EXPECT_TRUE(identify_response(der, IssuerRegistry()).empty()) << "no issuer configured";
}

// End to end with the real parser: a certificate dropped for idleness,
// answered from the cache again, is back at the next snapshot under the
// same labels.
TEST(ResponseIdentify, RevivesACertificateFromItsCachedResponse) {
  const int64_t now = testpki::now();
  const auto der = make_response({{.leaf = pki().leaf2.get(),
                                   .issuer = pki().ca.get(),
                                   .status = V_OCSP_CERTSTATUS_REVOKED,
                                   .revoked_at = now - 7200,
                                   .next_update = now + 86'400}},
                                 by_ca());
  auto registry = std::make_shared<const IssuerRegistry>(test_ca_registry());
  MemoryCache cache(1 << 20, 4);
  CertTracker tracker({.idle_seconds = 60, .max_series = 10});
  tracker.set_revival(&cache, [registry](const CachedResponse& e) {
    return identify_response(e.der(), *registry);
  });

  CachedResponse::Facts facts;
  facts.this_update = now - 60;
  facts.next_update = now + 86'400;
  facts.status = CertStatus::kRevoked;
  CacheKey key;
  key.bytes[0] = 1;
  EntryPtr entry = CachedResponse::make(key, der, facts);
  SingleStatus single{.status = CertStatus::kRevoked,
                      .this_update = now - 60,
                      .next_update = now + 86'400,
                      .revoked_at = now - 7200};
  tracker.answered("Test CA", "1002", single, now, now, entry);
  ASSERT_TRUE(cache.insert(entry));
  ASSERT_EQ(tracker.snapshot(now).size(), 1u);
  EXPECT_TRUE(tracker.snapshot(now + 61).empty()) << "idle";

  entry->mark_asked(now + 100);
  const auto rows = tracker.snapshot(now + 101);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].issuer(), "Test CA");
  EXPECT_EQ(rows[0].serial(), "1002");
  EXPECT_EQ(rows[0].status, TrackedStatus::kRevoked);
  EXPECT_EQ(rows[0].revoked_at, now - 7200);
  EXPECT_EQ(rows[0].last_asked, now + 100);
}

}  // namespace
}  // namespace ocspcache::ocsp
