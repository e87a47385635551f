// The snapshot file on disk (cache/snapshot.h, src/cache/snapshot_file.cc):
// what write_snapshot_file puts there reads back and decodes; a write that
// fails leaves the previous file as it was; a read tells a missing file (a
// first start) from an unreadable or oversized one. The atomic replace
// itself: tests/unit/util/atomic_file_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/cache/snapshot.h"

namespace ocspcache {
namespace {

constexpr int64_t kNow = 1'800'000'000;

class SnapshotFileTest : public ::testing::Test {
 protected:
  SnapshotFileTest() {
    std::string templ = (std::filesystem::temp_directory_path() / "ocspcache-snapfile-XXXXXX");
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    root = templ;
    ocsp::CacheKey k;
    k.bytes.fill(1);
    CachedResponse::Facts facts;
    facts.this_update = kNow - 60;
    facts.next_update = kNow + 3600;
    store.insert_if_newer(CachedResponse::make(k, std::vector<uint8_t>(700, 0x30), facts));
  }
  ~SnapshotFileTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  static std::string contents(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::filesystem::path root;
  MemoryStore store{1 << 20, 1};
  RevocationLedger ledger;
};

TEST_F(SnapshotFileTest, WhatIsWrittenReadsBackWhole) {
  const std::string path = (root / "cache.snap").string();
  const SnapshotImage image = take_snapshot(store, ledger, kNow);
  std::string error;
  ASSERT_TRUE(write_snapshot_file(path, image, &error)) << error;
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  std::vector<uint8_t> back;
  bool missing = true;
  ASSERT_TRUE(read_snapshot_file(path, 1 << 20, &back, &error, &missing)) << error;
  EXPECT_FALSE(missing);
  EXPECT_EQ(back, encode_snapshot(image));
  auto decoded = decode_snapshot(back);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->entries.size(), 1u);
}

TEST_F(SnapshotFileTest, AFailedWriteSaysWhyAndKeepsThePreviousFile) {
  const std::string path = (root / "cache.snap").string();
  std::ofstream(path, std::ios::binary) << "previous";
  // The temp file cannot be made (a directory is in the way): what a full
  // or read-only disk does at one step or another.
  std::filesystem::create_directory(path + ".tmp");
  std::string error;
  EXPECT_FALSE(write_snapshot_file(path, take_snapshot(store, ledger, kNow), &error));
  EXPECT_NE(error.find(path + ".tmp"), std::string::npos) << error;
  EXPECT_EQ(contents(path), "previous");
  EXPECT_TRUE(std::filesystem::is_directory(path + ".tmp")) << "not ours to remove";
}

TEST_F(SnapshotFileTest, AReadTellsMissingFromUnreadableAndOversized) {
  std::vector<uint8_t> out;
  std::string error;
  bool missing = false;
  EXPECT_FALSE(read_snapshot_file((root / "none").string(), 1024, &out, &error, &missing));
  EXPECT_TRUE(missing) << "a first start is not an error";

  // Larger than the caller allows: refused before it is read in.
  const std::string big = (root / "big").string();
  std::ofstream(big, std::ios::binary) << std::string(2048, 'x');
  missing = true;
  EXPECT_FALSE(read_snapshot_file(big, 1024, &out, &error, &missing));
  EXPECT_FALSE(missing);
  EXPECT_NE(error.find("2048 bytes"), std::string::npos) << error;
  EXPECT_TRUE(out.empty());

  // A directory where the file should be: an error, not "missing".
  missing = true;
  EXPECT_FALSE(read_snapshot_file(root.string(), 1024, &out, &error, &missing));
  EXPECT_FALSE(missing);
}

}  // namespace
}  // namespace ocspcache
