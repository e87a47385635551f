// The config schema: one row per key (name, kind, default, bounds, doc,
// where the value goes). The rows in config_schema.cc drive parsing
// (config_load.cc), value checks (config_values.cc) and the sample config and
// reference docs (config_render.cc), following Redis' static_configs[] and
// Pelikan's option tables, so none of them can drift from the others.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ocspcache/config/config.h"

namespace ocspcache::config_schema {

enum class Kind {
  kBool,
  kUInt,            // integer in [min, max]
  kFraction,        // float, exclusive (0, 1)
  kString,          // any string
  kChoice,          // one of `choices` ("a|b|c")
  kPath,            // string; resolved against the config file's directory if relative
  kReadableFile,    // kPath that must name a readable regular file
  kOptionalFile,    // "" (none), or a kReadableFile
  kStringList,      // array of strings
  kHostPatternList, // array of host names, "*." wildcards and IP literals (allow lists)
  kCidrList,        // array of "10.0.0.0/8", "2001:db8::/32" or bare IP addresses
  kDuration,        // string "250ms" / "3s" / "5m" / "1h" / "1d", in [min, max] ms
  kSize,            // integer bytes or string "64KiB", in [min, max] bytes
  kListenList,      // array of "host:port" (or one string), at least one
  kOptionalListen,  // "host:port", or "" for off
  kHttpUrlList,     // non-empty array of http:// or https:// URLs
  kProxyUrl,        // "" (none), or http://host[:port] of a forward proxy
  kRedisUrl,        // redis://[:password@]host[:port][/db] or unix:/path
};

// A checked value, ready to store. The alternative is fixed by the Kind.
using Value =
    std::variant<bool, int64_t, double, std::string, std::vector<std::string>, Millis, size_t,
                 std::vector<HostPort>, std::optional<HostPort>, std::vector<HttpUrl>>;

// How a running process takes a changed value on SIGHUP: applied at once,
// or only by a restart (the reload says which keys). The row states it, so
// the list of restart-only keys is derived, never hand-kept.
enum class Reload { kRestart, kLive };

// Where a row's value goes in its target struct, and how to compare two
// targets on it (for the reload's "what changed").
template <class Target>
struct Field {
  void (*set)(Target&, Value&&) = nullptr;
  bool (*same)(const Target&, const Target&) = nullptr;
};

template <class Target>
struct KeySpec {
  std::string_view table;  // "server"; "issuer" for the [[issuer]] rows
  std::string_view name;
  Kind kind;
  // TOML text of the default, used for the sample config and the docs. For a
  // required key it is the example the sample config shows.
  std::string_view default_toml;
  std::string_view doc;  // one line
  bool required = false;
  uint64_t min = 0;  // bounds in the kind's unit: count, ms or bytes
  uint64_t max = std::numeric_limits<uint64_t>::max();
  std::string_view choices = {};
  // Non-empty: the feature is not built yet, so only the default is accepted.
  // The key is still parsed and type-checked, so lifting this is one edit.
  std::string_view not_yet = {};
  Reload reload = Reload::kRestart;
  Field<Target> field = {};
};

// Stores a Value into the member reached through a chain of member pointers,
// e.g. assign<&Config::server, &ServerConfig::threads>.
template <class T>
struct MemberClass;
template <class C, class M>
struct MemberClass<M C::*> {
  using type = C;
};

template <auto First, auto... Rest>
void assign(typename MemberClass<decltype(First)>::type& target, Value&& value) {
  auto& field = ((target.*First).*....*Rest);
  using Field = std::remove_cvref_t<decltype(field)>;
  std::visit(
      [&field](auto&& v) {
        using V = std::remove_cvref_t<decltype(v)>;
        if constexpr (std::is_same_v<V, Field>) {
          field = std::forward<decltype(v)>(v);
        } else if constexpr (std::is_integral_v<V> && std::is_integral_v<Field> &&
                             !std::is_same_v<V, bool> && !std::is_same_v<Field, bool>) {
          field = static_cast<Field>(v);  // bounds were checked against the row
        } else {
          throw std::logic_error("config schema: row kind does not fit its field");
        }
      },
      std::move(value));
}

template <auto First, auto... Rest>
bool same(const typename MemberClass<decltype(First)>::type& a,
          const typename MemberClass<decltype(First)>::type& b) {
  return ((a.*First).*....*Rest) == ((b.*First).*....*Rest);
}

// The Field of the member reached through a chain of member pointers.
template <auto First, auto... Rest>
constexpr Field<typename MemberClass<decltype(First)>::type> field() {
  return {&assign<First, Rest...>, &same<First, Rest...>};
}

// The top-level tables, in the order of the sample config and the docs.
std::span<const std::string_view> table_names();
// Rows of the plain tables ([server], [admin], ...), grouped by table.
std::span<const KeySpec<Config>> global_keys();
// Rows of each [[issuer]] entry.
std::span<const KeySpec<IssuerConfig>> issuer_keys();
// One-line description of a table, for the sample config and the docs.
std::string_view table_doc(std::string_view table);

}  // namespace ocspcache::config_schema
