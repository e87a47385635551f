// Value syntaxes of the config file: durations and sizes (addresses and
// URLs are util/net_address.h). Deliberately strict (integer + unit, no spaces, no
// fractions): a config value that could be read two ways is an error, not a
// guess. The loader turns a nullopt into a message that names the key.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

#include "ocspcache/config/config.h"
#include "values.h"

namespace ocspcache {
namespace {

// Leading decimal digits of `text` as an unsigned value; the rest is left in
// `text`. nullopt if there are no digits or the value overflows.
std::optional<uint64_t> take_number(std::string_view& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return value;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
  auto value = take_number(text);
  if (!value) return std::nullopt;
  uint64_t unit_ms = 0;
  if (text == "ms") {
    unit_ms = 1;
  } else if (text == "s") {
    unit_ms = 1000;
  } else if (text == "m") {
    unit_ms = 60'000;
  } else if (text == "h") {
    unit_ms = 3'600'000;
  } else if (text == "d") {
    unit_ms = 86'400'000;
  } else {
    return std::nullopt;  // no unit, unknown unit, or trailing garbage
  }
  auto ms = checked_mul(*value, unit_ms);
  if (!ms || *ms > static_cast<uint64_t>(std::numeric_limits<Millis::rep>::max())) {
    return std::nullopt;
  }
  return Millis{static_cast<Millis::rep>(*ms)};
}

// Only IEC units: "MB" means 10^6 to SI and 2^20 to Redis and nginx ("1m"),
// so it is rejected rather than silently read one way.
std::optional<size_t> parse_size(std::string_view text) {
  auto value = take_number(text);
  if (!value) return std::nullopt;
  uint64_t unit = 0;
  if (text.empty() || text == "B") {
    unit = 1;
  } else if (text == "KiB") {
    unit = uint64_t{1} << 10;
  } else if (text == "MiB") {
    unit = uint64_t{1} << 20;
  } else if (text == "GiB") {
    unit = uint64_t{1} << 30;
  } else if (text == "TiB") {
    unit = uint64_t{1} << 40;
  } else {
    return std::nullopt;
  }
  auto bytes = checked_mul(*value, unit);
  if (!bytes || *bytes > std::numeric_limits<size_t>::max()) return std::nullopt;
  return static_cast<size_t>(*bytes);
}

namespace config_schema {
namespace {

// Renders `value` in the largest unit that divides it exactly, so messages
// and docs show "1d" and "16KiB" rather than "86400000" and "16384".
template <size_t N>
std::string format_exact(uint64_t value, const std::pair<uint64_t, const char*> (&units)[N]) {
  for (const auto& [size, name] : units) {
    if (value != 0 && value % size == 0) return std::to_string(value / size) + name;
  }
  return std::to_string(value) + units[N - 1].second;
}

}  // namespace

std::string format_duration(uint64_t ms) {
  static const std::pair<uint64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  return format_exact(ms, kUnits);
}

std::string format_size(uint64_t bytes) {
  if (bytes == std::numeric_limits<uint64_t>::max()) return "unlimited";
  static const std::pair<uint64_t, const char*> kUnits[] = {{uint64_t{1} << 40, "TiB"},
                                                            {uint64_t{1} << 30, "GiB"},
                                                            {uint64_t{1} << 20, "MiB"},
                                                            {uint64_t{1} << 10, "KiB"},
                                                            {1, " bytes"}};
  return format_exact(bytes, kUnits);
}

}  // namespace config_schema
}  // namespace ocspcache
