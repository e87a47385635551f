// AtomicFile (util/atomic_file.h): the file is replaced whole on commit, or
// not at all; the temp file is always a fresh one; a failure at any step
// says which step and which path, and leaves no temp file of ours behind.
#include "ocspcache/util/atomic_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ocspcache {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  AtomicFileTest() {
    std::string templ = (std::filesystem::temp_directory_path() / "ocspcache-atomic-XXXXXX");
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    root = templ;
  }
  ~AtomicFileTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  static std::string contents(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }

  std::filesystem::path root;
};

TEST_F(AtomicFileTest, CommitReplacesTheFileWhole) {
  const std::string path = (root / "f").string();
  std::ofstream(path, std::ios::binary) << "old contents, longer than the new";
  std::string expected;
  {
    AtomicFile file(path);
    // Pieces of every size, across the buffer's bound and beyond it.
    for (size_t n : {1u, 100u, 300'000u, 7u, 1'000'000u, 0u, 5u}) {
      const std::string piece(n, static_cast<char>('a' + n % 26));
      file.append(bytes(piece));
      expected += piece;
    }
    EXPECT_EQ(contents(path), "old contents, longer than the new") << "replaced before commit";
    std::string error;
    ASSERT_TRUE(file.commit(&error)) << error;
  }
  EXPECT_EQ(contents(path), expected);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(AtomicFileTest, WithoutCommitNothingChangesAndTheTempFileGoes) {
  const std::string path = (root / "f").string();
  std::ofstream(path, std::ios::binary) << "kept";
  {
    AtomicFile file(path);
    file.append(bytes("never committed"));
  }
  EXPECT_EQ(contents(path), "kept");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// A leftover temp file (a crash mid-write) is replaced; a symlink planted
// at the temp path is removed, not written through.
TEST_F(AtomicFileTest, TheTempFileIsAlwaysFresh) {
  const std::string path = (root / "f").string();
  const std::filesystem::path victim = root / "victim";
  std::ofstream(victim, std::ios::binary) << "not to be touched";
  std::filesystem::create_symlink(victim, path + ".tmp");
  {
    AtomicFile file(path);
    file.append(bytes("new"));
    std::string error;
    ASSERT_TRUE(file.commit(&error)) << error;
  }
  EXPECT_EQ(contents(path), "new");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(contents(victim), "not to be touched");

  std::ofstream(path + ".tmp", std::ios::binary) << "leftover of a crash, longer than the new";
  {
    AtomicFile file(path);
    file.append(bytes("newer"));
    std::string error;
    ASSERT_TRUE(file.commit(&error)) << error;
  }
  EXPECT_EQ(contents(path), "newer");
}

TEST_F(AtomicFileTest, EachFailingStepIsNamed) {
  std::string error;
  {
    AtomicFile file((root / "no-such-dir" / "f").string());
    file.append(bytes("x"));
    EXPECT_FALSE(file.commit(&error));
    EXPECT_NE(error.find("open " + (root / "no-such-dir" / "f.tmp").string()), std::string::npos)
        << error;
    EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  }
  // The rename fails: the target is a non-empty directory. The temp file
  // was ours and goes.
  const std::filesystem::path dir = root / "d";
  std::filesystem::create_directories(dir / "inside");
  {
    AtomicFile file(dir.string());
    file.append(bytes("x"));
    EXPECT_FALSE(file.commit(&error));
    EXPECT_NE(error.find("rename to " + dir.string()), std::string::npos) << error;
  }
  EXPECT_TRUE(std::filesystem::is_directory(dir / "inside"));
  EXPECT_FALSE(std::filesystem::exists(dir.string() + ".tmp"));
}

}  // namespace
}  // namespace ocspcache
