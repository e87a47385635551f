// Scratch directory for config tests: configs and issuer files are written
// under /tmp (never into the repo) and removed when the test ends.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ocspcache/config/config.h"

namespace ocspcache::testing {

class ConfigTestDir {
 public:
  ConfigTestDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "ocspcache-config-XXXXXX");
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    root_ = templ;
  }
  ~ConfigTestDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  ConfigTestDir(const ConfigTestDir&) = delete;
  ConfigTestDir& operator=(const ConfigTestDir&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // Writes `text` to root/relative (creating directories); returns its path.
  std::string write(const std::string& relative, const std::string& text) const {
    auto path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // The message of the ConfigError that loading `text` throws, or "" if it loads.
  std::string load_error(const std::string& text, const std::string& name = "x.toml") const {
    std::string path = write(name, text);
    try {
      load_config(path);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

 private:
  std::filesystem::path root_;
};

}  // namespace ocspcache::testing
