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
  if (req.method == HTTP_POST) {
    method = ReqMethod::kPost;
    der = req.body;
  } else if (req.method == HTTP_GET || req.method == HTTP_HEAD) {
    method = ReqMethod::kGet;
    auto n = ocsp::decode_get_target(req.target, t_get_der);
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
  if (EntryPtr entry = svc.store->lookup(key, ctx.now)) {
    if (not_modified(req.if_none_match, req.if_modified_since, *entry)) {
      append_not_modified(conn.out(), *entry, ctx);
    } else {
      append_ocsp_hit(conn.out(), *entry, ctx);
    }
    worker.stats().count_request(method, ReqResult::kHit, monotonic_ns() - start);
    return;
  }

  std::shared_ptr<const RouteTable> routes = svc.routes.load();
  const Route* route = routes->find(*decoded);
  if (route == nullptr) {
    append_ocsp_error(conn.out(), ocsp::ResponseCode::kUnauthorized, ctx);
    worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
    return;
  }

  conn.set_pending(method, start, ctx.head);
  const uint64_t conn_id = conn.id();
  Worker* w = &worker;
  worker.resolver().resolve(key, *decoded, std::move(routes), *route,
                            [w, conn_id](const FetchOutcome& outcome) {
                              w->post([w, conn_id, outcome] {
                                if (Connection* c = w->find_connection(conn_id)) c->resume(outcome);
                              });
                            });
}

}  // namespace ocspcache
