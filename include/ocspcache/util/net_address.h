// Network addresses as configured: "host:port" for listeners and http://
// or https:// URLs for responders. Plain values shared by config (which parses them),
// http (which binds them) and upstream (which connects to them).
#pragma once

#include "ocspcache/util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocspcache {

struct HostPort {
  std::string host;  // literal IPv4/IPv6 address or name; IPv6 without brackets
  uint16_t port = 0;
  std::string to_string() const;  // "[::1]:80" for IPv6
  bool operator==(const HostPort&) const = default;
};

// An http:// or https:// responder URL split for the upstream client.
struct HttpUrl {
  std::string original;  // as written in the config, used as the metric label
  std::string host;
  uint16_t port = 80;  // 443 when https and not given
  std::string path = "/";  // always starts with '/'
  bool https = false;      // last, so positional initialisers stay valid
  bool operator==(const HttpUrl&) const = default;
};

// Where a Redis server is and how to log in (redis.url, DESIGN.md).
struct RedisEndpoint {
  std::string host;       // empty for a unix socket
  uint16_t port = 6379;
  std::string unix_path;  // set for unix:/path
  std::string password;   // empty: no AUTH
  int db = 0;             // SELECT when not 0
  // host:port or unix:/path, for logs and /status (never the password).
  std::string address() const;
};

// "host:port", "[v6]:port"; port 0 allowed (ephemeral). nullopt when malformed.
std::optional<HostPort> parse_host_port(std::string_view text);
// http[s]://host[:port][/path]; no credentials, no fragment, port 1-65535.
std::optional<HttpUrl> parse_http_url(std::string_view text);
// redis://[:password@]host[:port][/db] or unix:/path; else what is wrong
// with it (the config reports it with the key's line).
Result<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace ocspcache
