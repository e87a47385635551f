// A private scratch directory per test (configs, logs, forged responses),
// removed when the test ends so runs leave nothing behind. Set
// OCSPCACHE_KEEP_TEST_DIRS=1 to keep them for a post-mortem.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ocspcache::it {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "ocspcache-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Writes CONTENT to NAME inside the directory and returns its full path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// Whole-file helpers shared by the harness and the tests.
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace ocspcache::it
