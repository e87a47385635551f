#include "ocspcache/upstream/http_client.h"

#include <event2/event.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "ocspcache/config/config.h"
#include "ocspcache/upstream/proxy_connect.h"
#include "ocspcache/upstream/retry_after.h"
#include "ocspcache/upstream/tls_context.h"
#include "ocspcache/upstream/upstream_connection.h"
#include "ocspcache/util/ip_address.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {
namespace {

uint16_t default_port(const HttpUrl& url) { return url.https ? 443 : 80; }

// "host" or "host:port" (port only when not the scheme's), for Host and
// absolute URIs.
std::string host_value(const HttpUrl& url) {
  if (url.port == default_port(url)) {
    return url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  }
  return authority(url.host, url.port);
}

std::string build_request(const HttpUrl& url, std::span<const uint8_t> body, bool absolute_uri,
                          bool keep_alive) {
  std::string out;
  out.reserve(256 + url.path.size() + body.size());
  out += "POST ";
  if (absolute_uri) out += "http://" + host_value(url);
  out += url.path;
  out += " HTTP/1.1\r\nHost: ";
  out += host_value(url);
  out += "\r\nContent-Type: application/ocsp-request\r\nAccept: application/ocsp-response\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out.append(reinterpret_cast<const char*>(body.data()), body.size());
  return out;
}

TransportStatus transport_status(ConnError error) {
  switch (error) {
    case ConnError::kNone: return TransportStatus::kOk;
    case ConnError::kMalformed:
    case ConnError::kTooLarge: return TransportStatus::kHttpError;
    default: return TransportStatus::kConnectError;
  }
}

const char* error_name(ConnError error) {
  switch (error) {
    case ConnError::kConnect: return "connect";
    case ConnError::kProxy: return "proxy";
    case ConnError::kTls: return "tls";
    case ConnError::kClosed: return "closed";
    case ConnError::kMalformed: return "malformed";
    case ConnError::kTooLarge: return "too_large";
    case ConnError::kNone: break;
  }
  return "none";
}

}  // namespace

HttpClientOptions HttpClientOptions::from(const UpstreamConfig& config,
                                          std::shared_ptr<TransportStats> stats) {
  HttpClientOptions o;
  o.max_response_bytes = config.max_response_bytes;
  o.pool.idle_timeout = config.idle_timeout;
  o.pool.max_idle = config.max_idle;
  o.ca_file = config.ca_file;
  if (!config.http_proxy.empty()) o.http_proxy = parse_http_url(config.http_proxy);
  o.allow = HostAllowList(config.allow_hosts);
  o.stats = std::move(stats);
  return o;
}

// One exchange, owned by itself from post() until delivery: libevent and
// the resolver call back through raw pointers. Completion is always
// delivered from a fresh loop callback (never inside post()), and one
// deadline covers lookup, connect, handshake and answer.
struct HttpUpstreamClient::Call final : UpstreamConnection::Exchange {
  HttpUpstreamClient* client = nullptr;
  Callback done;
  ConnectionPool::Origin* origin = nullptr;
  std::string responder;  // the URL, for the log
  ConnectTarget target;   // addr filled once resolved
  std::string connect_host;
  std::string request;
  UpstreamConnection* conn = nullptr;  // while an exchange is on one
  uint64_t ticket = 0;                 // while a lookup is pending
  bool public_only = false;  // AddressPolicy::kPublicOnly, direct
  bool reused = false;
  bool retried = false;
  event* deadline = nullptr;
  event* deliver = nullptr;
  std::chrono::steady_clock::time_point start;
  bool finished = false;
  UpstreamReply reply;

  void begin() {
    if (UpstreamConnection* parked = client->pool_.take(*origin)) {
      reused = true;
      conn = parked;
      conn->send(request, this);  // a parked connection always takes it
      return;
    }
    open_fresh();
  }

  void open_fresh() {
    reused = false;
    Resolver::Result r = client->resolver_.resolve(connect_host, [this](bool ok, const IpAddr& a) {
      ticket = 0;
      if (!ok) return fail_early("dns");
      connect(a);
    });
    if (r.sent_query) origin->stats->dns_lookups.fetch_add(1, std::memory_order_relaxed);
    switch (r.status) {
      case Resolver::Status::kReady: return connect(r.addr);
      case Resolver::Status::kFailed: return fail_early("dns");
      case Resolver::Status::kPending: ticket = r.ticket; return;
    }
  }

  void connect(const IpAddr& addr) {
    if (public_only) {
      const IpAddress address{addr.family, addr.bytes};
      if (!client->options_.allow.lists(address) && is_special_address(address)) {
        log_failure("address", "refused: " + connect_host + " resolved to " + address.to_string() +
                                   ", a special-purpose address not listed in upstream.allow_hosts");
        return finish(UpstreamReply{TransportStatus::kConnectError, 0, {}, 0});
      }
    }
    target.addr = addr;
    const TlsContext* tls = target.tls ? client->tls() : nullptr;
    if (target.tls && tls == nullptr) return fail_early("tls");
    conn = client->pool_.add(*origin, std::make_unique<UpstreamConnection>(
                                          client->base_, tls, target,
                                          client->options_.max_response_bytes, client->pool_));
    if (!conn->send(request, this)) {
      client->pool_.close(conn);
      conn = nullptr;
      fail_early("connect");
    }
  }

  void fail_early(const char* stage) {
    log_failure(stage, {});
    finish(UpstreamReply{TransportStatus::kConnectError, 0, {}, 0});
  }

  void on_result(UpstreamConnection& c, ConnResult result) override {
    conn = nullptr;
    if (result.error == ConnError::kNone) {
      UpstreamReply r;
      r.transport = TransportStatus::kOk;
      r.http_status = result.status;
      r.body = std::move(result.body);
      if (result.status == 503 && !result.retry_after.empty()) {
        r.retry_after_s = retry_after_seconds(result.retry_after, client->clock_.unix_seconds());
      }
      client->pool_.release(&c, result.keep_alive);
      finish(std::move(r));
      return;
    }
    client->pool_.close(&c);
    // The keep-alive race: the server closed the parked connection just
    // as we wrote on it. Nothing of an answer came, so nothing was
    // processed that a retry could duplicate; once, on a new connection.
    if (reused && !retried && result.error == ConnError::kClosed && !result.bytes_seen) {
      retried = true;
      open_fresh();
      return;
    }
    log_failure(error_name(result.error), result.detail);
    finish(UpstreamReply{transport_status(result.error), 0, {}, 0});
  }

  // The outcome label says connect_error; the reason (a certificate that
  // does not verify, a proxy refusing) is only here, rate-limited.
  void log_failure(std::string_view stage, std::string_view detail) {
    std::string fields = "responder=" + responder + " stage=" + std::string(stage);
    if (!detail.empty()) fields += " reason=" + log::quoted(detail);
    log::upstream_errors().warn("transport " + responder + " " + std::string(stage),
                                "upstream_transport_failed", std::move(fields));
  }

  // Records the outcome and schedules delivery on the next loop turn.
  void finish(UpstreamReply r) {
    if (finished) return;
    finished = true;
    reply = std::move(r);
    reply.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    event_del(deadline);
    event_active(deliver, 0, 0);
  }

  static void on_deliver(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Call*>(arg);
    self->client->calls_.erase(self);
    Callback cb = std::move(self->done);
    UpstreamReply r = std::move(self->reply);
    self->release();
    cb(std::move(r));
  }

  static void on_deadline(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Call*>(arg);
    self->drop_work();
    self->finish(UpstreamReply{TransportStatus::kTimeout, 0, {}, 0});
  }

  // Stops a lookup or an exchange still under way, without callbacks. A
  // connection cut mid-exchange is closed, never reused: its answer may
  // still arrive.
  void drop_work() {
    if (conn != nullptr) client->pool_.close(conn);
    conn = nullptr;
    if (ticket != 0) client->resolver_.cancel(ticket);
    ticket = 0;
  }

  // Frees everything the exchange owns; `this` is gone afterwards.
  void release() {
    drop_work();
    event_free(deadline);
    event_free(deliver);
    delete this;  // NOLINT: self-owned libevent callback state
  }
};

HttpUpstreamClient::HttpUpstreamClient(event_base* base, HttpClientOptions options)
    : base_(base),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock()),
      stats_(options_.stats ? options_.stats : std::make_shared<TransportStats>()),
      resolver_(base, clock_, options_.dns),
      pool_(options_.pool, *stats_) {
  // A configured CA file is loaded now, so a bad one stops start-up; the
  // system store waits for the first https:// responder.
  if (!options_.ca_file.empty()) tls_ = std::make_unique<TlsContext>(options_.ca_file);
}

HttpUpstreamClient::HttpUpstreamClient(event_base* base, size_t max_response_bytes)
    : HttpUpstreamClient(base, [max_response_bytes] {
        HttpClientOptions o;
        o.max_response_bytes = max_response_bytes;
        return o;
      }()) {}

HttpUpstreamClient::~HttpUpstreamClient() {
  // Exchanges cut off by shutdown: free them without calling back (the
  // loop is gone, and so is anyone who would read the answer).
  for (Call* call : calls_) call->release();
  calls_.clear();
}

const TlsContext* HttpUpstreamClient::tls() {
  if (!tls_) {
    try {
      tls_ = std::make_unique<TlsContext>(options_.ca_file);
    } catch (const std::exception& e) {
      log::error("upstream_tls_unavailable", "reason=" + log::quoted(e.what()));
      return nullptr;
    }
  }
  return tls_.get();
}

ConnectionPool::Origin& HttpUpstreamClient::origin_for(const HttpUrl& url) {
  auto it = origins_.find(url.original);
  if (it != origins_.end()) return *it->second;
  const std::string key = (url.https ? "https://" : "http://") + authority(url.host, url.port);
  ConnectionPool::Origin& o = pool_.origin(key);
  origins_.emplace(url.original, &o);
  return o;
}

void HttpUpstreamClient::post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout,
                              AddressPolicy policy, Callback done) {
  auto* call = new Call();  // NOLINT: freed in Call::on_deliver
  call->client = this;
  call->done = std::move(done);
  call->start = std::chrono::steady_clock::now();
  call->deliver = event_new(base_, -1, 0, &Call::on_deliver, call);
  call->deadline = evtimer_new(base_, &Call::on_deadline, call);
  calls_.insert(call);
  call->origin = &origin_for(url);
  call->responder = url.original;

  const std::optional<HttpUrl>& proxy = options_.http_proxy;
  call->target.host = url.host;
  call->target.host_port = url.port;
  call->target.tls = url.https;
  call->target.tunnel = proxy.has_value() && url.https;
  call->target.port = proxy ? proxy->port : url.port;
  call->connect_host = proxy ? proxy->host : url.host;
  call->public_only = policy == AddressPolicy::kPublicOnly && !proxy;
  call->request = build_request(url, body, /*absolute_uri=*/proxy && !url.https,
                                options_.pool.max_idle > 0);

  const timeval tv = to_timeval(timeout);
  evtimer_add(call->deadline, &tv);
  call->begin();
}

}  // namespace ocspcache
