// Where a Redis server is and how to log in, from redis.url (DESIGN.md):
// redis://[:password@]host[:port][/db] or unix:/path. The config module
// checks the syntax at load time (redis_url_check.cc) so that a typo is
// reported with its line; this is the parse the connection uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocspcache {

struct RedisEndpoint {
  std::string host;  // empty for a unix socket
  uint16_t port = 6379;
  std::string unix_path;  // set for unix:/path
  std::string password;   // empty: no AUTH
  int db = 0;             // SELECT when not 0

  // host:port or unix:/path, for logs and /status (never the password).
  std::string address() const;
};

// Nullopt when `url` is not one of the forms above.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace ocspcache
