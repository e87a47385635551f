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
  if (EntryPtr entry = svc.cache->lookup(key, ctx.now)) {
    entry->mark_asked(ctx.now);  // lock- and allocation-free (cached_response.h)
    if (not_modified(req.if_none_match, req.if_modified_since, *entry)) {
      append_not_modified(conn.out(), *entry, ctx);
    } else {
      append_ocsp_hit(conn.out(), *entry, ctx);
    }
    worker.stats().count_request(method, ReqResult::kHit, monotonic_ns() - start);
    return;
  }

  // Every CertID of one request must belong to one configured issuer: that
  // issuer's responders are asked and its key checks the answer.
  std::shared_ptr<const ocsp::IssuerRegistry> registry = svc.issuers.load();
  const ocsp::Issuer* issuer = registry->find(decoded->ids[0]);
  for (size_t i = 1; issuer != nullptr && i < decoded->count; ++i) {
    if (!issuer->matches(decoded->ids[i])) issuer = nullptr;
  }
  if (issuer == nullptr) {
    append_ocsp_error(conn.out(), ocsp::ResponseCode::kUnauthorized, ctx);
    worker.stats().count_request(method, ReqResult::kError, monotonic_ns() - start);
    return;
  }

  conn.set_pending(method, start, ctx.head);
  const uint64_t conn_id = conn.id();
  Worker* w = &worker;
  auto waiter = [w, conn_id](const FetchOutcome& outcome) {
    w->post([w, conn_id, outcome] {
      if (Connection* c = w->find_connection(conn_id)) c->resume(outcome);
    });
  };
  if (svc.flights->join(key, std::move(waiter))) {
    // A flight that ended between our lookup and join has filled the cache;
    // check again rather than ask the responder twice.
    if (EntryPtr entry = svc.cache->lookup(key, ctx.now)) {
      svc.flights->complete(key, FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful});
    } else {
      worker.fetcher().start(key, ocsp::build_upstream_request(*decoded), std::move(registry),
                             *issuer);
    }
  }
}

}  // namespace ocspcache
