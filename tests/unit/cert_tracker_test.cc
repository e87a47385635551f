#include "ocspcache/cert_tracker.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "ocspcache/cached_response.h"

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

TEST(CertTracker, IdleCertificatesDropOutAndCacheHitsBringThemBack) {
  CertTracker t({.idle_seconds = 3600, .max_series = 100});
  // The cache entry holds the mark, as the Fetcher arranges.
  EntryPtr entry = CachedResponse::make(ocsp::CacheKey{}, {}, CachedResponse::Facts{},
                                       {t.answered(kCa, "AB", answer(ocsp::CertStatus::kGood), kT, kT)});
  t.answered(kCa, "CD", answer(ocsp::CertStatus::kGood), kT, kT);  // no entry holds this one

  entry->mark_asked(kT + 1800);  // a hit half-way: still recent
  EXPECT_TRUE(row(t, "AB", kT + 3600));
  EXPECT_FALSE(row(t, "CD", kT + 3601)) << "not asked for track_idle";
  EXPECT_FALSE(row(t, "AB", kT + 1800 + 3601));
  EXPECT_EQ(t.dropped(), 0u) << "idle expiry is not a cap drop";

  entry->mark_asked(kT + 9000);  // asked again, answered from the cache
  auto back = row(t, "AB", kT + 9001);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TrackedStatus::kGood);
  EXPECT_EQ(back->last_asked, kT + 9000);
}

TEST(CertTracker, HitTouchIsMonotonic) {
  AskedMark m;
  m.touch(10);
  m.touch(5);
  EXPECT_EQ(m.last(), 10);
}

}  // namespace
}  // namespace ocspcache
