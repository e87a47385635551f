#include "ocspcache/cache/cache_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "ocspcache/cache/memory_store.h"

namespace ocspcache {
namespace {

constexpr int64_t kNow = 1'700'000'000;

struct Recorder final : EntryListener {
  struct Seen {
    uint64_t etag;
    bool stored;
    std::vector<std::string> serials;
    int64_t now;
    bool tracked = false;
  };
  void on_entry_changed(const EntryChange& c) override {
    Seen s{c.entry.etag(), c.stored, {}, c.now, c.tracked};
    for (const auto& cert : c.certs) s.serials.push_back(cert.serial);
    seen.push_back(std::move(s));
  }
  std::vector<Seen> seen;
};

ocsp::CacheKey key(uint8_t n) {
  ocsp::CacheKey k;
  k.bytes[0] = n;
  return k;
}

ocsp::ValidatedResponse answer(int64_t this_update, int64_t next_update) {
  ocsp::ValidatedResponse v;
  v.singles.push_back({ocsp::CertStatus::kGood, this_update, next_update, 0});
  v.this_update = this_update;
  v.next_update = next_update;
  v.produced_at = this_update;
  return v;
}

TEST(CacheWriter, StoresTheAnswerThenTellsEveryListener) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  Recorder a, b;
  writer.subscribe(a);
  writer.subscribe(b);
  const std::vector<uint8_t> der(100, 0x30);
  const AnsweredCert cert{"CA", "0A", answer(kNow - 60, kNow + 3600).singles[0]};
  EntryPtr e = writer.commit(key(1), der, answer(kNow - 60, kNow + 3600), {&cert, 1}, kNow, true);
  ASSERT_TRUE(e);
  EXPECT_EQ(store.peek(key(1), kNow), e) << "in the store before anyone hears of it";
  for (const Recorder* r : {&a, &b}) {
    ASSERT_EQ(r->seen.size(), 1u);
    EXPECT_TRUE(r->seen[0].stored);
    EXPECT_EQ(r->seen[0].etag, e->etag());
    EXPECT_EQ(r->seen[0].serials, std::vector<std::string>{"0A"});
    EXPECT_EQ(r->seen[0].now, kNow);
  }
  EXPECT_EQ(e->this_update(), kNow - 60);
  EXPECT_EQ(e->next_update(), kNow + 3600);
  EXPECT_EQ(std::vector<uint8_t>(e->der().begin(), e->der().end()), der);
}

// metrics.track_clients: an answer fetched for an untracked client is
// untracked, one for a tracked client is tracked, and a later answer for
// the same key (another client's miss after expiry, a refresh) keeps what
// the entry it replaces was: a tracked certificate never loses its series
// because someone else happened to ask first this time.
TEST(CacheWriter, TrackedIsTheAskersOrCarriedOverFromTheReplacedEntry) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  Recorder r;
  writer.subscribe(r);
  const std::vector<uint8_t> der(60, 0x30);
  EntryPtr a = writer.commit(key(1), der, answer(kNow - 60, kNow + 3600), {}, kNow, false);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tracked());
  EXPECT_FALSE(r.seen.back().tracked);
  EntryPtr b = writer.commit(key(1), der, answer(kNow - 30, kNow + 3600), {}, kNow, true);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->tracked());
  EXPECT_TRUE(r.seen.back().tracked);
  EntryPtr c = writer.commit(key(1), der, answer(kNow - 10, kNow + 3600), {}, kNow, false);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->tracked()) << "carried over from the entry it replaced";
  EXPECT_TRUE(r.seen.back().tracked);
  EXPECT_FALSE(writer.commit(key(2), der, answer(kNow - 10, kNow + 3600), {}, kNow, false)
                   ->tracked())
      << "another key has nothing to carry over";
}

TEST(CacheWriter, AnOlderAnswerIsToldButNeverServedOverTheNewer) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  Recorder r;
  writer.subscribe(r);
  const std::vector<uint8_t> newer_der(50, 0x31), older_der(50, 0x32);
  EntryPtr newer = writer.commit(key(1), newer_der, answer(kNow - 10, kNow + 3600), {}, kNow, true);
  EntryPtr served = writer.commit(key(1), older_der, answer(kNow - 500, kNow + 3000), {}, kNow, true);
  EXPECT_EQ(served, newer) << "a slow responder's older answer never moves the CertID back";
  EXPECT_EQ(store.peek(key(1), kNow), newer);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_FALSE(r.seen[1].stored);
}

TEST(CacheWriter, AnAnswerTooLargeForTheStoreIsStillServedOnce) {
  MemoryStore store(4096, 4);  // 1 KiB per shard
  CacheWriter writer(store);
  const std::vector<uint8_t> big(2000, 0x30);
  EntryPtr e = writer.commit(key(1), big, answer(kNow - 10, kNow + 3600), {}, kNow, true);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->der().size(), big.size());
  EXPECT_FALSE(store.peek(key(1), kNow));
}

// Sticky revocation: the ledger outlives the store's entry.

ocsp::SingleStatus single(ocsp::CertStatus status, int64_t this_update, int reason = -1) {
  ocsp::SingleStatus s{status, this_update, this_update + 3600, 0};
  if (status == ocsp::CertStatus::kRevoked) {
    s.revoked_at = kNow - 86'400;
    s.revocation_reason = reason;
  }
  return s;
}

ocsp::ValidatedResponse answer_of(std::vector<ocsp::SingleStatus> singles) {
  ocsp::ValidatedResponse v;
  v.singles = std::move(singles);
  v.this_update = v.singles[0].this_update;
  v.next_update = v.singles[0].next_update;
  for (const auto& s : v.singles) {
    v.this_update = std::max(v.this_update, s.this_update);
    v.next_update = std::min(v.next_update, s.next_update);
  }
  v.produced_at = v.this_update;
  return v;
}

// Commits `singles` as the answer for `entry_key`, one CertID per single
// (cert_id key(100 + id)).
EntryPtr commit(CacheWriter& w, const ocsp::CacheKey& entry_key,
                std::vector<std::pair<uint8_t, ocsp::SingleStatus>> singles) {
  std::vector<AnsweredCert> certs;
  std::vector<ocsp::SingleStatus> only;
  for (const auto& [id, s] : singles) {
    certs.push_back({"CA", std::to_string(id), s, key(static_cast<uint8_t>(100 + id))});
    only.push_back(s);
  }
  const std::vector<uint8_t> der(64, static_cast<uint8_t>(0x40 + singles.size()));
  return w.commit(entry_key, der, answer_of(only), certs, kNow, true);
}

TEST(CacheWriter, AnOlderAnswerAfterARevocationIsRefusedEvenOnceTheEntryIsGone) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  Recorder r;
  writer.subscribe(r);
  ASSERT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kRevoked, kNow - 60, 1)}}));
  store.erase(key(1));  // evicted
  ASSERT_FALSE(store.peek(key(1), kNow));

  EntryPtr stale = commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 3600)}});
  EXPECT_FALSE(stale) << "an answer older than the revocation is never served";
  EXPECT_FALSE(store.peek(key(1), kNow)) << "nor cached";
  EXPECT_EQ(r.seen.size(), 1u) << "nor announced: the certificate's status must not flip to good";
  EXPECT_EQ(writer.ledger().stats().refused, 1u);
  EXPECT_EQ(writer.ledger().stats().records, 1u);

  // A responder that answers again after the revocation is believed.
  EntryPtr newer = commit(writer, key(1), {{1, single(ocsp::CertStatus::kRevoked, kNow - 30, 1)}});
  ASSERT_TRUE(newer);
  EXPECT_EQ(store.peek(key(1), kNow), newer);
  EXPECT_FALSE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 45)}}))
      << "the bar moved forward with the newer revoked answer";
}

TEST(CacheWriter, NoReasonCountsAsRevoked) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  ASSERT_TRUE(commit(writer, key(1),
                     {{1, single(ocsp::CertStatus::kRevoked, kNow - 60,
                                 ocsp::SingleStatus::kNoReason)}}));
  store.erase(key(1));
  EXPECT_FALSE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 600)}}));
}

// certificateHold may be lifted: an older good answer is not refused, and
// no record is made at all.
TEST(CacheWriter, ACertificateOnHoldIsNotSticky) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  ASSERT_TRUE(commit(writer, key(1),
                     {{1, single(ocsp::CertStatus::kRevoked, kNow - 60,
                                 ocsp::SingleStatus::kCertificateHold)}}));
  EXPECT_EQ(writer.ledger().stats().records, 0u);
  store.erase(key(1));
  EXPECT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 600)}}));
  EXPECT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 10)}}))
      << "and the hold lifted later is good";
}

TEST(CacheWriter, ANewerGoodAnswerAfterARevocationIsAccepted) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  ASSERT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kRevoked, kNow - 600, 4)}}));
  EXPECT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 10)}}))
      << "only older answers are refused";
  EXPECT_EQ(writer.ledger().stats().refused, 0u);
}

// A multi-CertID request is cached whole under its own key: one stale
// CertID refuses all of it, and a revocation learnt through it protects the
// single-CertID key too.
TEST(CacheWriter, OneStaleCertIdRefusesAMultiCertIdAnswerWhole) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  ASSERT_TRUE(commit(writer, key(9),
                     {{1, single(ocsp::CertStatus::kGood, kNow - 60)},
                      {2, single(ocsp::CertStatus::kRevoked, kNow - 60, 1)}}));
  EXPECT_FALSE(commit(writer, key(9),
                      {{1, single(ocsp::CertStatus::kGood, kNow - 30)},
                       {2, single(ocsp::CertStatus::kGood, kNow - 120)}}));
  EXPECT_FALSE(commit(writer, key(2), {{2, single(ocsp::CertStatus::kGood, kNow - 120)}}));
  EXPECT_TRUE(commit(writer, key(1), {{1, single(ocsp::CertStatus::kGood, kNow - 120)}}))
      << "the good CertID of that answer has no record";
  EXPECT_EQ(writer.ledger().stats().refused, 2u);
}

}  // namespace
}  // namespace ocspcache
