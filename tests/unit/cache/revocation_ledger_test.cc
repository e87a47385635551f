#include "ocspcache/cache/revocation_ledger.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ocspcache {
namespace {

constexpr int64_t kNow = 1'700'000'000;

ocsp::CacheKey id(uint32_t n) {
  ocsp::CacheKey k;
  for (int i = 0; i < 4; ++i) k.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
  k.bytes[31] = 0x5a;
  return k;
}

AnsweredCert revoked(uint32_t n, int64_t this_update) {
  ocsp::SingleStatus s{ocsp::CertStatus::kRevoked, this_update, this_update + 3600, kNow - 86'400};
  s.revocation_reason = 1;  // keyCompromise
  return {"CA", "01", s, id(n)};
}

AnsweredCert good(uint32_t n, int64_t this_update) {
  return {"CA", "01", {ocsp::CertStatus::kGood, this_update, this_update + 3600, 0}, id(n)};
}

TEST(RevocationLedger, RecordsOnlyRevocationsForGood) {
  RevocationLedger ledger;
  const AnsweredCert certs[] = {good(1, kNow), revoked(2, kNow - 5)};
  EXPECT_FALSE(ledger.admit(certs));
  EXPECT_FALSE(ledger.find(id(1)));
  ASSERT_TRUE(ledger.find(id(2)));
  EXPECT_EQ(*ledger.find(id(2)), (RevocationRecord{id(2), kNow - 5, kNow - 86'400}));
}

TEST(RevocationLedger, RefusesOlderAnswersAndSaysWhich) {
  RevocationLedger ledger;
  const AnsweredCert first[] = {revoked(2, kNow)};
  ASSERT_FALSE(ledger.admit(first));
  const AnsweredCert same_time[] = {good(2, kNow)};
  EXPECT_FALSE(ledger.admit(same_time)) << "only strictly older answers are refused";
  const AnsweredCert stale[] = {good(1, kNow - 100), good(2, kNow - 1)};
  auto refusal = ledger.admit(stale);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->index, 1u);
  EXPECT_EQ(refusal->record.this_update, kNow);
  EXPECT_EQ(ledger.stats().refused, 1u);
}

TEST(RevocationLedger, AnOlderRevokedAnswerDoesNotLowerTheBar) {
  RevocationLedger ledger;
  const AnsweredCert newer[] = {revoked(3, kNow)};
  const AnsweredCert older[] = {revoked(3, kNow - 500)};
  ASSERT_FALSE(ledger.admit(newer));
  EXPECT_TRUE(ledger.admit(older)) << "older than the record, revoked or not";
  ledger.restore({id(3), kNow - 900, 0});
  EXPECT_EQ(ledger.find(id(3))->this_update, kNow) << "restore merges: the newer stays";
}

TEST(RevocationLedger, IsBoundedAndDropsTheOldestFirst) {
  RevocationLedger ledger(128);
  for (uint32_t n = 0; n < 1000; ++n) {
    const AnsweredCert c[] = {revoked(n, kNow + n)};
    ASSERT_FALSE(ledger.admit(c));
    ASSERT_LE(ledger.stats().records, 128u);
  }
  const RevocationStats s = ledger.stats();
  EXPECT_EQ(s.records + s.dropped, 1000u) << "every record dropped is counted";
  EXPECT_TRUE(ledger.find(id(999))) << "the newest stays";
  EXPECT_FALSE(ledger.find(id(0))) << "the oldest went";
  // Whatever went, went by age: every record left is newer than any dropped.
  int64_t oldest_kept = INT64_MAX;
  ledger.walk([&](const RevocationRecord& r) { oldest_kept = std::min(oldest_kept, r.this_update); });
  EXPECT_EQ(oldest_kept, kNow + static_cast<int64_t>(s.dropped));

  ledger.set_max_records(10);
  EXPECT_EQ(ledger.stats().records, 10u) << "shrinking on reload applies at once";
  EXPECT_TRUE(ledger.find(id(999)));
}

TEST(RevocationLedger, SerializeAndLoadRoundTrip) {
  RevocationLedger ledger;
  for (uint32_t n = 0; n < 5; ++n) ledger.restore({id(n), kNow - n, -static_cast<int64_t>(n)});
  const std::vector<uint8_t> bytes = ledger.serialize();
  EXPECT_EQ(bytes.size(), 5 * RevocationLedger::kRecordBytes);

  RevocationLedger restored;
  EXPECT_FALSE(restored.load(std::span(bytes).first(bytes.size() - 1))) << "truncated";
  EXPECT_EQ(restored.stats().records, 0u);
  ASSERT_TRUE(restored.load(bytes));
  for (uint32_t n = 0; n < 5; ++n) {
    EXPECT_EQ(restored.find(id(n)), ledger.find(id(n)));
  }
  const AnsweredCert stale[] = {good(4, kNow - 10)};
  EXPECT_TRUE(restored.admit(stale)) << "a restored record refuses like the original";
}

// commit runs on every worker: records and refusals from several threads
// at once all land (run under TSan/ASan to see the lock at work).
TEST(RevocationLedger, ConcurrentAdmitsAllCount) {
  RevocationLedger ledger;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&ledger, t] {
      for (uint32_t n = 0; n < 500; ++n) {
        const AnsweredCert c[] = {revoked(t * 1000 + n, kNow)};
        ledger.admit(c);
        const AnsweredCert stale[] = {good(t * 1000 + n, kNow - 1)};
        ledger.admit(stale);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ledger.stats().records, 2000u);
  EXPECT_EQ(ledger.stats().refused, 2000u);
}

}  // namespace
}  // namespace ocspcache
