// Configuration: the TOML keys of DESIGN.md, parsed by toml++ and checked in
// three steps (structure, meaning, runtime objects). Errors are exceptions
// here only: config is start-up (and reload) code, never the data path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/util/duration.h"
#include "ocspcache/util/net_address.h"

namespace ocspcache {

// Thrown by load_config. what() reads "FILE:LINE: key 'a.b': reason".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerConfig {
  std::vector<HostPort> listen{{"127.0.0.1", 8080}};
  unsigned threads = 0;                  // 0 = number of cores
  size_t max_body_bytes = 16 * 1024;     // POST body
  size_t max_header_bytes = 8 * 1024;    // request line + headers
  Millis read_timeout{10'000};           // a started request must complete
  Millis idle_timeout{60'000};           // keep-alive connection with no request
  size_t max_connections = 10'000;       // per process; beyond it accept pauses
  size_t max_connections_per_client = 0;  // per source address (IPv6: /64); 0 = no limit
  Millis max_age_cap{86'400'000};        // Cache-Control max-age never exceeds this
  Millis drain_timeout{10'000};          // SIGTERM: wait this long for in-flight requests
  bool operator==(const ServerConfig&) const = default;
};

struct AdminConfig {
  std::optional<HostPort> listen = HostPort{"127.0.0.1", 9080};  // "" disables
  bool operator==(const AdminConfig&) const = default;
};

struct CacheConfig {
  std::string backend = "memory";
  size_t max_bytes = 512ull * 1024 * 1024;
  double refresh_ahead = 0.5;
  Millis refresh_idle{3'600'000};  // a proxied answer not asked this long is not refreshed
  double refresh_share = 0.25;     // of upstream.max_fetches, for background refreshes
  std::string snapshot;  // memory backend: warm-restart file; "" = none
  Millis snapshot_interval{300'000};
  size_t max_revocations = 100'000;  // revocation ledger records (sticky revocation)
  bool operator==(const CacheConfig&) const = default;
};

struct RedisConfig {
  std::string url = "redis://127.0.0.1:6379/0";
  std::string key_prefix = "ocspcache:";
  Millis timeout{250};  // connect (with login) and each command
  std::vector<std::string> sentinels;  // "host:port"; with master_name, replace url's host
  std::string master_name;
  std::vector<std::string> cluster;    // not yet supported
  bool operator==(const RedisConfig&) const = default;
};

struct UpstreamConfig {
  Millis timeout{3'000};
  Millis deadline{3'000};  // all responders of one fetch together
  uint32_t breaker_failures = 5;
  Millis breaker_backoff{1'000};
  Millis breaker_max_backoff{60'000};
  Millis negative_ttl{30'000};  // a failed fetch remembered per CertID; 0 = off
  Millis hedge_after{0};        // ask the next responder too after this; 0 = off
  uint32_t max_fetches_per_responder = 16;
  uint32_t max_fetches = 256;   // all responders together
  uint32_t queue = 4096;        // fetches waiting for a slot
  uint32_t rate = 0;            // exchanges started per second per responder; 0 = no limit
  std::vector<std::string> allow_hosts;  // forward-proxy mode; empty = off
  size_t forward_max_responders = 256;    // forwarded responder URLs remembered at once
  std::string nonce = "cache";            // "cache" | "passthrough"
  size_t max_response_bytes = 64 * 1024;
  Millis clock_skew{300'000};  // allowed thisUpdate-in-the-future skew
  Millis idle_timeout{30'000};  // a pooled keep-alive connection unused this long is closed
  uint32_t max_idle = 16;       // pooled idle connections kept per origin; 0 = no keep-alive
  std::string ca_file;          // PEM trust for https:// responders; "" = system store
  std::string http_proxy;       // "http://host:port" of an outbound proxy; "" = none
  bool operator==(const UpstreamConfig&) const = default;
};

struct IssuerConfig {
  std::string name;
  std::string cert_path;  // PEM; readability and parse checked at load
  std::vector<HttpUrl> responders;
  int line = 0;  // where the [[issuer]] table starts, for later messages
  bool operator==(const IssuerConfig&) const = default;
};

struct StaplingConfig {
  std::vector<std::string> certs;
  bool ocsp_files = true;
  std::string dir;
  std::vector<std::string> haproxy_sockets;
  std::string after_update;
  Millis min_remaining{600'000};  // never write an answer with less left than this
  bool operator==(const StaplingConfig&) const = default;
};

struct MetricsConfig {
  Millis track_idle{3'600'000};  // a proxied certificate not asked this long loses its series
  size_t max_series = 10'000;    // certificates with ssl_ocsp_response_* series at most
  std::vector<std::string> track_clients;  // CIDRs whose asks make series; empty = loopback+private
  bool operator==(const MetricsConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";  // debug | info | warn | error
  Millis upstream_error_interval{10'000};  // same (responder, outcome) logged once per this
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  std::string path;  // file it was loaded from
  ServerConfig server;
  AdminConfig admin;
  MetricsConfig metrics;
  CacheConfig cache;
  RedisConfig redis;
  UpstreamConfig upstream;
  std::vector<IssuerConfig> issuers;
  StaplingConfig stapling;
  LogConfig log;
  // Lets a reload tell what changed, and tests compare with the defaults.
  bool operator==(const Config&) const = default;
};

// Reads, parses and validates FILE. Throws ConfigError naming file, line,
// key and reason. Features not built yet (stapling)
// are rejected with "not yet supported".
Config load_config(const std::string& path);

// Parsers shared with tests: "250ms" "3s" "5m" "1h" "1d"; "64KiB" "512MiB" "1GiB" "100" (bytes).
std::optional<Millis> parse_duration(std::string_view text);
std::optional<size_t> parse_size(std::string_view text);

// The keys ("server.threads") whose value differs between the running
// config and `next` and that a reload cannot apply: their schema row says
// "restart". Every other key is applied by a SIGHUP reload.
std::vector<std::string> keys_needing_restart(const Config& running, const Config& next);

// The sample config (every key with its default and a comment) and the
// Markdown key reference, both rendered from the schema table that drives
// parsing, so conf/ocspcache.toml and docs/configuration.md cannot drift from
// the code (a unit test compares them).
std::string render_sample_config();
// packaging/ocspcache.toml: the production default the Debian package installs
// as /etc/ocspcache/ocspcache.toml (every key commented out at its default,
// no issuer).
std::string render_packaged_config();
std::string render_config_reference();

}  // namespace ocspcache
