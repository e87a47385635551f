#include "ocspcache/app/trust_reload.h"

#include <gtest/gtest.h>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/ocsp/request.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testpki::pki;

struct Named {
  const char* name;
  X509* cert;
};

// Issuers move but do not copy: no initializer_list of them.
ocsp::IssuerRegistry registry(std::initializer_list<Named> list) {
  std::vector<ocsp::Issuer> issuers;
  for (const Named& n : list) issuers.emplace_back(n.name, testpki::up_ref(n.cert), std::vector<HttpUrl>{});
  return ocsp::IssuerRegistry(std::move(issuers));
}

// A cached answer for `leaf` of `ca`, under its real cache key.
EntryPtr entry_for(X509* leaf, X509* ca, EVP_PKEY* ca_key) {
  const auto req_der = testpki::make_request({{leaf, ca}});
  auto req = ocsp::decode_request(req_der);
  EXPECT_TRUE(req.ok());
  const auto der = testpki::make_response({{leaf, ca}}, {ca, ca_key, {}, 0});
  CachedResponse::Facts facts;
  facts.this_update = testpki::now() - 60;
  facts.next_update = testpki::now() + 3600;
  facts.status = ocsp::CertStatus::kGood;
  return CachedResponse::make(ocsp::make_cache_key(*req), der, facts);
}

TEST(TrustReload, ARemovedOrReplacedCertificateIsNoLongerTrustedARenamedOneIs) {
  const auto before = registry({Named{"A", pki().ca.get()}, Named{"B", pki().other_ca.get()}});
  EXPECT_TRUE(issuers_no_longer_trusted(before, before).empty());

  const auto renamed = registry({Named{"A2", pki().ca.get()}, Named{"B", pki().other_ca.get()}});
  EXPECT_TRUE(issuers_no_longer_trusted(before, renamed).empty()) << "the certificate decides";

  const auto removed = registry({Named{"A", pki().ca.get()}});
  auto gone = issuers_no_longer_trusted(before, removed);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->name(), "B");

  // Same name, another certificate.
  const auto replaced = registry({Named{"A", pki().signer.get()}, Named{"B", pki().other_ca.get()}});
  gone = issuers_no_longer_trusted(before, replaced);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->name(), "A");
}

TEST(TrustReload, ErasesTheAnswersOfTheIssuersGoneOnly) {
  const int64_t now = testpki::now();
  MemoryStore store(1 << 20, 4);
  EntryPtr ours = entry_for(pki().leaf.get(), pki().ca.get(), pki().ca_key.get());
  EntryPtr ours2 = entry_for(pki().leaf2.get(), pki().ca.get(), pki().ca_key.get());
  EntryPtr theirs = entry_for(pki().other_leaf.get(), pki().other_ca.get(), pki().other_ca_key.get());
  for (const EntryPtr& e : {ours, ours2, theirs}) ASSERT_TRUE(store.insert_if_newer(e));

  const auto before = registry({Named{"A", pki().ca.get()}, Named{"B", pki().other_ca.get()}});
  const auto after = registry({Named{"B", pki().other_ca.get()}});
  EXPECT_EQ(erase_answers_of(store, issuers_no_longer_trusted(before, after)), 2u);
  EXPECT_FALSE(store.peek(ours->key(), now));
  EXPECT_FALSE(store.peek(ours2->key(), now));
  EXPECT_EQ(store.peek(theirs->key(), now), theirs);
  EXPECT_EQ(erase_answers_of(store, {}), 0u);
}

}  // namespace
}  // namespace ocspcache
