#include "ocspcache/admin/status_page.h"

#include <string_view>

#include "ocspcache/util/json.h"

namespace ocspcache {
namespace {

void key(std::string& out, std::string_view name) {
  json::append_string(out, name);
  out.push_back(':');
}

void append_error(std::string& out, const std::string& text, int64_t at) {
  if (text.empty()) {
    out.append("null");
    return;
  }
  out.append("{");
  key(out, "text");
  json::append_string(out, text);
  out.append(",");
  key(out, "at");
  json::append_time(out, at);
  out.append("}");
}

void append_cert(std::string& out, const CertTracker::Row& r) {
  out.append("{");
  key(out, "issuer");
  json::append_string(out, r.issuer());
  out.append(",");
  key(out, "serial");
  json::append_string(out, r.serial());
  out.append(",");
  key(out, "status");
  json::append_string(out, to_string(r.status));
  out.append(",");
  key(out, "metricValue");
  out.append(std::to_string(metric_value(r.status)));
  for (auto [name, value] : {std::pair<std::string_view, int64_t>{"thisUpdate", r.this_update},
                             {"nextUpdate", r.next_update},
                             {"producedAt", r.produced_at}}) {
    out.append(",");
    key(out, name);
    json::append_time(out, r.has_answer ? value : 0);
  }
  out.append(",");
  key(out, "revokedAt");
  json::append_time(
      out, r.has_answer && r.revoked() ? r.revoked_at : 0);
  out.append(",");
  key(out, "nonIssued");
  out.append(r.non_issued ? "true" : "false");
  out.append(",");
  key(out, "lastAsked");
  json::append_time(out, r.last_asked);
  out.append(",");
  key(out, "lastError");
  append_error(out, r.last_error, r.last_error_at);
  out.append(",");
  key(out, "pinned");
  out.append(r.pinned ? "true" : "false");
  out.append("}");
}

void append_responder(std::string& out, const ResponderStatus& r) {
  out.append("{");
  key(out, "url");
  json::append_string(out, r.url);
  out.append(",");
  key(out, "issuers");
  out.append("[");
  for (size_t i = 0; i < r.issuers.size(); ++i) {
    if (i > 0) out.append(",");
    json::append_string(out, r.issuers[i]);
  }
  out.append("],");
  key(out, "up");
  out.append(r.up ? "true" : "false");
  out.append(",");
  key(out, "lastOk");
  json::append_time(out, r.last_ok_at);
  out.append(",");
  key(out, "lastError");
  append_error(out, r.last_error, r.last_error_at);
  out.append(",");
  key(out, "recent");
  out.append("{");
  key(out, "exchanges");
  out.append(std::to_string(r.recent_exchanges));
  out.append(",");
  key(out, "errors");
  out.append(std::to_string(r.recent_errors));
  out.append(",");
  key(out, "errorRate");
  // Integer permille then a fixed decimal: no locale, no exponent notation.
  const size_t permille = r.recent_exchanges ? r.recent_errors * 1000 / r.recent_exchanges : 0;
  out.append(std::to_string(permille / 1000) + "." + std::to_string(permille / 100 % 10) +
             std::to_string(permille / 10 % 10) + std::to_string(permille % 10));
  out.append(",");
  key(out, "window");
  out.append(std::to_string(r.window));
  out.append("},");
  key(out, "breaker");
  out.append("{");
  key(out, "state");
  json::append_string(out, r.breaker);
  out.append(",");
  key(out, "consecutiveFailures");
  out.append(std::to_string(r.consecutive_failures));
  out.append("},");
  key(out, "retryAfterSeconds");
  out.append(std::to_string(r.held_seconds));
  out.append(",");
  key(out, "inFlight");
  out.append(std::to_string(r.in_flight));
  out.append(",");
  key(out, "queued");
  out.append(std::to_string(r.queued));
  out.append("}");
}

}  // namespace

std::string render_status_json(Metrics& metrics, int64_t now) {
  // Copies first (each under its own lock, briefly), then formatting.
  const auto certs = metrics.certs().snapshot(now);
  const auto responders = metrics.responders();
  const auto options = metrics.certs().options();
  const uint64_t dropped = metrics.certs().dropped();
  const uint64_t refused = metrics.certs().refused();

  std::string out;
  out.reserve(256 + certs.size() * 400 + responders.size() * 300);
  out.append("{");
  key(out, "version");
  json::append_string(out, OCSPCACHE_VERSION);
  out.append(",");
  key(out, "now");
  json::append_time(out, now);
  out.append(",");
  key(out, "cache");
  out.append("{");
  const StoreStats cache = metrics.store() ? metrics.store()->stats() : StoreStats{};
  key(out, "entries");
  out.append(std::to_string(cache.entries));
  out.append(",");
  key(out, "bytes");
  out.append(std::to_string(cache.bytes));
  out.append(",");
  key(out, "maxBytes");
  out.append(std::to_string(cache.max_bytes));
  out.append("},");
  if (const SharedStoreStats* shared = metrics.shared()) {
    const int64_t up = shared->connections_up.load(std::memory_order_relaxed);
    const int64_t all = shared->connections.load(std::memory_order_relaxed);
    const int role = shared->role.load(std::memory_order_relaxed);
    key(out, "sharedStore");
    out.append("{");
    key(out, "backend");
    json::append_string(out, metrics.shared_info().backend);
    out.append(",");
    key(out, "configured");
    json::append_string(out, metrics.shared_info().address);
    out.append(",");
    key(out, "address");  // in use: with Sentinel, the primary found
    json::append_string(out, shared->address());
    out.append(",");
    key(out, "role");
    json::append_string(out, role == 1 ? "primary" : role == 2 ? "replica" : "unknown");
    out.append(",");
    key(out, "up");
    out.append(up > 0 && up == all ? "true" : "false");
    out.append(",");
    key(out, "connectionsUp");
    out.append(std::to_string(up));
    out.append(",");
    key(out, "connections");
    out.append(std::to_string(all));
    out.append("},");
  }
  const Metrics::FdBudget fds = metrics.fd_budget();
  key(out, "fileDescriptors");
  out.append("{");
  key(out, "limit");
  out.append(std::to_string(fds.limit));
  out.append(",");
  key(out, "hardLimit");
  out.append(std::to_string(fds.hard_limit));
  out.append(",");
  key(out, "needed");
  out.append(std::to_string(fds.needed));
  out.append(",");
  key(out, "enough");
  out.append(fds.limit >= fds.needed ? "true" : "false");
  out.append("},");
  key(out, "tracking");
  out.append("{");
  key(out, "certificates");
  out.append(std::to_string(certs.size()));
  out.append(",");
  key(out, "maxSeries");
  out.append(std::to_string(options.max_series));
  out.append(",");
  key(out, "idleSeconds");
  out.append(std::to_string(options.idle_seconds));
  out.append(",");
  key(out, "dropped");
  out.append(std::to_string(dropped));
  out.append(",");
  key(out, "refused");
  out.append(std::to_string(refused));
  out.append("},");
  key(out, "certificates");
  out.append("[");
  for (size_t i = 0; i < certs.size(); ++i) {
    if (i > 0) out.append(",");
    append_cert(out, certs[i]);
  }
  out.append("],");
  key(out, "responders");
  out.append("[");
  for (size_t i = 0; i < responders.size(); ++i) {
    if (i > 0) out.append(",");
    append_responder(out, responders[i]);
  }
  out.append("]}\n");
  return out;
}

ReadyzAnswer readyz(bool listening, bool draining, const std::vector<ResponderStatus>& responders,
                    std::string_view shared_down) {
  if (draining) return {503, "not ready: draining for shutdown\n"};
  if (!listening) return {503, "not ready: not listening yet\n"};
  std::string notes(shared_down);
  for (const auto& r : responders) {
    if (r.up || r.recent_exchanges == 0) continue;  // up, or its first answer is awaited
    notes += notes.empty() ? "" : "; ";
    notes += "responder " + r.url + " down";
    if (!r.last_error.empty()) notes += " (" + r.last_error + ")";
    if (r.breaker != "closed") notes += ", breaker " + r.breaker;
    if (r.held_seconds > 0) notes += ", Retry-After " + std::to_string(r.held_seconds) + "s";
  }
  if (notes.empty()) return {200, "ready\n"};
  return {200, "ready (degraded: " + notes + ")\n"};
}

}  // namespace ocspcache
