// Syntax check of cache.redis url at load time, so a typo is reported with
// its line even while the redis backend is off. The redis module owns the
// real parsing (and the connection); this only decides "valid or why not".
#include <algorithm>
#include <cctype>

#include "values.h"

namespace ocspcache::config_schema {

std::optional<std::string> redis_url_problem(std::string_view url) {
  constexpr std::string_view kUnix = "unix:";
  constexpr std::string_view kRedis = "redis://";
  if (url.starts_with(kUnix)) {
    std::string_view path = url.substr(kUnix.size());
    if (path.empty() || path.front() != '/') return "unix: needs an absolute socket path";
    return std::nullopt;
  }
  if (!url.starts_with(kRedis)) return "use redis://[:password@]host[:port][/db] or unix:/path";
  std::string_view rest = url.substr(kRedis.size());
  // The password may contain '/' or ':', so the authority ends at the last '@'.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string host_port(authority);
  bool has_port = authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                             : authority.find(':') != std::string_view::npos;
  if (!has_port) host_port += ":6379";
  auto parsed = parse_host_port(host_port);
  if (!parsed || parsed->port == 0) return "bad host or port";
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (db.empty() || db.size() > 5 ||
        !std::all_of(db.begin(), db.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return "the database after '/' must be a number";
    }
  }
  return std::nullopt;
}

}  // namespace ocspcache::config_schema
