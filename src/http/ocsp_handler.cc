#include "ocspcache/http/ocsp_handler.h"

#include <array>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/http/connection.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/http_date.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/http/response_writer.h"
#include "ocspcache/http/worker.h"

namespace ocspcache {
namespace {

// GET targets are decoded into this per-thread buffer: no allocation.
thread_local std::array<uint8_t, ocsp::kMaxRequestDer> t_get_der;

Flights::Waiter waiter_for(Worker& worker, const Connection& conn) {
  const uint64_t conn_id = conn.id();
  Worker* w = &worker;
  return [w, conn_id](const FetchOutcome& outcome) {
    w->post([w, conn_id, outcome] {
      if (Connection* c = w->find_connection(conn_id)) c->resume(outcome);
    });
  };
}

// The path of the responder a forwarded request names: a POST's as sent; a
// GET's without the base64 request (and the '/' before it), which we send
// as a POST body instead.
std::string_view forward_path(const HttpRequest& req, size_t b64_offset) {
  const std::string_view path = req.forward->path;
  if (req.method == HTTP_POST) return path;
  // b64_offset counts in req.target; path is its tail.
  const size_t path_at = req.target.size() - path.size();
  std::string_view prefix = path.substr(0, b64_offset > path_at ? b64_offset - path_at : 0);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  return prefix.empty() ? "/" : prefix;
}

}  // namespace

void handle_ocsp_request(Worker& worker, Connection& conn, const HttpRequest& req) {
  const uint64_t start = monotonic_ns();
  Services& svc = worker.services();
  ReplyContext ctx;
  ctx.now = worker.now();
  ctx.max_age_cap = svc.config->server.max_age_cap.count() / 1000;
  ctx.keep_alive = conn.keep_alive();
  ctx.http10 = conn.http10();
  ctx.head = req.method == HTTP_HEAD;

  ReqMethod method = ReqMethod::kOther;
  std::span<const uint8_t> der;
  size_t b64_offset = 0;  // forwarded GETs: where the base64 starts in the target
  if (req.method == HTTP_POST) {
    method = ReqMethod::kPost;
    der = req.body;
  } else if (req.method == HTTP_GET || req.method == HTTP_HEAD) {
    method = ReqMethod::kGet;
    auto n = ocsp::decode_get_target(req.target, t_get_der,
                                     req.forward != nullptr ? &b64_offset : nullptr);
    if (!n.ok()) {
      append_ocsp_error(conn.out(), ocsp::ResponseCode::kMalformedRequest, ctx);
      worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
      return;
    }
    der = std::span<const uint8_t>(t_get_der.data(), *n);
  } else {
    append_http_error(conn.out(), 405, ctx, "Allow: GET, HEAD, POST\r\n");
    worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
    return;
  }

  auto decoded = ocsp::decode_request(der);
  if (!decoded.ok()) {
    append_ocsp_error(conn.out(), ocsp::ResponseCode::kMalformedRequest, ctx);
    worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
    return;
  }
  const ocsp::CacheKey key = ocsp::make_cache_key(*decoded);
  // A nonce in passthrough mode wants the responder's own answer: no hit.
  const bool uncached = decoded->has_nonce && worker.nonce_passthrough();
  if (EntryPtr entry = uncached ? nullptr : svc.store->lookup(key, ctx.now)) {
    // What lets the metrics revive this entry's certificates' series.
    if (conn.tracked_client()) entry->mark_tracked();
    // Conditional GETs only: RFC 9110 §13.1 has POST ignore If-Modified-Since
    // and answer a matching If-None-Match with the content, not 304.
    if (method == ReqMethod::kGet &&
        not_modified(req.if_none_match, req.if_modified_since, *entry)) {
      append_not_modified(conn.out(), *entry, ctx);
    } else {
      append_ocsp_hit(conn.out(), *entry, ctx);
    }
    worker.stats().count_request(method, ReqResult::kHit, monotonic_ns() - start);
    return;
  }

  std::shared_ptr<const RouteTable> routes = svc.routes.load();
  const Route* route = routes->find(*decoded);
  if (req.forward != nullptr) {
    // The parser only marks requests while a forwarder exists.
    conn.set_pending(method, start, ctx.head);
    Forwarder::Miss miss{*req.forward, forward_path(req, b64_offset), der, key, std::move(routes),
                         route, uncached, conn.tracked_client()};
    worker.forwarder()->resolve(miss, waiter_for(worker, conn));
    return;
  }
  if (route == nullptr) {
    append_ocsp_error(conn.out(), ocsp::ResponseCode::kUnauthorized, ctx);
    worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
    return;
  }

  conn.set_pending(method, start, ctx.head);
  if (uncached) {
    worker.resolver().resolve_uncached(key, std::vector<uint8_t>(der.begin(), der.end()),
                                       MissRoute{std::move(routes), route, nullptr,
                                                 conn.tracked_client()},
                                       waiter_for(worker, conn));
    return;
  }
  worker.resolver().resolve(key, *decoded, std::move(routes), *route, conn.tracked_client(),
                            waiter_for(worker, conn));
}

}  // namespace ocspcache
