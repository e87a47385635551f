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
#include "ocspcache/cache/memory_store.h"
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

// The label the request path (MissResolver) gives this certificate.
std::string request_serial(X509* leaf, X509* issuer) {
  const auto der = testpki::make_request({{leaf, issuer}});
  auto req = decode_request(der);
  EXPECT_TRUE(req.ok());
  return serial_hex(req->ids[0].serial);
}

// The cache key a request for these certificates gets.
CacheKey key_of(const std::vector<testpki::ReqCert>& certs) {
  const auto der = testpki::make_request(certs);
  auto req = decode_request(der);
  EXPECT_TRUE(req.ok());
  return make_cache_key(*req);
}

TEST(ResponseIdentify, OnlyTheSingleResponseTheKeyNames) {
  const int64_t now = testpki::now();
  const auto der = make_response(
      {{.leaf = pki().leaf.get(), .issuer = pki().ca.get()},
       {.leaf = pki().leaf2.get(),
        .issuer = pki().ca.get(),
        .md = EVP_sha256(),
        .status = V_OCSP_CERTSTATUS_REVOKED,
        .revoked_at = now - 7200,
        .this_update = now - 30,
        .next_update = now + 600}},
      by_ca());
  const IssuerRegistry registry = test_ca_registry();

  auto singles = identify_response(der, key_of({{pki().leaf.get(), pki().ca.get()}}), registry);
  ASSERT_EQ(singles.size(), 1u) << "the other SingleResponse was never asked: never validated";
  EXPECT_EQ(singles[0].issuer, "Test CA");
  // The high-bit serial whose DER INTEGER carries a leading 00.
  EXPECT_EQ(singles[0].serial, "8F3A00112233445566778899AABBCCDDEEFF0011");
  EXPECT_EQ(singles[0].serial, request_serial(pki().leaf.get(), pki().ca.get()));
  EXPECT_EQ(singles[0].single.status, CertStatus::kGood);
  EXPECT_GT(singles[0].produced_at, now - 60);
  EXPECT_LE(singles[0].produced_at, testpki::now());

  singles = identify_response(
      der, key_of({{pki().leaf2.get(), pki().ca.get(), EVP_sha256()}}), registry);
  ASSERT_EQ(singles.size(), 1u);
  EXPECT_EQ(singles[0].serial, "1002");
  EXPECT_EQ(singles[0].serial, request_serial(pki().leaf2.get(), pki().ca.get()));
  EXPECT_EQ(singles[0].single.status, CertStatus::kRevoked);
  EXPECT_EQ(singles[0].single.revoked_at, now - 7200);
  EXPECT_EQ(singles[0].single.this_update, now - 30);
  EXPECT_EQ(singles[0].single.next_update, now + 600);

  EXPECT_TRUE(identify_response(der, key_of({{pki().other_leaf.get(), pki().other_ca.get()}}),
                                registry)
                  .empty())
      << "a key the response does not answer";
}

TEST(ResponseIdentify, AMultiCertIdEntryAnsweredInRequestOrder) {
  const auto der = make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()},
                                  {.leaf = pki().leaf2.get(), .issuer = pki().ca.get()}},
                                 by_ca());
  const IssuerRegistry registry = test_ca_registry();
  const auto in_order = identify_response(
      der, key_of({{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get()}}),
      registry);
  ASSERT_EQ(in_order.size(), 2u);
  EXPECT_EQ(in_order[1].serial, "1002");
  // Asked in the other order: which single answers which CertID is not
  // provable from the key alone, so nothing (the next upstream answer
  // brings these certificates back instead).
  EXPECT_TRUE(identify_response(der,
                                key_of({{pki().leaf2.get(), pki().ca.get()},
                                        {pki().leaf.get(), pki().ca.get()}}),
                                registry)
                  .empty());
}

TEST(ResponseIdentify, NothingFromWhatIsNotASuccessfulBasicResponse) {
  const IssuerRegistry registry = test_ca_registry();
  const CacheKey key = key_of({{pki().leaf.get(), pki().ca.get()}});
  const std::vector<uint8_t> junk{0x30, 0x03, 0x0a, 0x01, 0x00};
  EXPECT_TRUE(identify_response(junk, key, registry).empty());
  EXPECT_TRUE(identify_response(error_response_der(ResponseCode::kTryLater), key, registry).empty());
  EXPECT_TRUE(identify_response({}, key, registry).empty());
  const auto der = make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
                                 by_ca());
  EXPECT_TRUE(identify_response(der, key, IssuerRegistry()).empty()) << "no issuer configured";
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
  MemoryStore store(1 << 20, 4);
  CertTracker tracker({.idle_seconds = 60, .max_series = 10});
  tracker.watch(&store, [registry](const CachedResponse& e) {
    return identify_response(e.der(), e.key(), *registry);
  });

  CachedResponse::Facts facts;
  facts.this_update = now - 60;
  facts.next_update = now + 86'400;
  facts.status = CertStatus::kRevoked;
  const CacheKey key = key_of({{pki().leaf2.get(), pki().ca.get()}});
  EntryPtr entry = CachedResponse::make(key, der, facts);
  entry->mark_tracked();  // a client in metrics.track_clients asked for it
  SingleStatus single{.status = CertStatus::kRevoked,
                      .this_update = now - 60,
                      .next_update = now + 86'400,
                      .revoked_at = now - 7200};
  ASSERT_TRUE(store.insert_if_newer(entry));
  tracker.answered("Test CA", "1002", single, now, now, &key);
  ASSERT_EQ(tracker.snapshot(now).size(), 1u);
  EXPECT_TRUE(tracker.snapshot(now + 61).empty()) << "idle";

  ASSERT_TRUE(store.lookup(key, now + 100));
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
