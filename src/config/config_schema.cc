// Every config key, once: name, kind, default, bounds, doc and the field it
// sets. Adding a key means adding a row here and a field in config.h; the
// parser, the sample config and docs/configuration.md follow from the row
// (config_docs_test fails until the generated files are refreshed).
//
// Bounds are sanity limits that catch unit slips ("16MiB" of headers, a
// timeout of "3ms" meant as "3m"), not tuning advice. Timeouts go down to
// 1ms because tests run with very short ones.
#include <array>

#include "schema.h"

namespace ocspcache::config_schema {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kSecond = 1000;
constexpr uint64_t kMinute = 60 * kSecond;
constexpr uint64_t kHour = 60 * kMinute;
constexpr uint64_t kDay = 24 * kHour;

// [[issuer]] comes last so that more of them can simply be appended.
constexpr std::array<std::string_view, 9> kTables = {
    "server", "admin", "metrics", "cache", "redis", "upstream", "stapling", "log", "issuer"};

using C = Config;
using K = Kind;

const KeySpec<Config> kGlobalKeys[] = {
    // [server]
    {.table = "server",
     .name = "listen",
     .kind = K::kListenList,
     .default_toml = R"(["127.0.0.1:8080"])",
     .doc = R"(OCSP front end addresses, "host:port" or "[v6]:port"; port 0 = ephemeral)",
     .field = field<&C::server, &ServerConfig::listen>()},
    {.table = "server",
     .name = "threads",
     .kind = K::kUInt,
     .default_toml = "0",
     .doc = "worker threads, each with its own event loop; 0 = number of cores",
     .max = 256,
     .field = field<&C::server, &ServerConfig::threads>()},
    {.table = "server",
     .name = "max_body",
     .kind = K::kSize,
     .default_toml = R"("16KiB")",
     .doc = "largest POST request body accepted",
     .min = kKiB,
     .max = kMiB,
     .field = field<&C::server, &ServerConfig::max_body_bytes>()},
    {.table = "server",
     .name = "max_header",
     .kind = K::kSize,
     .default_toml = R"("8KiB")",
     .doc = "largest request line plus headers accepted",
     .min = kKiB,
     .max = kMiB,
     .field = field<&C::server, &ServerConfig::max_header_bytes>()},
    {.table = "server",
     .name = "read_timeout",
     .kind = K::kDuration,
     .default_toml = R"("10s")",
     .doc = "a request, once started, must arrive completely within this",
     .min = 1,
     .max = kHour,
     .field = field<&C::server, &ServerConfig::read_timeout>()},
    {.table = "server",
     .name = "idle_timeout",
     .kind = K::kDuration,
     .default_toml = R"("60s")",
     .doc = "a keep-alive connection idle this long is closed",
     .min = 1,
     .max = kDay,
     .field = field<&C::server, &ServerConfig::idle_timeout>()},
    {.table = "server",
     .name = "max_connections",
     .kind = K::kUInt,
     .default_toml = "10000",
     .doc = "open client connections per process; beyond it new connections are closed at once",
     .min = 1,
     .max = 1'000'000,
     .field = field<&C::server, &ServerConfig::max_connections>()},
    {.table = "server",
     .name = "max_age_cap",
     .kind = K::kDuration,
     .default_toml = R"("1d")",
     .doc = "Cache-Control max-age never exceeds this (otherwise: time until nextUpdate)",
     .max = 30 * kDay,
     .field = field<&C::server, &ServerConfig::max_age_cap>()},
    {.table = "server",
     .name = "drain_timeout",
     .kind = K::kDuration,
     .default_toml = R"("10s")",
     .doc = "on SIGTERM, wait this long for in-flight requests",
     .max = kHour,
     .field = field<&C::server, &ServerConfig::drain_timeout>()},
    // [admin]
    {.table = "admin",
     .name = "listen",
     .kind = K::kOptionalListen,
     .default_toml = R"("127.0.0.1:9080")",
     .doc = R"(address of /metrics /healthz /readyz /status; "" disables it)",
     .field = field<&C::admin, &AdminConfig::listen>()},
    // [metrics]
    {.table = "metrics",
     .name = "track_idle",
     .kind = K::kDuration,
     .default_toml = R"("1h")",
     .doc = "a proxied certificate not asked for this long loses its ssl_ocsp_response_* series",
     .min = kSecond,
     .max = 30 * kDay,
     .reload = Reload::kLive,
     .field = field<&C::metrics, &MetricsConfig::track_idle>()},
    {.table = "metrics",
     .name = "max_series",
     .kind = K::kUInt,
     .default_toml = "10000",
     .doc = "most certificates with ssl_ocsp_response_* series; when full, idle good ones go first",
     .min = 1,
     .max = 1'000'000,
     .reload = Reload::kLive,
     .field = field<&C::metrics, &MetricsConfig::max_series>()},
    // [cache]
    {.table = "cache",
     .name = "backend",
     .kind = K::kChoice,
     .default_toml = R"("memory")",
     .doc = R"(shared store behind the in-process cache: "memory" or "redis")",
     .choices = "memory|redis",
     .not_yet = "the redis backend",
     .field = field<&C::cache, &CacheConfig::backend>()},
    {.table = "cache",
     .name = "max_bytes",
     .kind = K::kSize,
     .default_toml = R"("512MiB")",
     .doc = "memory budget for cached responses: each costs its DER bytes + 192 B; the least recently asked go first",
     .min = kMiB,
     .field = field<&C::cache, &CacheConfig::max_bytes>()},
    {.table = "cache",
     .name = "refresh_ahead",
     .kind = K::kFraction,
     .default_toml = "0.5",
     .doc = "refresh at thisUpdate + this fraction of (nextUpdate - thisUpdate); 0 < x < 1",
     .field = field<&C::cache, &CacheConfig::refresh_ahead>()},
    {.table = "cache",
     .name = "snapshot",
     .kind = K::kPath,
     .default_toml = R"("")",
     .doc = R"(memory backend: file to persist the cache to and warm it from; "" = none)",
     .not_yet = "cache snapshots",
     .field = field<&C::cache, &CacheConfig::snapshot>()},
    {.table = "cache",
     .name = "max_revocations",
     .kind = K::kUInt,
     .default_toml = "100000",
     .doc = "CertIDs remembered as revoked (about 70 B each), so an older answer for them is never "
            "cached or served again; when full, the oldest revocations are forgotten first",
     .min = 1,
     .max = 10'000'000,
     .reload = Reload::kLive,
     .field = field<&C::cache, &CacheConfig::max_revocations>()},
    // [redis]
    {.table = "redis",
     .name = "url",
     .kind = K::kRedisUrl,
     .default_toml = R"("redis://127.0.0.1:6379/0")",
     .doc = "redis://[:password@]host[:port][/db] or unix:/path",
     .field = field<&C::redis, &RedisConfig::url>()},
    {.table = "redis",
     .name = "key_prefix",
     .kind = K::kString,
     .default_toml = R"("ocspcache:")",
     .doc = "prefix of every Redis key ocspcache uses",
     .field = field<&C::redis, &RedisConfig::key_prefix>()},
    // [upstream]
    {.table = "upstream",
     .name = "timeout",
     .kind = K::kDuration,
     .default_toml = R"("3s")",
     .doc = "one responder request, connect to last byte",
     .min = 1,
     .max = 5 * kMinute,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::timeout>()},
    {.table = "upstream",
     .name = "deadline",
     .kind = K::kDuration,
     .default_toml = R"("3s")",
     .doc = "what a client waits at most for a miss, all responders together; none is asked after it",
     .min = 1,
     .max = 5 * kMinute,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::deadline>()},
    {.table = "upstream",
     .name = "negative_ttl",
     .kind = K::kDuration,
     .default_toml = R"("30s")",
     .doc = "a miss whose fetch failed is remembered this long (+-20%) per CertID: clients get "
            "tryLater at once and no responder is asked for it; 0s = off",
     .max = kHour,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::negative_ttl>()},
    {.table = "upstream",
     .name = "breaker_failures",
     .kind = K::kUInt,
     .default_toml = "5",
     .doc = "failed exchanges in a row that open a responder's circuit breaker (nobody asks it "
            "until a probe succeeds); 0 = never open",
     .max = 1000,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::breaker_failures>()},
    {.table = "upstream",
     .name = "breaker_backoff",
     .kind = K::kDuration,
     .default_toml = R"("1s")",
     .doc = "how long an opened breaker waits before its first probe; doubles after each failed "
            "probe, +-20% jitter",
     .min = 1,
     .max = kHour,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::breaker_backoff>()},
    {.table = "upstream",
     .name = "breaker_max_backoff",
     .kind = K::kDuration,
     .default_toml = R"("1m")",
     .doc = "the longest wait between probes of an open breaker",
     .min = 1,
     .max = kDay,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::breaker_max_backoff>()},
    {.table = "upstream",
     .name = "hedge_after",
     .kind = K::kDuration,
     .default_toml = R"("0s")",
     .doc = "when a responder has not answered after this long, the next one is asked too and "
            "the first valid answer wins; 0s = off",
     .max = 5 * kMinute,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::hedge_after>()},
    {.table = "upstream",
     .name = "max_fetches_per_responder",
     .kind = K::kUInt,
     .default_toml = "16",
     .doc = "exchanges in flight to one responder at most (so connections to it); more wait in "
            "the queue",
     .min = 1,
     .max = 10'000,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::max_fetches_per_responder>()},
    {.table = "upstream",
     .name = "max_fetches",
     .kind = K::kUInt,
     .default_toml = "256",
     .doc = "exchanges in flight to all responders together at most; more wait in the queue",
     .min = 1,
     .max = 100'000,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::max_fetches>()},
    {.table = "upstream",
     .name = "queue",
     .kind = K::kUInt,
     .default_toml = "4096",
     .doc = "misses waiting for an exchange slot at most; when it is full a miss is answered "
            "tryLater at once; a queued miss waits no longer than upstream.deadline",
     .max = 1'000'000,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::queue>()},
    {.table = "upstream",
     .name = "rate",
     .kind = K::kUInt,
     .default_toml = "0",
     .doc = "exchanges started per second per responder at most (one second of burst); more "
            "wait in the queue; 0 = no limit",
     .max = 1'000'000,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::rate>()},
    {.table = "upstream",
     .name = "allow_hosts",
     .kind = K::kHostPatternList,
     .default_toml = "[]",
     .doc = "forward-proxy mode: responder hosts clients may name in an absolute URI or Host "
            "header (exact names, \"*.example.com\" for names below it, IP addresses); a "
            "private or loopback address is reached only if listed itself; empty = off",
     .field = field<&C::upstream, &UpstreamConfig::allow_hosts>()},
    {.table = "upstream",
     .name = "forward_max_responders",
     .kind = K::kUInt,
     .default_toml = "256",
     .doc = "forward-proxy mode: responder URLs (each with its own breaker and health) kept at "
            "once; beyond it the longest unused one is forgotten",
     .min = 1,
     .max = 100000,
     .field = field<&C::upstream, &UpstreamConfig::forward_max_responders>()},
    {.table = "upstream",
     .name = "nonce",
     .kind = K::kChoice,
     .default_toml = R"("cache")",
     .doc = "requests carrying a nonce: \"cache\" answers them from the cache (the nonce is "
            "dropped), \"passthrough\" sends them as they are to the responder, uncached, one "
            "exchange per request",
     .choices = "cache|passthrough",
     .field = field<&C::upstream, &UpstreamConfig::nonce>()},
    {.table = "upstream",
     .name = "max_response",
     .kind = K::kSize,
     .default_toml = R"("64KiB")",
     .doc = "largest responder answer accepted",
     .min = kKiB,
     .max = 16 * kMiB,
     .field = field<&C::upstream, &UpstreamConfig::max_response_bytes>()},
    {.table = "upstream",
     .name = "clock_skew",
     .kind = K::kDuration,
     .default_toml = R"("5m")",
     .doc = "how far in the future a response's thisUpdate may lie",
     .max = kDay,
     .reload = Reload::kLive,
     .field = field<&C::upstream, &UpstreamConfig::clock_skew>()},
    {.table = "upstream",
     .name = "idle_timeout",
     .kind = K::kDuration,
     .default_toml = R"("30s")",
     .doc = "a keep-alive connection to a responder unused this long is closed (responders "
            "commonly close idle ones after 5s to 60s; a closed one is never reused)",
     .min = 1,
     .max = kHour,
     .field = field<&C::upstream, &UpstreamConfig::idle_timeout>()},
    {.table = "upstream",
     .name = "max_idle",
     .kind = K::kUInt,
     .default_toml = "16",
     .doc = "idle keep-alive connections kept per responder origin (scheme, host, port) and "
            "event loop; 0 = a new connection per request",
     .max = 10'000,
     .field = field<&C::upstream, &UpstreamConfig::max_idle>()},
    {.table = "upstream",
     .name = "ca_file",
     .kind = K::kOptionalFile,
     .default_toml = R"("")",
     .doc = "PEM bundle of the CAs trusted for https:// responders, replacing the system store; "
            "\"\" = the system store",
     .field = field<&C::upstream, &UpstreamConfig::ca_file>()},
    {.table = "upstream",
     .name = "http_proxy",
     .kind = K::kProxyUrl,
     .default_toml = R"("")",
     .doc = "outbound proxy for every responder, \"http://host:port\": http:// responders are "
            "asked with an absolute URI, https:// ones through CONNECT; \"\" = direct",
     .field = field<&C::upstream, &UpstreamConfig::http_proxy>()},
    // [stapling]
    {.table = "stapling",
     .name = "certs",
     .kind = K::kStringList,
     .default_toml = "[]",
     .doc = "globs of PEM chain files (leaf first) to keep stapled",
     .not_yet = "stapling",
     .field = field<&C::stapling, &StaplingConfig::certs>()},
    {.table = "stapling",
     .name = "ocsp_files",
     .kind = K::kBool,
     .default_toml = "true",
     .doc = "write <chain file>.ocsp beside each chain (HAProxy's convention)",
     .field = field<&C::stapling, &StaplingConfig::ocsp_files>()},
    {.table = "stapling",
     .name = "dir",
     .kind = K::kPath,
     .default_toml = R"("")",
     .doc = R"(also write <dir>/<name>.der for nginx ssl_stapling_file; "" = off)",
     .not_yet = "stapling",
     .field = field<&C::stapling, &StaplingConfig::dir>()},
    {.table = "stapling",
     .name = "haproxy_sockets",
     .kind = K::kStringList,
     .default_toml = "[]",
     .doc = "HAProxy runtime APIs to push responses to: unix:/path or host:port",
     .not_yet = "stapling",
     .field = field<&C::stapling, &StaplingConfig::haproxy_sockets>()},
    {.table = "stapling",
     .name = "after_update",
     .kind = K::kString,
     .default_toml = R"("")",
     .doc = R"(command run after staple files change, e.g. an nginx reload; "" = none)",
     .not_yet = "stapling",
     .field = field<&C::stapling, &StaplingConfig::after_update>()},
    // [log]
    {.table = "log",
     .name = "level",
     .kind = K::kChoice,
     .default_toml = R"("info")",
     .doc = "least severe level written to stderr: debug, info, warn or error",
     .choices = "debug|info|warn|error",
     .reload = Reload::kLive,
     .field = field<&C::log, &LogConfig::level>()},
    {.table = "log",
     .name = "upstream_error_interval",
     .kind = K::kDuration,
     .default_toml = R"("10s")",
     .doc = "an upstream error (responder, outcome) is logged once per this at most; 0s = always",
     .max = kHour,
     .reload = Reload::kLive,
     .field = field<&C::log, &LogConfig::upstream_error_interval>()},
};

// Required keys have no default; default_toml is what the sample config
// shows, pointing at the demo PKI that scripts/demo.sh creates.
const KeySpec<IssuerConfig> kIssuerKeys[] = {
    {.table = "issuer",
     .name = "name",
     .kind = K::kString,
     .default_toml = R"("Demo Intermediate CA")",
     .doc = "label of this CA in metrics and logs; non-empty and unique",
     .required = true,
     .reload = Reload::kLive,
     .field = field<&IssuerConfig::name>()},
    {.table = "issuer",
     .name = "cert",
     .kind = K::kReadableFile,
     .default_toml = R"("../.demo/pki/intermediate.pem")",
     .doc = "PEM certificate of the CA; a relative path is relative to this config file",
     .required = true,
     .reload = Reload::kLive,
     .field = field<&IssuerConfig::cert_path>()},
    {.table = "issuer",
     .name = "responders",
     .kind = K::kHttpUrlList,
     .default_toml = R"(["http://127.0.0.1:8888/"])",
     .doc = "OCSP responder URLs (http:// or https://), tried in order",
     .required = true,
     .reload = Reload::kLive,
     .field = field<&IssuerConfig::responders>()},
};

}  // namespace

std::span<const std::string_view> table_names() {
  return kTables;
}
std::span<const KeySpec<Config>> global_keys() {
  return kGlobalKeys;
}
std::span<const KeySpec<IssuerConfig>> issuer_keys() {
  return kIssuerKeys;
}

std::string_view table_doc(std::string_view table) {
  if (table == "server") return "The OCSP front end: listeners, worker threads, request limits.";
  if (table == "admin") return "Admin endpoint: /metrics, /healthz, /readyz, /status.";
  if (table == "metrics") {
    return "Per-certificate ssl_ocsp_response_* series: which certificates, how many.";
  }
  if (table == "cache") return "Response cache: in-process L1 and the shared store behind it.";
  if (table == "redis") return "Redis connection, used when cache.backend = \"redis\".";
  if (table == "upstream") return "Requests to the CAs' OCSP responders.";
  if (table == "issuer") {
    return "One [[issuer]] per issuing CA: requests are routed by issuer, responses verified.";
  }
  if (table == "stapling") return "Staples written for web servers.";
  if (table == "log") return "Logging to stderr.";
  return "";
}

}  // namespace ocspcache::config_schema
