#include "ocspcache/redis/redis_endpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ocspcache {

std::string RedisEndpoint::address() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kUnix = "unix:";
  constexpr std::string_view kRedis = "redis://";
  RedisEndpoint ep;
  if (url.starts_with(kUnix)) {
    ep.unix_path = std::string(url.substr(kUnix.size()));
    if (ep.unix_path.empty() || ep.unix_path.front() != '/') return std::nullopt;
    return ep;
  }
  if (!url.starts_with(kRedis)) return std::nullopt;
  std::string_view rest = url.substr(kRedis.size());
  // The password may hold '/', ':' or '@': the authority ends at the last '@'.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = rest.substr(0, at);
    // redis://:password@ (no user), and redis://user:password@ is read the same.
    if (size_t colon = user_info.find(':'); colon != std::string_view::npos) {
      ep.password = std::string(user_info.substr(colon + 1));
    } else {
      ep.password = std::string(user_info);
    }
    rest.remove_prefix(at + 1);
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    ep.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    ep.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (ep.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return std::nullopt;
    }
    ep.port = static_cast<uint16_t>(port);
  }
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (db.empty() || db.size() > 5 ||
        !std::all_of(db.begin(), db.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    std::from_chars(db.data(), db.data() + db.size(), ep.db);
  }
  return ep;
}

}  // namespace ocspcache
