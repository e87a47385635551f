// Turns one TOML node into a checked Value for a schema row, or throws a
// ConfigError that names file, line, key and reason. Shared by the loader
// (config_load.cc) and, for unit formatting, the doc renderer.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "schema.h"

namespace ocspcache::config_schema {

struct LoadContext {
  std::string file;                // as given by the caller, for messages
  std::filesystem::path base_dir;  // absolute directory of `file`
};

// What convert() needs of a row, independent of the row's target struct.
struct KeyRules {
  Kind kind;
  uint64_t min;
  uint64_t max;
  std::string_view choices;

  template <class Target>
  static KeyRules of(const KeySpec<Target>& spec) {
    return {spec.kind, spec.min, spec.max, spec.choices};
  }
};

// "FILE:LINE: MESSAGE" (LINE omitted when the source is unknown).
[[noreturn]] void fail_at(const LoadContext& ctx, const toml::source_region& where,
                          std::string_view message);
// "FILE:LINE: key 'KEY': REASON".
[[noreturn]] void fail(const LoadContext& ctx, const toml::source_region& where,
                       std::string_view key, std::string_view reason);

Value convert(const LoadContext& ctx, const toml::node& node, std::string_view key,
              const KeyRules& rules);

// "toml table", "integer", ... for "expected X, got Y" messages.
std::string_view type_name(const toml::node& node);

// Largest exact unit: 90000 -> "90s", 86400000 -> "1d"; 2048 -> "2KiB".
std::string format_duration(uint64_t ms);
std::string format_size(uint64_t bytes);

}  // namespace ocspcache::config_schema
