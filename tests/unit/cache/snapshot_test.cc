// The snapshot file's format (cache/snapshot.h): what is written reads
// back whole, and a file damaged anywhere (cut at any length, any byte
// changed, lengths that lie) is refused as a whole, before anything is
// allocated from its claims. Re-validation of the entries is in the
// integration test (real responses): tests/integration/snapshot_test.cc.
#include "ocspcache/cache/snapshot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/util/sha256.h"

namespace ocspcache {
namespace {

constexpr int64_t kNow = 1'800'000'000;

ocsp::CacheKey key(uint8_t n) {
  ocsp::CacheKey k;
  k.bytes.fill(n);
  return k;
}

EntryPtr entry(uint8_t n, int64_t next_update, size_t size = 300) {
  std::vector<uint8_t> der(size, n);
  CachedResponse::Facts facts;
  facts.this_update = kNow - 60;
  facts.next_update = next_update;
  return CachedResponse::make(key(n), der, facts);
}

struct Fixture {
  MemoryStore store{1 << 20, 1};
  RevocationLedger ledger;
  Fixture() {
    store.insert_if_newer(entry(1, kNow + 3600));
    store.insert_if_newer(entry(2, kNow + 7200, 1000));
    store.insert_if_newer(entry(3, kNow - 1));  // expired: not written
    ledger.restore({key(9), kNow - 30, kNow - 86'400});
  }
};

std::vector<uint8_t> bytes_of(std::span<const uint8_t> s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> encoded(const Fixture& f) {
  return encode_snapshot(take_snapshot(f.store, f.ledger, kNow));
}

TEST(Snapshot, WhatIsWrittenReadsBackAndExpiredEntriesAreLeftOut) {
  Fixture f;
  const SnapshotImage image = take_snapshot(f.store, f.ledger, kNow);
  EXPECT_EQ(image.entries.size(), 2u);
  const auto file = encode_snapshot(image);
  EXPECT_EQ(file.size(), encoded_size(image));
  auto back = decode_snapshot(file);
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->entries.size(), 2u);
  for (const auto& e : back->entries) {
    const EntryPtr original = f.store.peek(e.key, kNow);
    ASSERT_TRUE(original);
    EXPECT_EQ(bytes_of(e.der), bytes_of(original->der()));
  }
  EXPECT_EQ(bytes_of(back->ledger), f.ledger.serialize());
  RevocationLedger restored;
  ASSERT_TRUE(restored.load(back->ledger));
  EXPECT_EQ(*restored.find(key(9)), (RevocationRecord{key(9), kNow - 30, kNow - 86'400}));
}

// The image holds the entries themselves: what is evicted (or replaced)
// while the file is being written is still written whole.
TEST(Snapshot, TheImageKeepsItsEntriesWhileTheStoreMovesOn) {
  Fixture f;
  const SnapshotImage image = take_snapshot(f.store, f.ledger, kNow);
  const auto before = encode_snapshot(image);
  f.store.erase(key(1));
  f.store.erase(key(2));
  EXPECT_EQ(encode_snapshot(image), before);
  auto back = decode_snapshot(before);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->entries.size(), 2u);
}

TEST(Snapshot, AnEmptyCacheMakesAValidFile) {
  MemoryStore store(1 << 20, 1);
  RevocationLedger ledger;
  const auto file = encode_snapshot(take_snapshot(store, ledger, kNow));
  auto back = decode_snapshot(file);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->entries.empty());
  EXPECT_TRUE(back->ledger.empty());
}

TEST(Snapshot, ACutFileIsRefusedAtEveryLength) {
  Fixture f;
  const auto file = encoded(f);
  for (size_t len = 0; len < file.size(); ++len) {
    auto r = decode_snapshot(std::span<const uint8_t>(file.data(), len));
    EXPECT_FALSE(r.ok()) << "cut to " << len << " of " << file.size() << " bytes";
  }
  std::vector<uint8_t> longer = file;
  longer.push_back(0);
  EXPECT_FALSE(decode_snapshot(longer).ok());
}

TEST(Snapshot, AnyChangedByteIsRefused) {
  Fixture f;
  const auto file = encoded(f);
  for (size_t i = 0; i < file.size(); ++i) {
    std::vector<uint8_t> bad = file;
    bad[i] ^= 0x01;
    EXPECT_FALSE(decode_snapshot(bad).ok()) << "byte " << i << " changed";
  }
}

// A file around `body`, built by hand from the format in snapshot.h.
std::vector<uint8_t> file_with_body(const std::vector<uint8_t>& body, uint8_t version = 2) {
  std::vector<uint8_t> file = {'O', 'C', 'S', 'P', 'S', 'N', 'A', 'P', 0, 0, 0, version};
  for (int s = 56; s >= 0; s -= 8) file.push_back(static_cast<uint8_t>(body.size() >> s));
  file.insert(file.end(), body.begin(), body.end());
  Sha256 h;
  h.update(body);
  const auto d = h.finish();
  file.insert(file.end(), d.begin(), d.end());
  return file;
}

// Files written by one build are read by the next: the bytes are those of
// the format as documented, not merely whatever decode_snapshot accepts.
TEST(Snapshot, TheBytesAreTheDocumentedFormat) {
  MemoryStore store(1 << 20, 1);
  EntryPtr tracked = entry(5, kNow + 60, 3);
  tracked->mark_tracked();
  store.insert_if_newer(tracked);
  RevocationLedger ledger;
  ledger.restore({key(9), 0x0102, -1});
  std::vector<uint8_t> body = {0, 0, 0, 1};        // one entry
  body.insert(body.end(), 32, 5);                  // its key
  body.push_back(1);                               // flags: tracked
  body.insert(body.end(), {0, 0, 0, 3, 5, 5, 5});  // DER length, DER
  body.insert(body.end(), {0, 0, 0, 48});          // ledger length: one record
  body.insert(body.end(), 32, 9);
  body.insert(body.end(), {0, 0, 0, 0, 0, 0, 1, 2});                          // thisUpdate
  body.insert(body.end(), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});  // revocationTime
  EXPECT_EQ(encode_snapshot(take_snapshot(store, ledger, kNow)), file_with_body(body));
}

// A body whose checksum is right but whose lengths lie (a bug, or a file
// made to look valid): refused with the reason, nothing allocated from the
// claimed sizes.
TEST(Snapshot, LyingLengthsAreRefusedEvenWithAGoodChecksum) {
  // Four billion entries claimed in eight bytes.
  auto r = decode_snapshot(file_with_body({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("entry count"), std::string::npos) << r.error();
  // One entry whose DER length runs past the end.
  std::vector<uint8_t> body = {0, 0, 0, 1};
  body.insert(body.end(), 32, 7);
  body.push_back(0);
  body.insert(body.end(), {0, 0, 0x10, 0});
  body.insert(body.end(), 10, 1);
  r = decode_snapshot(file_with_body(body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cut short"), std::string::npos) << r.error();
  // Ledger bytes not a whole number of records.
  r = decode_snapshot(file_with_body({0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5}));
  ASSERT_FALSE(r.ok());
  // Another version.
  r = decode_snapshot(file_with_body({0, 0, 0, 0, 0, 0, 0, 0}, 3));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("version"), std::string::npos);
}

// Whether a tracked client asked (metrics.track_clients) survives a
// restart, so invented serials asked from elsewhere do not get series
// when the snapshot is loaded; a version-1 file (written before the flag)
// still loads, its entries as tracked as they all were then.
TEST(Snapshot, TheTrackedFlagRoundTripsAndVersionOneIsStillRead) {
  MemoryStore store(1 << 20, 1);
  EntryPtr tracked = entry(1, kNow + 60, 3);
  tracked->mark_tracked();
  store.insert_if_newer(tracked);
  store.insert_if_newer(entry(2, kNow + 60, 3));
  RevocationLedger ledger;
  const auto file = encode_snapshot(take_snapshot(store, ledger, kNow));
  auto back = decode_snapshot(file);
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->entries.size(), 2u);
  for (const auto& e : back->entries) EXPECT_EQ(e.tracked, e.key == key(1)) << e.key.hex();

  std::vector<uint8_t> body = {0, 0, 0, 1};
  body.insert(body.end(), 32, 5);
  body.insert(body.end(), {0, 0, 0, 3, 5, 5, 5});
  body.insert(body.end(), {0, 0, 0, 0});
  auto v1 = decode_snapshot(file_with_body(body, 1));
  ASSERT_TRUE(v1.ok()) << v1.error();
  ASSERT_EQ(v1->entries.size(), 1u);
  EXPECT_TRUE(v1->entries[0].tracked);
  EXPECT_EQ(v1->entries[0].der.size(), 3u);
}

}  // namespace
}  // namespace ocspcache
