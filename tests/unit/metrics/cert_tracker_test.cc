#include "ocspcache/metrics/cert_tracker.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/memory_store.h"

namespace ocspcache {
namespace {

constexpr int64_t kT = 1'700'000'000;  // an arbitrary "now"
constexpr const char* kCa = "Example CA";

ocsp::SingleStatus answer(ocsp::CertStatus s, int64_t now = kT, int64_t valid_for = 86'400) {
  ocsp::SingleStatus a;
  a.status = s;
  a.this_update = now - 60;
  a.next_update = now + valid_for;
  if (s == ocsp::CertStatus::kRevoked) a.revoked_at = now - 3600;
  return a;
}

std::optional<CertTracker::Row> row(CertTracker& t, const std::string& serial, int64_t now) {
  for (auto& r : t.snapshot(now)) {
    if (r.serial() == serial) return r;
  }
  return std::nullopt;
}

TEST(CertTracker, NoSeriesBeforeAnOutcome) {
  CertTracker t;
  t.upstream_error(kCa, "01", "http://r: timeout", kT);  // one responder failed, others may answer
  t.set_pinned(kCa, "02", true, kT);                     // inventory knows it, nobody answered yet
  EXPECT_TRUE(t.snapshot(kT).empty());
}

TEST(CertTracker, StatusValuesAndTimesFromTheAnswer) {
  CertTracker t;
  t.answered(kCa, "0A", answer(ocsp::CertStatus::kGood), kT - 5, kT);
  t.answered(kCa, "0B", answer(ocsp::CertStatus::kRevoked), kT - 5, kT);
  t.answered(kCa, "0C", answer(ocsp::CertStatus::kUnknown), kT - 5, kT);
  auto rows = t.snapshot(kT);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(metric_value(rows[0].status), 0);
  EXPECT_EQ(metric_value(rows[1].status), 1);
  EXPECT_EQ(metric_value(rows[2].status), 2);
  EXPECT_EQ(rows[2].status, TrackedStatus::kUnknown);
  EXPECT_EQ(rows[0].this_update, kT - 60);
  EXPECT_EQ(rows[0].next_update, kT + 86'400);
  EXPECT_EQ(rows[0].produced_at, kT - 5);
  EXPECT_EQ(rows[1].revoked_at, kT - 3600);
  EXPECT_EQ(rows[0].last_asked, kT);
}

TEST(CertTracker, AllRespondersFailingWithNothingCachedIsTwo) {
  CertTracker t;
  t.exhausted(kCa, "0D", "http://r: http_error (HTTP 500)", kT);
  auto r = row(t, "0D", kT);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, TrackedStatus::kUnavailable);
  EXPECT_EQ(metric_value(r->status), 2);
  EXPECT_FALSE(r->has_answer);
  EXPECT_EQ(r->last_error, "http://r: http_error (HTTP 500)");
  EXPECT_EQ(r->last_error_at, kT);
}

TEST(CertTracker, FailureKeepsStatusWhileAValidCopyIsCachedThenTwo) {
  CertTracker t;
  t.answered(kCa, "0E", answer(ocsp::CertStatus::kGood, kT, 600), kT, kT);
  t.exhausted(kCa, "0E", "http://r: timeout", kT + 300);  // copy valid until kT+600
  EXPECT_EQ(row(t, "0E", kT + 300)->status, TrackedStatus::kGood);
  t.exhausted(kCa, "0E", "http://r: timeout", kT + 600);  // nextUpdate reached
  auto r = row(t, "0E", kT + 600);
  EXPECT_EQ(r->status, TrackedStatus::kUnavailable);
  EXPECT_TRUE(r->has_answer);  // the old answer's times stay visible
  // A new answer ends it.
  t.answered(kCa, "0E", answer(ocsp::CertStatus::kGood, kT + 700), kT + 700, kT + 700);
  EXPECT_EQ(row(t, "0E", kT + 700)->status, TrackedStatus::kGood);
}

// A stapled (inventory) certificate's files stop following its answer
// min_remaining before nextUpdate: a failure from there on says 2, while a
// proxied certificate's still says what its copy says.
TEST(CertTracker, AStapledCertificateSaysTwoOnceItsAnswerIsWithinMinRemaining) {
  CertTracker t({.pinned_margin_seconds = 120});
  t.set_pinned(kCa, "0F", true, kT);
  t.answered(kCa, "0F", answer(ocsp::CertStatus::kGood, kT, 600), kT, kT);
  t.answered(kCa, "10", answer(ocsp::CertStatus::kGood, kT, 600), kT, kT);
  t.exhausted(kCa, "0F", "http://r: timeout", kT + 479);  // 121 s left
  EXPECT_EQ(row(t, "0F", kT + 479)->status, TrackedStatus::kGood);
  t.exhausted(kCa, "0F", "http://r: timeout", kT + 480);  // 120 s left
  t.exhausted(kCa, "10", "http://r: timeout", kT + 480);
  EXPECT_EQ(row(t, "0F", kT + 480)->status, TrackedStatus::kUnavailable);
  EXPECT_EQ(row(t, "10", kT + 480)->status, TrackedStatus::kGood) << "not stapled: no margin";
  t.answered(kCa, "0F", answer(ocsp::CertStatus::kGood, kT + 500), kT + 500, kT + 500);
  EXPECT_EQ(row(t, "0F", kT + 500)->status, TrackedStatus::kGood) << "a new answer ends it";
}

TEST(CertTracker, OlderAnswerDoesNotReplaceNewer) {
  CertTracker t;
  t.answered(kCa, "0F", answer(ocsp::CertStatus::kRevoked, kT), kT, kT);
  t.answered(kCa, "0F", answer(ocsp::CertStatus::kGood, kT - 1000), kT - 1000, kT + 1);
  EXPECT_EQ(row(t, "0F", kT + 1)->status, TrackedStatus::kRevoked);
}

TEST(CertTracker, SameSerialUnderTwoIssuersIsTwoSeries) {
  CertTracker t;
  t.answered("CA one", "01", answer(ocsp::CertStatus::kGood), kT, kT);
  t.answered("CA two", "01", answer(ocsp::CertStatus::kRevoked), kT, kT);
  t.answered("CA one", "01", answer(ocsp::CertStatus::kGood), kT, kT);  // e.g. SHA-256 CertID
  EXPECT_EQ(t.snapshot(kT).size(), 2u);
}

TEST(CertTracker, CapDropsLeastRecentlyAskedGoodFirstAndCounts) {
  CertTracker t({.idle_seconds = 3600, .max_series = 3});
  t.answered(kCa, "A", answer(ocsp::CertStatus::kGood), kT, kT);
  t.answered(kCa, "B", answer(ocsp::CertStatus::kGood), kT, kT + 1);
  t.answered(kCa, "C", answer(ocsp::CertStatus::kRevoked), kT, kT + 2);
  EXPECT_EQ(t.dropped(), 0u);

  t.answered(kCa, "D", answer(ocsp::CertStatus::kUnknown), kT, kT + 3);
  EXPECT_FALSE(row(t, "A", kT + 3)) << "least recently asked good goes first";
  EXPECT_EQ(t.dropped(), 1u);

  t.answered(kCa, "E", answer(ocsp::CertStatus::kGood), kT, kT + 4);
  EXPECT_FALSE(row(t, "B", kT + 4)) << "a good one goes, never the not-good C or D";
  EXPECT_TRUE(row(t, "C", kT + 4));
  EXPECT_TRUE(row(t, "D", kT + 4));
  EXPECT_EQ(t.dropped(), 2u);

  t.exhausted(kCa, "F", "timeout", kT + 5);  // not good: E (the only good one) goes
  EXPECT_FALSE(row(t, "E", kT + 5));
  EXPECT_EQ(t.dropped(), 3u);

  // Only not-good ones are left: a good newcomer is the one that goes.
  t.answered(kCa, "G", answer(ocsp::CertStatus::kGood), kT, kT + 6);
  EXPECT_FALSE(row(t, "G", kT + 6));
  EXPECT_EQ(t.dropped(), 4u);
  auto rows = t.snapshot(kT + 6);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) EXPECT_NE(r.status, TrackedStatus::kGood) << r.serial();
  EXPECT_EQ(t.tracked(), 3u);
}

TEST(CertTracker, LoweredCapShrinksAtTheNextPruneGoodFirst) {
  CertTracker t({.idle_seconds = 3600, .max_series = 10});
  t.answered(kCa, "A", answer(ocsp::CertStatus::kRevoked), kT, kT);
  t.answered(kCa, "B", answer(ocsp::CertStatus::kGood), kT, kT + 1);
  t.answered(kCa, "C", answer(ocsp::CertStatus::kGood), kT, kT + 2);
  t.configure({.idle_seconds = 3600, .max_series = 2});  // SIGHUP with a lower cap
  auto rows = t.snapshot(kT + 3);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].serial(), "A");
  EXPECT_EQ(rows[1].serial(), "C");
  EXPECT_EQ(t.dropped(), 1u);
}

TEST(CertTracker, PinnedIsNeverDropped) {
  CertTracker t({.idle_seconds = 60, .max_series = 1});
  t.set_pinned(kCa, "P", true, kT);
  t.answered(kCa, "P", answer(ocsp::CertStatus::kGood), kT, kT);
  t.answered(kCa, "Q", answer(ocsp::CertStatus::kRevoked), kT, kT + 1);  // cap full of pinned
  EXPECT_TRUE(row(t, "P", kT + 1));
  EXPECT_FALSE(row(t, "Q", kT + 1));
  EXPECT_TRUE(row(t, "P", kT + 10'000)) << "not idle-expired either";
}

// ---- the store, revival, the cap at scale ----

ocsp::CacheKey key(uint32_t n) {
  ocsp::CacheKey k;
  for (size_t i = 0; i < 4; ++i) k.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
  k.bytes[8] = static_cast<uint8_t>(n);  // picks the shard
  return k;
}

uint32_t index_of(const CachedResponse& e) {
  uint32_t n = 0;
  for (size_t i = 0; i < 4; ++i) n |= static_cast<uint32_t>(e.key().bytes[i]) << (8 * i);
  return n;
}

// Asked by a client in metrics.track_clients, as the writer marks it.
EntryPtr entry(uint32_t n, ocsp::CertStatus status = ocsp::CertStatus::kGood,
               int64_t this_update = kT - 60, int64_t next_update = kT + 86'400) {
  CachedResponse::Facts f;
  f.this_update = this_update;
  f.next_update = next_update;
  f.status = status;
  const std::vector<uint8_t> der(16, 0x30);
  EntryPtr e = CachedResponse::make(key(n), der, f);
  e->mark_tracked();
  return e;
}

// Asked only by clients outside metrics.track_clients.
EntryPtr untracked_entry(uint32_t n) {
  CachedResponse::Facts f;
  f.this_update = kT - 60;
  f.next_update = kT + 86'400;
  const std::vector<uint8_t> der(16, 0x30);
  return CachedResponse::make(key(n), der, f);
}

std::string serial_of(uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04X", n);
  return buf;
}

// As the cache writer does once it stored `e`: entry n answers serial_of(n)
// under kCa with the entry's own status and times.
void tell(CertTracker& t, const EntryPtr& e, int64_t now, std::string serial = {}) {
  ocsp::SingleStatus single;
  single.status = e->status();
  single.this_update = e->this_update();
  single.next_update = e->next_update();
  const AnsweredCert cert{kCa, serial.empty() ? serial_of(index_of(*e)) : serial, single};
  t.on_entry_changed(EntryChange{*e, true, {&cert, 1}, now, e->tracked()});
}

// Stands in for identify_response: entry n answers serial_of(n) under kCa,
// with the entry's own status; counts its calls.
struct IdentifyStub {
  std::shared_ptr<size_t> calls = std::make_shared<size_t>(0);
  CertTracker::Identify fn() const {
    return [calls = calls](const CachedResponse& e) {
      ++*calls;
      ocsp::IdentifiedSingle s;
      s.issuer = kCa;
      s.serial = serial_of(index_of(e));
      s.single.status = e.status();
      s.single.this_update = e.this_update();
      s.single.next_update = e.next_update();
      s.produced_at = e.produced_at();
      return std::vector<ocsp::IdentifiedSingle>{s};
    };
  }
};

TEST(CertTracker, IdleCertificatesDropOutAndCacheHitsBringThemBack) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  MemoryStore store(1 << 20, 4);
  IdentifyStub identify;
  t.watch(&store, identify.fn());
  EntryPtr e = entry(0xAB, ocsp::CertStatus::kRevoked);
  ASSERT_TRUE(store.insert_if_newer(e));
  tell(t, e, kT);
  t.answered(kCa, "CD", answer(ocsp::CertStatus::kGood), kT, kT);  // not cached

  ASSERT_TRUE(store.lookup(key(0xAB), kT + 1800));  // a hit half-way: still recent
  EXPECT_TRUE(row(t, serial_of(0xAB), kT + 3600));
  EXPECT_FALSE(row(t, "CD", kT + 3601)) << "not asked for track_idle";
  EXPECT_FALSE(row(t, serial_of(0xAB), kT + 1800 + 3601));
  EXPECT_EQ(t.dropped(), 0u) << "idle expiry is not a cap drop";
  EXPECT_EQ(t.tracked(), 0u);
  EXPECT_EQ(*identify.calls, 0u) << "nothing asked recently enough to come back";

  ASSERT_TRUE(store.lookup(key(0xAB), kT + 9000));  // asked again, answered from the cache
  auto back = row(t, serial_of(0xAB), kT + 9001);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TrackedStatus::kRevoked);
  EXPECT_EQ(back->last_asked, kT + 9000);
  EXPECT_EQ(*identify.calls, 1u);
  EXPECT_EQ(t.dropped(), 0u);
  // Hits on the revived record's key are its own again: no second scan needed.
  ASSERT_TRUE(store.lookup(key(0xAB), kT + 9500));
  EXPECT_EQ(row(t, serial_of(0xAB), kT + 9501)->last_asked, kT + 9500);
  EXPECT_EQ(*identify.calls, 1u);
}

// Issue 13: invented serials asked from outside metrics.track_clients make
// no series (the seed alert stays theirs to shape no more), are counted,
// and do not disturb the certificates that have series.
TEST(CertTracker, UntrackedAsksMakeNoSeriesButKeepExistingOnesCurrent) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  MemoryStore store(1 << 20, 4);
  IdentifyStub identify;
  t.watch(&store, identify.fn());
  EntryPtr real = entry(1);
  ASSERT_TRUE(store.insert_if_newer(real));
  tell(t, real, kT);
  ASSERT_TRUE(row(t, serial_of(1), kT));

  for (uint32_t n = 100; n < 1100; ++n) {
    EntryPtr invented = untracked_entry(n);
    ASSERT_TRUE(store.insert_if_newer(invented));
    tell(t, invented, kT + 1);
    t.exhausted(kCa, serial_of(n + 5000), "responder down", kT + 1, /*tracked=*/false);
    ASSERT_TRUE(store.lookup(key(n), kT + 2));  // asked again, from the cache
  }
  const auto rows = t.snapshot(kT + 10);
  ASSERT_EQ(rows.size(), 1u) << "only the real certificate";
  EXPECT_EQ(rows[0].serial(), serial_of(1));
  EXPECT_EQ(t.refused(), 2000u) << "1,000 answers and 1,000 failures";
  EXPECT_EQ(*identify.calls, 0u) << "untracked entries are not revival candidates";

  // An untracked client's answer or failure for a certificate that has a
  // series still updates it: the series stays true.
  EntryPtr revoked_now = CachedResponse::make(
      key(1), std::vector<uint8_t>(16, 0x30),
      CachedResponse::Facts{
          .this_update = kT, .next_update = kT + 86'400, .status = ocsp::CertStatus::kRevoked});
  ocsp::SingleStatus single{ocsp::CertStatus::kRevoked, kT, kT + 86'400, kT - 10};
  const AnsweredCert cert{kCa, serial_of(1), single};
  t.on_entry_changed(EntryChange{*revoked_now, true, {&cert, 1}, kT + 20, /*tracked=*/false});
  EXPECT_EQ(row(t, serial_of(1), kT + 21)->status, TrackedStatus::kRevoked);
  EXPECT_EQ(t.refused(), 2000u);

  // A tracked client asking for one of them later brings it in (revival).
  ASSERT_TRUE(store.lookup(key(100), kT + 30));
  store.peek(key(100), kT + 30)->mark_tracked();
  EXPECT_TRUE(row(t, serial_of(100), kT + 31));
}

// RFC 6960 §2.2's "revoked" for a never-issued serial is an unknown serial
// to the metrics (2), with no revocation time, not a revocation (1).
TEST(CertTracker, NonIssuedRevokedIsReportedAsUnknown) {
  CertTracker t;
  ocsp::SingleStatus single{
      ocsp::CertStatus::kRevoked, kT - 60, kT + 3600, 0, ocsp::SingleStatus::kCertificateHold,
      /*non_issued=*/true};
  t.answered(kCa, "0BAD", single, kT, kT);
  auto r = row(t, "0BAD", kT);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, TrackedStatus::kUnknown);
  EXPECT_EQ(metric_value(r->status), 2);
  EXPECT_TRUE(r->non_issued);
  EXPECT_FALSE(r->revoked());
  // Every responder failing later, with that answer still valid: unknown still.
  t.exhausted(kCa, "0BAD", "timeout", kT + 5);
  EXPECT_EQ(row(t, "0BAD", kT + 5)->status, TrackedStatus::kUnknown);
}

TEST(CertTracker, HitsCountWithoutIdentifyButNothingRevives) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  MemoryStore store(1 << 20, 4);
  t.watch(&store);  // no identify: no revival
  EntryPtr e = entry(1);
  ASSERT_TRUE(store.insert_if_newer(e));
  tell(t, e, kT);
  ASSERT_TRUE(store.lookup(key(1), kT + 3000));
  EXPECT_EQ(row(t, serial_of(1), kT + 3001)->last_asked, kT + 3000) << "hits are read";
  EXPECT_FALSE(row(t, serial_of(1), kT + 3000 + 3601));
  ASSERT_TRUE(store.lookup(key(1), kT + 8000));
  EXPECT_FALSE(row(t, serial_of(1), kT + 8001)) << "identify was never given";
}

TEST(CertTracker, WithoutAStoreAnswersAreTheOnlyAsks) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  EntryPtr e = entry(1);
  tell(t, e, kT);
  e->mark_asked(kT + 3000);  // nobody reads it
  EXPECT_FALSE(row(t, serial_of(1), kT + 3601));
}

TEST(CertTracker, AnExpiredRevivalCandidateStaysOut) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  MemoryStore store(1 << 20, 4);
  IdentifyStub identify;
  t.watch(&store, identify.fn());
  EntryPtr e = entry(2, ocsp::CertStatus::kGood, kT - 60, kT + 5000);
  ASSERT_TRUE(store.insert_if_newer(e));
  ASSERT_TRUE(store.lookup(key(2), kT + 4999));
  EXPECT_FALSE(row(t, serial_of(2), kT + 5000)) << "at nextUpdate it is never served again";
  EXPECT_EQ(*identify.calls, 0u);
}

TEST(CertTracker, CapOfTenWithAThousandCertificates) {
  CertTracker t({.idle_seconds = 3600, .max_series = 10});
  // Every 200th is revoked (5 of them), each asked once, in order.
  for (int i = 0; i < 1000; ++i) {
    const auto s = i % 200 == 7 ? ocsp::CertStatus::kRevoked : ocsp::CertStatus::kGood;
    t.answered(kCa, serial_of(static_cast<uint32_t>(i)), answer(s), kT, kT + i);
    EXPECT_LE(t.tracked(), 10u + 10u / 8 + 64u)
        << "between prunes the table grows only by a bounded slack";
  }
  auto rows = t.snapshot(kT + 1000);
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(t.tracked(), 10u);
  EXPECT_EQ(t.dropped(), 990u);
  std::set<std::string> want;
  for (int i = 7; i < 1000; i += 200) want.insert(serial_of(static_cast<uint32_t>(i)));  // not good
  for (int i = 995; i < 1000; ++i) want.insert(serial_of(static_cast<uint32_t>(i)));  // newest good
  std::set<std::string> got;
  for (const auto& r : rows) got.insert(r.serial());
  EXPECT_EQ(got, want);
}

TEST(CertTracker, ANewcomerTyingWithTheWorstDoesNotDisplaceIt) {
  CertTracker t({.idle_seconds = 3600, .max_series = 2});
  t.answered(kCa, "A", answer(ocsp::CertStatus::kGood), kT, kT);
  t.answered(kCa, "B", answer(ocsp::CertStatus::kGood), kT, kT);
  t.answered(kCa, "C", answer(ocsp::CertStatus::kGood), kT, kT);  // same second as A and B
  auto rows = t.snapshot(kT);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].serial(), "A");
  EXPECT_EQ(rows[1].serial(), "B");
  EXPECT_EQ(t.dropped(), 1u);
  t.answered(kCa, "C", answer(ocsp::CertStatus::kGood), kT, kT + 1);  // strictly more recent: wins
  rows = t.snapshot(kT + 1);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].serial(), "C");
  EXPECT_EQ(t.dropped(), 2u);
}

TEST(CertTracker, RevivalScanIdentifiesAtMostNMostRecentFirst) {
  constexpr uint32_t kEntries = 5000;
  constexpr size_t kBatch = CertTracker::kMaxRevivalsPerScan;
  CertTracker t({.idle_seconds = 3600, .max_series = 10'000});
  MemoryStore store(64 << 20, 16);
  IdentifyStub identify;
  t.watch(&store, identify.fn());
  for (uint32_t i = 0; i < kEntries; ++i) {
    ASSERT_TRUE(store.insert_if_newer(entry(i)));
    ASSERT_TRUE(store.lookup(key(i), kT + 1000 + i));  // untracked (nobody answered them here)
  }
  const int64_t now = kT + 6000;  // cutoff kT + 2400: entries 1400.. are recent enough
  auto rows = t.snapshot(now);
  EXPECT_EQ(*identify.calls, kBatch);
  ASSERT_EQ(rows.size(), kBatch);
  for (const auto& r : rows) {
    EXPECT_GE(r.serial(), serial_of(kEntries - static_cast<uint32_t>(kBatch)))
        << "the most recently asked go first";
  }
  // Within the prune interval: no second scan.
  t.snapshot(now + 1);
  EXPECT_EQ(*identify.calls, kBatch);
  // The next scan takes the next batch, never one already tracked.
  rows = t.snapshot(now + 10);
  EXPECT_EQ(*identify.calls, 2 * kBatch);
  EXPECT_EQ(rows.size(), 2 * kBatch);
  EXPECT_TRUE(row(t, serial_of(kEntries - 2 * kBatch), now + 11));
  EXPECT_FALSE(row(t, serial_of(kEntries - 2 * kBatch - 1), now + 11));
  // One just asked is the most recent of the untracked: first of the next batch.
  ASSERT_TRUE(store.lookup(key(1500), now + 11));
  t.snapshot(now + 20);
  EXPECT_EQ(*identify.calls, 3 * kBatch);
  EXPECT_TRUE(row(t, serial_of(1500), now + 21));
}

TEST(CertTracker, RevivalOnlyForWhatWouldBeatTheWorstExported) {
  CertTracker t({.idle_seconds = 3600, .max_series = 2});
  MemoryStore store(1 << 20, 4);
  IdentifyStub identify;
  t.watch(&store, identify.fn());
  for (uint32_t n : {1u, 2u, 3u}) ASSERT_TRUE(store.insert_if_newer(entry(n)));
  tell(t, store.peek(key(1), kT), kT + 100);
  tell(t, store.peek(key(2), kT), kT + 100);
  ASSERT_TRUE(store.lookup(key(3), kT + 50));  // untracked, less recent than both exported
  EXPECT_EQ(t.snapshot(kT + 110).size(), 2u);
  EXPECT_EQ(*identify.calls, 0u) << "it could not get a series: not even identified";
  EXPECT_EQ(t.dropped(), 0u);
  ASSERT_TRUE(store.lookup(key(3), kT + 200));  // now the most recent: it takes a good one's place
  auto rows = t.snapshot(kT + 210);
  EXPECT_EQ(*identify.calls, 1u);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(row(t, serial_of(3), kT + 210));
  EXPECT_EQ(t.dropped(), 1u);
  EXPECT_NE(row(t, serial_of(1), kT + 210).has_value(), row(t, serial_of(2), kT + 210).has_value())
      << "exactly one of the two went";
}

TEST(CertTracker, ARecordFollowsEveryCertIdFormAndHoldsNoEntry) {
  CertTracker t({.idle_seconds = 3600, .max_series = 1});
  MemoryStore store(1 << 20, 4);
  t.watch(&store);
  // One certificate asked with a SHA-1 and a SHA-256 CertID: two keys.
  EntryPtr sha1 = entry(1), sha256 = entry(2);
  ASSERT_TRUE(store.insert_if_newer(sha1));
  ASSERT_TRUE(store.insert_if_newer(sha256));
  tell(t, sha1, kT, "AA");
  tell(t, sha256, kT, "AA");
  EXPECT_EQ(t.snapshot(kT).size(), 1u) << "one series for both forms";
  EXPECT_EQ(sha1->references(), 2u) << "ours and the store's: the tracker holds none";

  // Hits under either key are the certificate's "last asked".
  ASSERT_TRUE(store.lookup(key(2), kT + 50));
  EXPECT_EQ(row(t, "AA", kT + 60)->last_asked, kT + 50);
  ASSERT_TRUE(store.lookup(key(1), kT + 70));
  EXPECT_EQ(row(t, "AA", kT + 80)->last_asked, kT + 70);

  // Evicted (here: erased) entries are freed at once; the record stays.
  store.erase(key(1));
  EXPECT_EQ(sha1->references(), 1u) << "only ours left";
  EXPECT_TRUE(row(t, "AA", kT + 90));

  // Over the cap (a not-good newcomer): the record goes.
  EntryPtr other = entry(3, ocsp::CertStatus::kRevoked);
  ASSERT_TRUE(store.insert_if_newer(other));
  tell(t, other, kT + 100, "BB");
  EXPECT_FALSE(row(t, "AA", kT + 100));
  EXPECT_TRUE(row(t, "BB", kT + 100));
}

TEST(CertTracker, AtMostEightCertIdFormsPerCertificate) {
  CertTracker t({.idle_seconds = 3600, .max_series = 10});
  MemoryStore store(1 << 20, 4);
  t.watch(&store);
  for (uint32_t n = 1; n <= CertTracker::kMaxKeysPerRecord + 1; ++n) {
    EntryPtr e = entry(n);
    ASSERT_TRUE(store.insert_if_newer(e));
    tell(t, e, kT, "AA");
  }
  // The first form fell out: hits under it no longer count; the newest do.
  ASSERT_TRUE(store.lookup(key(1), kT + 100));
  EXPECT_EQ(row(t, "AA", kT + 101)->last_asked, kT);
  ASSERT_TRUE(store.lookup(key(CertTracker::kMaxKeysPerRecord + 1), kT + 200));
  EXPECT_EQ(row(t, "AA", kT + 201)->last_asked, kT + 200);
}

}  // namespace
}  // namespace ocspcache
