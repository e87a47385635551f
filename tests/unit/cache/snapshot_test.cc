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

TEST(Snapshot, WhatIsWrittenReadsBackAndExpiredEntriesAreLeftOut) {
  Fixture f;
  size_t written = 0;
  const auto file = encode_snapshot(f.store, f.ledger, kNow, &written);
  EXPECT_EQ(written, 2u);
  auto back = decode_snapshot(file);
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_EQ(back->entries.size(), 2u);
  for (const auto& e : back->entries) {
    const EntryPtr original = f.store.peek(e.key, kNow);
    ASSERT_TRUE(original);
    EXPECT_EQ(e.der, std::vector<uint8_t>(original->der().begin(), original->der().end()));
  }
  EXPECT_EQ(back->ledger, f.ledger.serialize());
  RevocationLedger restored;
  ASSERT_TRUE(restored.load(back->ledger));
  EXPECT_EQ(*restored.find(key(9)), (RevocationRecord{key(9), kNow - 30, kNow - 86'400}));
}

TEST(Snapshot, AnEmptyCacheMakesAValidFile) {
  MemoryStore store(1 << 20, 1);
  RevocationLedger ledger;
  auto back = decode_snapshot(encode_snapshot(store, ledger, kNow));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->entries.empty());
  EXPECT_TRUE(back->ledger.empty());
}

TEST(Snapshot, ACutFileIsRefusedAtEveryLength) {
  Fixture f;
  const auto file = encode_snapshot(f.store, f.ledger, kNow);
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
  const auto file = encode_snapshot(f.store, f.ledger, kNow);
  for (size_t i = 0; i < file.size(); ++i) {
    std::vector<uint8_t> bad = file;
    bad[i] ^= 0x01;
    EXPECT_FALSE(decode_snapshot(bad).ok()) << "byte " << i << " changed";
  }
}

// A body whose checksum is right but whose lengths lie (a bug, or a file
// made to look valid): refused with the reason, nothing allocated from the
// claimed sizes.
TEST(Snapshot, LyingLengthsAreRefusedEvenWithAGoodChecksum) {
  auto file_with_body = [](const std::vector<uint8_t>& body) {
    std::vector<uint8_t> file = {'O', 'C', 'S', 'P', 'S', 'N', 'A', 'P', 0, 0, 0, 1};
    for (int s = 56; s >= 0; s -= 8) file.push_back(static_cast<uint8_t>(body.size() >> s));
    file.insert(file.end(), body.begin(), body.end());
    Sha256 h;
    h.update(body);
    const auto d = h.finish();
    file.insert(file.end(), d.begin(), d.end());
    return file;
  };
  // Four billion entries claimed in eight bytes.
  auto r = decode_snapshot(file_with_body({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("entry count"), std::string::npos) << r.error();
  // One entry whose DER length runs past the end.
  std::vector<uint8_t> body = {0, 0, 0, 1};
  body.insert(body.end(), 32, 7);
  body.insert(body.end(), {0, 0, 0x10, 0});
  body.insert(body.end(), 10, 1);
  r = decode_snapshot(file_with_body(body));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cut short"), std::string::npos) << r.error();
  // Ledger bytes not a whole number of records.
  r = decode_snapshot(file_with_body({0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5}));
  ASSERT_FALSE(r.ok());
  // Another version.
  std::vector<uint8_t> v2 = file_with_body({0, 0, 0, 0, 0, 0, 0, 0});
  v2[11] = 2;
  r = decode_snapshot(v2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("version"), std::string::npos);
}

}  // namespace
}  // namespace ocspcache
