// Configuration: the TOML keys of DESIGN.md, parsed by toml++ and checked in
// three steps (structure, meaning, runtime objects). Errors are exceptions
// here only: config is start-up (and reload) code, never the data path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ocspcache {

using Millis = std::chrono::milliseconds;

// Thrown by load_config. what() reads "FILE:LINE: key 'a.b': reason".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;  // literal IPv4/IPv6 address or name; IPv6 without brackets
  uint16_t port = 0;
  std::string to_string() const;  // "[::1]:80" for IPv6
};

// An http:// responder URL split for the upstream client.
struct HttpUrl {
  std::string original;  // as written in the config, used as the metric label
  std::string host;
  uint16_t port = 80;
  std::string path = "/";  // always starts with '/'
};

struct ServerConfig {
  std::vector<HostPort> listen{{"127.0.0.1", 8080}};
  unsigned threads = 0;                  // 0 = number of cores
  size_t max_body_bytes = 16 * 1024;     // POST body
  size_t max_header_bytes = 8 * 1024;    // request line + headers
  Millis read_timeout{10'000};           // a started request must complete
  Millis idle_timeout{60'000};           // keep-alive connection with no request
  size_t max_connections = 10'000;       // per process; beyond it accept pauses
  Millis max_age_cap{86'400'000};        // Cache-Control max-age never exceeds this
  Millis drain_timeout{10'000};          // SIGTERM: wait this long for in-flight requests
};

struct AdminConfig {
  std::optional<HostPort> listen = HostPort{"127.0.0.1", 9080};  // "" disables
};

struct CacheConfig {
  std::string backend = "memory";
  size_t max_bytes = 512ull * 1024 * 1024;
  double refresh_ahead = 0.5;
  std::string snapshot;
};

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379/0";
  std::string key_prefix = "ocspcache:";
};

struct UpstreamConfig {
  Millis timeout{3'000};
  std::vector<std::string> allow_hosts;
  size_t max_response_bytes = 64 * 1024;
  Millis clock_skew{300'000};  // allowed thisUpdate-in-the-future skew
};

struct IssuerConfig {
  std::string name;
  std::string cert_path;  // PEM; readability and parse checked at load
  std::vector<HttpUrl> responders;
  int line = 0;  // where the [[issuer]] table starts, for later messages
};

struct StaplingConfig {
  std::vector<std::string> certs;
  bool ocsp_files = true;
  std::string dir;
  std::vector<std::string> haproxy_sockets;
  std::string after_update;
};

struct LogConfig {
  std::string level = "info";  // debug | info | warn | error
};

struct Config {
  std::string path;  // file it was loaded from
  ServerConfig server;
  AdminConfig admin;
  CacheConfig cache;
  RedisConfig redis;
  UpstreamConfig upstream;
  std::vector<IssuerConfig> issuers;
  StaplingConfig stapling;
  LogConfig log;
};

// Reads, parses and validates FILE. Throws ConfigError naming file, line,
// key and reason. Features not built yet (redis backend, snapshot, stapling,
// forward proxy) are rejected with "not yet supported".
Config load_config(const std::string& path);

// Parsers shared with tests: "250ms" "3s" "5m" "1h" "1d"; "64KiB" "512MiB" "1GiB" "100" (bytes).
std::optional<Millis> parse_duration(std::string_view text);
std::optional<size_t> parse_size(std::string_view text);
std::optional<HostPort> parse_host_port(std::string_view text);
std::optional<HttpUrl> parse_http_url(std::string_view text);

}  // namespace ocspcache
