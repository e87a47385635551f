// restore_snapshot (cache/snapshot.h): what comes back from a file that
// passed its checksum is still judged entry by entry, like a responder's
// answer. A checksum only proves the file is what some writer wrote, not
// that the writer (an older build, another configuration, a hand-made
// file) wrote answers this instance may serve. Real signed responses from
// the unit tests' PKI; the end-to-end restart is in
// tests/integration/snapshot_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/cache/snapshot.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testpki::pki;

constexpr int64_t kSkew = 300;

// (The decoded request views the DER: it must outlive the decoding.)
ocsp::CacheKey key_of(X509* leaf) {
  const std::vector<uint8_t> request = testpki::make_request({{leaf, pki().ca.get()}});
  return ocsp::make_cache_key(*ocsp::decode_request(request));
}

ocsp::CacheKey cert_id_of(X509* leaf) {
  const std::vector<uint8_t> request = testpki::make_request({{leaf, pki().ca.get()}});
  return ocsp::cert_id_key(ocsp::decode_request(request)->cert_ids().front());
}

std::vector<uint8_t> answer(X509* leaf, testpki::SingleSpec spec = {nullptr, nullptr},
                            X509* signer = pki().signer.get(),
                            EVP_PKEY* key = pki().signer_key.get()) {
  spec.leaf = leaf;
  spec.issuer = pki().ca.get();
  return testpki::make_response({spec}, {signer, key, {}, 0});
}

ocsp::IssuerRegistry registry_of(X509* ca, const char* name) {
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back(name, testpki::up_ref(ca), std::vector<HttpUrl>{});
  return ocsp::IssuerRegistry(std::move(issuers));
}

struct Restore {
  MemoryStore store{1 << 20, 1};
  CacheWriter writer{store};
  RestoreReport run(const SnapshotContents& contents,
                    const ocsp::IssuerRegistry& registry = registry_of(pki().ca.get(), "Test CA")) {
    return restore_snapshot(contents, writer, registry, testpki::now(), kSkew);
  }
};

TEST(SnapshotRestore, AValidAnswerGoesBackUnderItsKey) {
  const auto der = answer(pki().leaf.get());
  Restore r;
  const RestoreReport report = r.run({.entries = {{key_of(pki().leaf.get()), der}}});
  EXPECT_EQ(report.loaded, 1u) << report.first_problem;
  EXPECT_EQ(report.invalid + report.expired + report.refused, 0u);
  const EntryPtr e = r.store.peek(key_of(pki().leaf.get()), testpki::now());
  ASSERT_TRUE(e);
  EXPECT_EQ(std::vector<uint8_t>(e->der().begin(), e->der().end()), der);
}

// Each kind of entry a checksummed file may still hold and that must not be
// served: counted, the first reason kept for the log, nothing stored.
TEST(SnapshotRestore, WhatCannotBeServedIsLeftOutAndCounted) {
  const auto good = answer(pki().leaf.get());
  const auto expired = answer(pki().leaf.get(), {.leaf = nullptr,
                                                 .issuer = nullptr,
                                                 .this_update = testpki::now() - 7200,
                                                 .next_update = testpki::now() - 3600});
  const auto stranger = answer(pki().leaf.get(), {nullptr, nullptr}, pki().foreign_signer.get(),
                               pki().foreign_key.get());
  const std::vector<uint8_t> garbage = {0x30, 0x03, 0x0a, 0x01, 0x00};
  struct Case {
    const char* what;
    ocsp::CacheKey key;
    const std::vector<uint8_t>* der;
    bool expired;
    const char* reason;
  } cases[] = {
      {"another certificate's key", key_of(pki().leaf2.get()), &good, false, "do not make the key"},
      {"not a response", key_of(pki().leaf.get()), &garbage, false, "not a successful"},
      {"past nextUpdate", key_of(pki().leaf.get()), &expired, true, ""},
      {"signed by a stranger", key_of(pki().leaf.get()), &stranger, false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Restore r;
    const RestoreReport report = r.run({.entries = {{c.key, *c.der}}});
    EXPECT_EQ(report.loaded, 0u);
    EXPECT_EQ(report.expired, c.expired ? 1u : 0u);
    EXPECT_EQ(report.invalid, c.expired ? 0u : 1u);
    EXPECT_NE(report.first_problem.find(c.reason), std::string::npos) << report.first_problem;
    EXPECT_EQ(r.store.stats().entries, 0u);
  }
}

TEST(SnapshotRestore, AnIssuerNoLongerConfiguredGetsNothingBack) {
  const auto der = answer(pki().leaf.get());
  Restore r;
  const RestoreReport report = r.run({.entries = {{key_of(pki().leaf.get()), der}}},
                                     registry_of(pki().other_ca.get(), "Other CA"));
  EXPECT_EQ(report.loaded, 0u);
  EXPECT_EQ(report.invalid, 1u);
  EXPECT_NE(report.first_problem.find("no longer configured"), std::string::npos);
  EXPECT_EQ(r.store.stats().entries, 0u);
}

// The ledger is restored before any entry: an entry older than a recorded
// revocation of its CertID is refused, whatever order the file has.
TEST(SnapshotRestore, TheLedgerComesFirstAndRefusesOlderAnswers) {
  const int64_t now = testpki::now();
  RevocationLedger recorded;
  recorded.restore({cert_id_of(pki().leaf2.get()), now - 60, now - 86'400});
  const std::vector<uint8_t> ledger = recorded.serialize();
  const auto stale =
      answer(pki().leaf2.get(), {.leaf = nullptr, .issuer = nullptr, .this_update = now - 7200});
  const auto fresh_good = answer(pki().leaf.get());
  Restore r;
  const RestoreReport report = r.run(
      {.entries = {{key_of(pki().leaf2.get()), stale}, {key_of(pki().leaf.get()), fresh_good}},
       .ledger = ledger});
  EXPECT_EQ(report.revocations, 1u);
  EXPECT_EQ(report.refused, 1u);
  EXPECT_EQ(report.loaded, 1u);
  EXPECT_FALSE(r.store.peek(key_of(pki().leaf2.get()), now));
  EXPECT_TRUE(r.store.peek(key_of(pki().leaf.get()), now));
  EXPECT_EQ(r.writer.ledger().stats().records, 1u);
}

}  // namespace
}  // namespace ocspcache
