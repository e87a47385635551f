// The real UpstreamClient: HTTP/1.1 POST to OCSP responders on one event
// loop, over keep-alive connections pooled per origin (connection_pool.h),
// with names resolved asynchronously and cached for their TTL
// (resolver.h), https:// through OpenSSL (tls_context.h), and optionally
// through an outbound proxy (proxy_connect.h).
//
// One client per event_base, used only from that loop's thread. A
// warm miss costs no DNS lookup and no connect: the request is written on
// a parked connection. Redirects are never followed (a 3xx is an answer
// the fetcher judges).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ocspcache/upstream/client.h"
#include "ocspcache/upstream/connection_pool.h"
#include "ocspcache/upstream/dns_cache.h"
#include "ocspcache/upstream/resolver.h"
#include "ocspcache/upstream/transport_stats.h"
#include "ocspcache/util/host_allow_list.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"

struct event_base;

namespace ocspcache {

struct UpstreamConfig;
class TlsContext;

struct HttpClientOptions {
  size_t max_response_bytes = 64 * 1024;
  PoolLimits pool;
  std::string ca_file;                // "" = the system store
  std::optional<HttpUrl> http_proxy;  // none: direct
  // AddressPolicy::kPublicOnly lets through a special-purpose address only
  // when it is listed here (upstream.allow_hosts). Not applied through a
  // proxy: the proxy, the operator's egress, resolves the name.
  HostAllowList allow;
  DnsPolicy dns;
  // Shared with the metrics layer (and other loops' clients); null: the
  // client keeps its own.
  std::shared_ptr<TransportStats> stats;
  const Clock* clock = nullptr;  // null: the system clock

  static HttpClientOptions from(const UpstreamConfig& config,
                                std::shared_ptr<TransportStats> stats = nullptr);
};

class HttpUpstreamClient final : public UpstreamClient {
 public:
  // Throws std::runtime_error when options.ca_file cannot be loaded.
  HttpUpstreamClient(event_base* base, HttpClientOptions options);
  HttpUpstreamClient(event_base* base, size_t max_response_bytes);
  ~HttpUpstreamClient() override;
  HttpUpstreamClient(const HttpUpstreamClient&) = delete;
  HttpUpstreamClient& operator=(const HttpUpstreamClient&) = delete;

  void post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout, AddressPolicy policy,
            Callback done) override;
  size_t in_flight() const override { return calls_.size(); }

  const TransportStats& stats() const { return *stats_; }
  size_t open_connections() const { return pool_.open_connections(); }

 private:
  struct Call;
  ConnectionPool::Origin& origin_for(const HttpUrl& url);
  const TlsContext* tls();

  event_base* base_;
  HttpClientOptions options_;
  const Clock& clock_;
  std::shared_ptr<TransportStats> stats_;
  std::unique_ptr<TlsContext> tls_;  // made on the first https:// exchange unless ca_file
  Resolver resolver_;
  ConnectionPool pool_;
  // Responder URL (as configured) -> its origin, so a miss does not
  // rebuild the origin key.
  std::unordered_map<std::string, ConnectionPool::Origin*> origins_;
  // Every exchange not yet delivered, so the destructor can free those cut
  // off by a drain timeout (their callbacks never run).
  std::unordered_set<Call*> calls_;
};

}  // namespace ocspcache
