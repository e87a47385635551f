// Listen addresses and responder URLs as the config file writes them.
// Strict on purpose: a value that could be read two ways is rejected.
#include "ocspcache/util/net_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ocspcache {
namespace {

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
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
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

std::string RedisEndpoint::address() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  return HostPort{host, port}.to_string();
}

std::string HostPort::to_string() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}


// Port 0 is accepted: for a listen address it asks the kernel for an
// ephemeral port, which is how tests run many daemons side by side.
std::optional<HostPort> parse_host_port(std::string_view text) {
  return parse_authority(text, /*port_required=*/true, 0);
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  const bool https = iequals_prefix(text, "https://");
  if (!https && !iequals_prefix(text, "http://")) return std::nullopt;
  const size_t scheme_len = https ? 8 : 7;
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c) || c == '#'; })) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(scheme_len);
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials
  auto host_port = parse_authority(authority, /*port_required=*/false, https ? 443 : 80);
  if (!host_port || host_port->port == 0) return std::nullopt;
  HttpUrl out;
  out.https = https;
  out.original = std::string(text);
  out.host = std::move(host_port->host);
  out.port = host_port->port;
  if (path_start != std::string_view::npos) {
    std::string_view path = rest.substr(path_start);
    out.path = path.front() == '/' ? std::string(path) : "/" + std::string(path);
  }
  return out;
}

}  // namespace ocspcache

namespace ocspcache {

Result<RedisEndpoint, std::string> parse_redis_url(std::string_view url) {
  constexpr std::string_view kUnix = "unix:";
  constexpr std::string_view kRedis = "redis://";
  RedisEndpoint ep;
  if (url.starts_with(kUnix)) {
    ep.unix_path = std::string(url.substr(kUnix.size()));
    if (ep.unix_path.empty() || ep.unix_path.front() != '/') {
      return Err{std::string("unix: needs an absolute socket path")};
    }
    return ep;
  }
  if (!url.starts_with(kRedis)) return Err{std::string("use redis://[:password@]host[:port][/db] or unix:/path")};
  std::string_view rest = url.substr(kRedis.size());
  // The password may hold '/', ':' or '@': the authority ends at the last '@'.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    // redis://:password@ (no user); redis://user:password@ is read the same.
    const std::string_view user_info = rest.substr(0, at);
    const size_t colon = user_info.find(':');
    ep.password = std::string(colon == std::string_view::npos ? user_info : user_info.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  const size_t slash = rest.find('/');
  auto authority = parse_authority(rest.substr(0, slash), /*port_required=*/false, 6379);
  if (!authority || authority->port == 0) return Err{std::string("bad host or port")};
  ep.host = std::move(authority->host);
  ep.port = authority->port;
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (db.empty() || db.size() > 5 ||
        !std::all_of(db.begin(), db.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return Err{std::string("the database after '/' must be a number")};
    }
    std::from_chars(db.data(), db.data() + db.size(), ep.db);
  }
  return ep;
}

}  // namespace ocspcache
