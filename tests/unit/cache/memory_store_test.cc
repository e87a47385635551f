#include "ocspcache/cache/memory_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ocspcache {
namespace {

ocsp::CacheKey key(uint32_t n) {
  ocsp::CacheKey k;
  for (size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<uint8_t>((n * 2654435761u) >> (i % 4 * 8));
  k.bytes[0] = static_cast<uint8_t>(n);
  k.bytes[1] = static_cast<uint8_t>(n >> 8);
  k.bytes[8] = static_cast<uint8_t>(n);
  return k;
}

EntryPtr entry(uint32_t k, size_t der_bytes, int64_t this_update, int64_t next_update) {
  const std::vector<uint8_t> der(der_bytes, 0x30);
  CachedResponse::Facts f;
  f.this_update = this_update;
  f.next_update = next_update;
  return CachedResponse::make(key(k), der, f);
}

TEST(MemoryStore, HitUntilNextUpdateAndNeverAfter) {
  MemoryStore c(1 << 20, 4);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 100, 1000, 2000)));
  EXPECT_NE(c.lookup(key(1), 1999), nullptr);
  EXPECT_EQ(c.lookup(key(1), 2000), nullptr);  // at nextUpdate: gone
  EXPECT_EQ(c.entries(), 0u);                  // and dropped
  EXPECT_EQ(c.bytes(), 0u);
}

TEST(MemoryStore, MissForUnknownKey) {
  MemoryStore c(1 << 20, 4);
  EXPECT_EQ(c.lookup(key(7), 0), nullptr);
}

TEST(MemoryStore, StaysWithinMaxBytesEvictingLeastRecentlyUsed) {
  const size_t per_entry = 1000 + CachedResponse::kOverheadBytes;
  MemoryStore c(per_entry * 8, 1);  // one shard: one eviction order
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(c.insert_if_newer(entry(i, 1000, 1, 1'000'000)));
  EXPECT_EQ(c.entries(), 8u);
  ASSERT_NE(c.lookup(key(0), 10), nullptr);  // 0 is now most recent; 1 is oldest
  ASSERT_TRUE(c.insert_if_newer(entry(100, 1000, 1, 1'000'000)));
  EXPECT_LE(c.bytes(), c.stats().max_bytes);
  EXPECT_EQ(c.entries(), 8u);
  EXPECT_EQ(c.stats().evictions, 1u);
  EXPECT_NE(c.lookup(key(0), 10), nullptr);
  EXPECT_EQ(c.lookup(key(1), 10), nullptr);
  EXPECT_NE(c.lookup(key(100), 10), nullptr);
}

TEST(MemoryStore, ManyInsertsNeverExceedBound) {
  MemoryStore c(64 * 1024, 8);
  for (uint32_t i = 0; i < 5000; ++i) {
    c.insert_if_newer(entry(i, 200 + i % 300, 1, 1'000'000));
    ASSERT_LE(c.bytes(), c.stats().max_bytes);
  }
  EXPECT_GT(c.entries(), 0u);
}

TEST(MemoryStore, RejectsEntryLargerThanAShard) {
  MemoryStore c(4096, 4);
  EXPECT_FALSE(c.insert_if_newer(entry(1, 2000, 1, 100)));
  EXPECT_EQ(c.entries(), 0u);
}

TEST(MemoryStore, OlderResponseNeverReplacesNewer) {
  MemoryStore c(1 << 20, 2);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 10, 500, 5000)));
  EXPECT_FALSE(c.insert_if_newer(entry(1, 20, 400, 6000)));
  EXPECT_EQ(c.lookup(key(1), 600)->der().size(), 10u);
  EXPECT_TRUE(c.insert_if_newer(entry(1, 30, 700, 7000)));
  EXPECT_EQ(c.lookup(key(1), 800)->der().size(), 30u);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), 30 + CachedResponse::kOverheadBytes);
}

TEST(MemoryStore, ANewcomerIsNotEvictedBeforeEntriesNobodyAskedFor) {
  const size_t per_entry = 1000 + CachedResponse::kOverheadBytes;
  MemoryStore c(per_entry * 4, 1);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(c.insert_if_newer(entry(i, 1000, 1, 1'000'000)));
  for (uint32_t i = 0; i < 4; ++i) ASSERT_NE(c.lookup(key(i), 10), nullptr);  // all referenced
  ASSERT_TRUE(c.insert_if_newer(entry(50, 1000, 1, 1'000'000)));
  EXPECT_NE(c.lookup(key(50), 10), nullptr) << "every other entry had its second chance first";
  EXPECT_EQ(c.entries(), 4u);
  EXPECT_EQ(c.stats().evictions, 1u);
  EXPECT_LE(c.bytes(), c.stats().max_bytes);
}

TEST(MemoryStore, AReaderKeepsItsEntryAfterReplacementAndEviction) {
  MemoryStore c(1 << 20, 1);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 10, 500, 5000)));
  EntryPtr held = c.lookup(key(1), 600);
  ASSERT_TRUE(held);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 20, 700, 5000)));  // replaced
  c.erase(key(1));
  EXPECT_EQ(c.lookup(key(1), 800), nullptr);
  // Still whole for the worker that was writing it (ASan checks the read).
  EXPECT_EQ(held->der().size(), 10u);
  EXPECT_EQ(held->der()[9], 0x30);
  EXPECT_EQ(held->this_update(), 500);
}

TEST(MemoryStore, ForEachVisitsEveryEntryOnce) {
  MemoryStore c(1 << 20, 8);
  for (uint32_t i = 0; i < 100; ++i) ASSERT_TRUE(c.insert_if_newer(entry(i, 10 + i, 1, 1'000'000)));
  size_t n = 0, bytes = 0;
  c.walk([&](const CachedResponse& e) {
    ++n;
    bytes += e.der().size();
  });
  EXPECT_EQ(n, 100u);
  EXPECT_EQ(bytes, 100u * 10 + 99 * 100 / 2);
}

// Readers on two threads while a third inserts, replaces and evicts: every
// entry a reader gets is whole and valid at its `now`, and the bound holds.
// Under the ASan build this also catches a reader touching a freed entry.
TEST(MemoryStore, ConcurrentReadersAndWriterStayConsistent) {
  const size_t per_entry = 64 + CachedResponse::kOverheadBytes;
  MemoryStore c(per_entry * 200, 4);  // room for ~200 of the 1,000 keys
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hits{0}, bad{0};
  auto reader = [&] {
    for (uint32_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      EntryPtr e = c.lookup(key(i % 1000), 10);
      if (!e) continue;
      hits.fetch_add(1, std::memory_order_relaxed);
      const auto der = e->der();
      if (der.size() != 64 || der[0] != 0x30 || der[63] != 0x30 || e->next_update() <= 10) {
        bad.fetch_add(1, std::memory_order_relaxed);
      }
    }
  };
  std::thread r1(reader), r2(reader);
  for (int round = 0; round < 20; ++round) {
    for (uint32_t i = 0; i < 1000; ++i) {
      c.insert_if_newer(entry(i, 64, 1 + round, 1'000'000));
      if (i % 97 == 0) c.erase(key(i));
      ASSERT_LE(c.bytes(), c.stats().max_bytes);
    }
  }
  stop = true;
  r1.join();
  r2.join();
  EXPECT_GT(hits.load(), 0u);
  EXPECT_EQ(bad.load(), 0u);
  size_t n = 0;
  c.walk([&](const CachedResponse&) { ++n; });
  EXPECT_EQ(n, c.entries());
}

TEST(MemoryStore, ServingLookupRecordsTheSecondPeekDoesNot) {
  MemoryStore c(1 << 20, 2);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 10, 500, 5000)));
  EXPECT_EQ(c.peek(key(1), 1000)->last_asked(), 0) << "never served yet";
  ASSERT_TRUE(c.lookup(key(1), 1000));
  EXPECT_EQ(c.peek(key(1), 1001)->last_asked(), 1000);
  ASSERT_TRUE(c.lookup(key(1), 900));  // a worker whose second is behind
  EXPECT_EQ(c.peek(key(1), 1001)->last_asked(), 1000) << "never moves back";
  EXPECT_FALSE(c.peek(key(1), 5000)) << "peek never returns an expired entry either";
  EXPECT_EQ(c.entries(), 1u) << "and, unlike lookup, leaves it for the next lookup to drop";
}

TEST(MemoryStore, StatsSayWhatIsHeld) {
  MemoryStore c(1 << 20, 2);
  ASSERT_TRUE(c.insert_if_newer(entry(1, 100, 1, 5000)));
  ASSERT_TRUE(c.insert_if_newer(entry(2, 200, 1, 5000)));
  const StoreStats s = c.stats();
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.bytes, 300 + 2 * CachedResponse::kOverheadBytes);
  EXPECT_EQ(s.max_bytes, size_t{1} << 20);
  EXPECT_EQ(s.evictions, 0u);
}

}  // namespace
}  // namespace ocspcache
