#include "ocspcache/cache/cache_writer.h"

#include <gtest/gtest.h>

#include <string>
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
  };
  void on_entry_changed(const EntryChange& c) override {
    Seen s{c.entry.etag(), c.stored, {}, c.now};
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
  EntryPtr e = writer.commit(key(1), der, answer(kNow - 60, kNow + 3600), {&cert, 1}, kNow);
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

TEST(CacheWriter, AnOlderAnswerIsToldButNeverServedOverTheNewer) {
  MemoryStore store(1 << 20, 2);
  CacheWriter writer(store);
  Recorder r;
  writer.subscribe(r);
  const std::vector<uint8_t> newer_der(50, 0x31), older_der(50, 0x32);
  EntryPtr newer = writer.commit(key(1), newer_der, answer(kNow - 10, kNow + 3600), {}, kNow);
  EntryPtr served = writer.commit(key(1), older_der, answer(kNow - 500, kNow + 3000), {}, kNow);
  EXPECT_EQ(served, newer) << "a slow responder's older answer never moves the CertID back";
  EXPECT_EQ(store.peek(key(1), kNow), newer);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_FALSE(r.seen[1].stored);
}

TEST(CacheWriter, AnAnswerTooLargeForTheStoreIsStillServedOnce) {
  MemoryStore store(4096, 4);  // 1 KiB per shard
  CacheWriter writer(store);
  const std::vector<uint8_t> big(2000, 0x30);
  EntryPtr e = writer.commit(key(1), big, answer(kNow - 10, kNow + 3600), {}, kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->der().size(), big.size());
  EXPECT_FALSE(store.peek(key(1), kNow));
}

}  // namespace
}  // namespace ocspcache
