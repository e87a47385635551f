// Value syntaxes of the config file: durations, sizes, listen addresses and
// responder URLs. Deliberately strict (integer + unit, no spaces, no
// fractions): a config value that could be read two ways is an error, not a
// guess. The loader turns a nullopt into a message that names the key.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

#include "ocspcache/config.h"
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

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  std::string_view rest = text;
  auto value = take_number(rest);
  if (!value || *value > 65535) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

// "host" or "[v6]" followed by an optional ":port". `port` stays untouched
// when absent so callers can supply a scheme default.
std::optional<HostPort> parse_authority(std::string_view text, bool port_required,
                                        uint16_t default_port) {
  HostPort out;
  out.port = default_port;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6_literal(out.host)) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = text.find(':');
    // A second colon means an unbracketed IPv6 literal: "::1:80" has no
    // single reading, so brackets are required (as in URLs, RFC 3986).
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return std::nullopt;
    }
    out.host = std::string(text.substr(0, colon));
    if (!is_host_name(out.host)) return std::nullopt;
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port) return std::nullopt;
    out.port = *port;
  } else if (port_required) {
    return std::nullopt;
  }
  return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string HostPort::to_string() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}

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

// Port 0 is accepted: for a listen address it asks the kernel for an
// ephemeral port, which is how tests run many daemons side by side.
std::optional<HostPort> parse_host_port(std::string_view text) {
  return parse_authority(text, /*port_required=*/true, 0);
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!iequals_prefix(text, kScheme)) return std::nullopt;
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c) || c == '#'; })) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials
  auto host_port = parse_authority(authority, /*port_required=*/false, 80);
  if (!host_port || host_port->port == 0) return std::nullopt;
  HttpUrl out;
  out.original = std::string(text);
  out.host = std::move(host_port->host);
  out.port = host_port->port;
  if (path_start != std::string_view::npos) {
    std::string_view path = rest.substr(path_start);
    out.path = path.front() == '/' ? std::string(path) : "/" + std::string(path);
  }
  return out;
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
