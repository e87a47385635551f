// The snapshot file on disk (cache/snapshot.h, src/cache/snapshot_file.cc):
// a write replaces the file whole or not at all, and a write that fails
// says why and leaves the previous file as it was; a read tells a missing
// file (a first start) from an unreadable or oversized one.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ocspcache/cache/snapshot.h"

namespace ocspcache {
namespace {

class SnapshotFileTest : public ::testing::Test {
 protected:
  SnapshotFileTest() {
    std::string templ = (std::filesystem::temp_directory_path() / "ocspcache-snapfile-XXXXXX");
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    root = templ;
  }
  ~SnapshotFileTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  static std::string contents(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

  std::filesystem::path root;
};

TEST_F(SnapshotFileTest, AWriteReplacesTheFileAndLeavesNoTempFile) {
  const std::string path = (root / "cache.snap").string();
  std::string error;
  ASSERT_TRUE(write_snapshot_file(path, bytes("first"), &error)) << error;
  ASSERT_TRUE(write_snapshot_file(path, bytes("second, longer"), &error)) << error;
  EXPECT_EQ(contents(path), "second, longer");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
      << "the cache is nobody else's to read";

  std::vector<uint8_t> back;
  bool missing = true;
  ASSERT_TRUE(read_snapshot_file(path, 1024, &back, &error, &missing)) << error;
  EXPECT_FALSE(missing);
  EXPECT_EQ(back, bytes("second, longer"));
}

TEST_F(SnapshotFileTest, AFailedWriteSaysWhyAndKeepsThePreviousFile) {
  const std::string path = (root / "cache.snap").string();
  std::string error;
  ASSERT_TRUE(write_snapshot_file(path, bytes("previous"), &error)) << error;
  // The temp file cannot be opened for writing (a directory is in the way):
  // what a full or read-only disk does at one step or another.
  std::filesystem::create_directory(path + ".tmp");
  EXPECT_FALSE(write_snapshot_file(path, bytes("next"), &error));
  EXPECT_NE(error.find(path + ".tmp"), std::string::npos) << error;
  EXPECT_EQ(contents(path), "previous");

  const std::string nowhere = (root / "no-such-dir" / "cache.snap").string();
  error.clear();
  EXPECT_FALSE(write_snapshot_file(nowhere, bytes("next"), &error));
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
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
