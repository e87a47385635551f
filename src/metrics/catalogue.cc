// Every metric family, once: name, type, help, labels, when it is exported
// and a line for the docs. Adding a metric means adding a row here first;
// the exposition looks its name, help and type up here (metric_spec aborts
// on a name that has no row), and metrics_catalogue_test fails until the
// row is exported with those labels and docs/metrics.md is regenerated.
//
// `help` is the wire text: changing it changes every scrape, so it stays as
// it was when the family first shipped. `doc` is free to improve.
#include "ocspcache/metrics/catalogue.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace ocspcache {
namespace {

using T = MetricType;
using A = Availability;

constexpr MetricSpec kMetrics[] = {
    // Per certificate, with ribbybibby/ssl_exporter's names and values.
    {.name = "ssl_ocsp_response_status",
     .type = T::kGauge,
     .help = "OCSP status of the certificate: 0 good, 1 revoked, 2 unknown or no valid response "
             "obtainable (every responder failed, no valid copy cached).",
     .labels = {"issuer", "serial"},
     .availability = A::kOnceSeen,
     .doc = "0 good, 1 revoked, 2 unknown; 2 also when every responder failed and no valid "
            "response is cached"},
    {.name = "ssl_ocsp_response_this_update",
     .type = T::kGauge,
     .help = "thisUpdate of the last valid OCSP response, unix seconds.",
     .labels = {"issuer", "serial"},
     .availability = A::kOnceSeen,
     .doc = "thisUpdate of the last valid answer, unix seconds"},
    {.name = "ssl_ocsp_response_next_update",
     .type = T::kGauge,
     .help = "nextUpdate of the last valid OCSP response, unix seconds.",
     .labels = {"issuer", "serial"},
     .availability = A::kOnceSeen,
     .doc = "nextUpdate of the last valid answer, unix seconds"},
    {.name = "ssl_ocsp_response_produced_at",
     .type = T::kGauge,
     .help = "producedAt of the last valid OCSP response, unix seconds.",
     .labels = {"issuer", "serial"},
     .availability = A::kOnceSeen,
     .doc = "producedAt of the last valid answer, unix seconds"},
    {.name = "ssl_ocsp_response_revoked_at",
     .type = T::kGauge,
     .help = "revocationTime of a revoked certificate, unix seconds.",
     .labels = {"issuer", "serial"},
     .availability = A::kOnceSeen,
     .doc = "revocationTime, unix seconds; only for revoked certificates"},
    {.name = "ocspcache_cert_series_dropped_total",
     .type = T::kCounter,
     .help = "Certificates that lost (or never got) their ssl_ocsp_response_* series because "
             "metrics.max_series was reached.",
     .doc = "certificates that lost or never got series because `metrics.max_series` was "
            "reached"},
    {.name = "ocspcache_cert_series_refused_total",
     .type = T::kCounter,
     .help = "Certificate answers and failures that made no ssl_ocsp_response_* series because "
             "no client in metrics.track_clients asked for them.",
     .doc = "certificate answers and upstream failures that made no series because the asking "
            "client is outside `metrics.track_clients` (they are answered all the same and "
            "counted in `ocspcache_requests_total`)"},

    // Requests from clients.
    {.name = "ocspcache_requests_total",
     .type = T::kCounter,
     .help = "OCSP requests answered, by HTTP method and cache result.",
     .labels = {"method", "result"},
     .doc = "OCSP requests answered; method `GET`, `POST` or `other`, result `hit`, `miss`, "
            "`stale` or `error`"},
    {.name = "ocspcache_request_duration_seconds",
     .type = T::kHistogram,
     .help = "Time from a complete request to its answer being queued for writing.",
     .doc = "time from a complete request to its answer being queued for writing; buckets "
            "50µs to 5s"},

    // Upstream responders.
    {.name = "ocspcache_upstream_requests_total",
     .type = T::kCounter,
     .help = "OCSP requests sent to responders, by responder and outcome.",
     .labels = {"responder", "outcome"},
     .availability = A::kOnceSeen,
     .doc = "requests sent to responders, by responder URL and outcome: `good`, `revoked`, "
            "`unknown`, `try_later`, `unauthorized`, `malformed`, `invalid`, `timeout`, "
            "`http_error`, `connect_error`"},
    {.name = "ocspcache_upstream_duration_seconds",
     .type = T::kHistogram,
     .help = "Time from sending a request to a responder to its answer.",
     .labels = {"responder"},
     .availability = A::kOnceSeen,
     .doc = "time from sending a request to a responder to its answer"},
    {.name = "ocspcache_upstream_failures_remembered_total",
     .type = T::kCounter,
     .help = "Misses answered tryLater without asking a responder, because a fetch for the same "
             "CertID failed within upstream.negative_ttl.",
     .doc = "misses answered `tryLater` without asking any responder because a fetch for the "
            "same CertID failed within `upstream.negative_ttl`"},
    {.name = "ocspcache_forward_refused_total",
     .type = T::kCounter,
     .help = "Requests refused by forward-proxy mode, by reason.",
     .labels = {"reason"},
     .availability = A::kOnceSeen,
     .doc = "requests refused by forward-proxy mode (`upstream.allow_hosts`), by reason: "
            "`not_allowed` (host not listed), `ip_literal` (address not listed), "
            "`private_address` (a listed name resolving to a loopback, private or link-local "
            "address that is not listed), `https` (https:// absolute URI), `connect` (CONNECT)"},
    {.name = "ocspcache_responder_up",
     .type = T::kGauge,
     .help = "1 if the last exchange with this responder gave a valid answer in time, 0 if it "
             "failed. No series before the first exchange.",
     .labels = {"responder"},
     .availability = A::kOnceSeen,
     .doc = "1 if the last exchange with the responder gave a valid answer within "
            "`upstream.timeout`, 0 if it failed; from its first exchange on"},
    {.name = "ocspcache_responder_breaker_open",
     .type = T::kGauge,
     .help = "1 while this responder's circuit breaker is open or half-open (clients do not "
             "wait for it; only probes are sent), 0 while closed.",
     .labels = {"responder"},
     .availability = A::kOnceSeen,
     .doc = "1 while the responder's circuit breaker is open or half-open (after "
            "`upstream.breaker_failures` failures in a row; only probes reach it), 0 while closed; "
            "from its first exchange on"},
    {.name = "ocspcache_upstream_connections",
     .type = T::kGauge,
     .help = "Connections to responders by origin: idle (parked keep-alive) or busy (carrying an "
             "exchange).",
     .labels = {"origin", "state"},
     .availability = A::kOnceSeen,
     .doc = "connections to responders per origin (`scheme://host:port`): `state=\"idle\"` parked "
            "for reuse (at most `upstream.max_idle`), `state=\"busy\"` carrying an exchange"},
    {.name = "ocspcache_upstream_connections_opened_total",
     .type = T::kCounter,
     .help = "Connections opened to responders, by origin (keep-alive reuse keeps it low).",
     .labels = {"origin"},
     .availability = A::kOnceSeen,
     .doc = "connections opened to responders per origin; with keep-alive responders it grows "
            "far slower than `ocspcache_upstream_requests_total`"},
    {.name = "ocspcache_upstream_dns_lookups_total",
     .type = T::kCounter,
     .help = "DNS lookups sent for responder names, by origin (answers are cached for their TTL).",
     .labels = {"origin"},
     .availability = A::kOnceSeen,
     .doc = "DNS lookups sent for responder names per origin (answers are kept for their TTL, "
            "1 s to 1 h)"},
    {.name = "ocspcache_upstream_in_flight",
     .type = T::kGauge,
     .help =
         "Exchanges under way with this responder (at most upstream.max_fetches_per_responder).",
     .labels = {"responder"},
     .availability = A::kOnceSeen,
     .doc = "exchanges under way with the responder; at most "
            "`upstream.max_fetches_per_responder`, and all responders together at most "
            "`upstream.max_fetches`"},
    {.name = "ocspcache_upstream_queued",
     .type = T::kGauge,
     .help = "Misses waiting for a slot to ask this responder (all responders: at most "
             "upstream.queue).",
     .labels = {"responder"},
     .availability = A::kOnceSeen,
     .doc = "misses waiting for an exchange slot with the responder (its limit or "
            "`upstream.rate` reached); all responders together at most `upstream.queue`"},
    {.name = "ocspcache_upstream_shed_total",
     .type = T::kCounter,
     .help = "Misses answered tryLater without asking a responder because of load: the queue was "
             "full (reason=queue_full) or upstream.deadline passed in it (reason=queue_wait).",
     .labels = {"reason"},
     .doc = "misses answered `tryLater` for load alone, nobody asked: `reason=\"queue_full\"` "
            "(`upstream.queue` full) or `reason=\"queue_wait\"` (`upstream.deadline` passed while "
            "queued); not remembered per CertID"},
    {.name = "ocspcache_upstream_hedges_total",
     .type = T::kCounter,
     .help = "Exchanges started because the responder asked before had not answered within "
             "upstream.hedge_after.",
     .doc = "exchanges started because the responder asked before had not answered within "
            "`upstream.hedge_after`"},

    // The cache.
    {.name = "ocspcache_cache_entries",
     .type = T::kGauge,
     .help = "Responses held in the in-memory cache.",
     .doc = "responses held in the in-memory cache"},
    {.name = "ocspcache_cache_bytes",
     .type = T::kGauge,
     .help = "Bytes charged to the in-memory cache (DER plus per-entry overhead).",
     .doc = "bytes charged to the in-memory cache (DER plus per-entry overhead); at most "
            "`cache.max_bytes`"},
    {.name = "ocspcache_cache_evictions_total",
     .type = T::kCounter,
     .help = "Entries evicted to stay within cache.max_bytes.",
     .doc = "entries evicted to stay within `cache.max_bytes`"},

    {.name = "ocspcache_revocations_remembered",
     .type = T::kGauge,
     .help = "CertIDs recorded as revoked, whose older answers are refused (cache.max_revocations "
             "at most).",
     .doc = "CertIDs recorded as revoked (any reason but certificateHold): an answer older than "
            "the revoked one is never cached or served again for them; at most "
            "`cache.max_revocations`"},
    {.name = "ocspcache_stale_answers_refused_total",
     .type = T::kCounter,
     .help = "Upstream answers refused because they were older than a recorded revocation of one "
             "of their CertIDs.",
     .doc = "responder answers refused (the clients got `tryLater`) because they were older than "
            "a recorded revocation of one of their CertIDs"},
    {.name = "ocspcache_revocations_dropped_total",
     .type = T::kCounter,
     .help = "Revocation records dropped, oldest first, to stay within cache.max_revocations.",
     .doc = "revocation records dropped, oldest first, to stay within `cache.max_revocations`; "
            "their CertIDs are no longer protected from older answers"},

    // cache.snapshot (memory backend).
    {.name = "ocspcache_snapshot_writes_total",
     .type = T::kCounter,
     .help = "Snapshot writes (cache.snapshot), by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with `cache.snapshot`: writes of the snapshot file (every `cache.snapshot_interval` "
            "and at shutdown) by `result`: `written`, `failed` (logged as "
            "`snapshot_write_failed`; the previous file is kept)"},
    {.name = "ocspcache_snapshot_last_success_timestamp_seconds",
     .type = T::kGauge,
     .help =
         "When this process last wrote the snapshot file, unix seconds; 0 before its first write.",
     .availability = A::kWhenConfigured,
     .doc = "with `cache.snapshot`: when this process last wrote the snapshot, unix seconds; 0 "
            "until its first write, one `cache.snapshot_interval` after start"},
    {.name = "ocspcache_snapshot_restored_entries",
     .type = T::kGauge,
     .help = "Entries of the snapshot read at start, by what became of them.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with `cache.snapshot`: entries of the snapshot read at start by `result`: `loaded`, "
            "`expired` (past nextUpdate), `invalid` (failed re-validation, or their issuer is no "
            "longer configured), `refused` (older than a restored revocation); all 0 after a "
            "cold start"},

    // Client connections.
    {.name = "ocspcache_connections_accepted_total",
     .type = T::kCounter,
     .help = "Client connections accepted.",
     .doc = "client connections accepted"},
    {.name = "ocspcache_connections_rejected_total",
     .type = T::kCounter,
     .help = "Client connections closed at once, by reason.",
     .labels = {"reason"},
     .doc = "client connections closed at once by `reason`: `max_connections` (the process "
            "holds `server.max_connections`), `per_client` (the client holds "
            "`server.max_connections_per_client`), `draining` (after SIGTERM)"},
    {.name = "ocspcache_connections_open",
     .type = T::kGauge,
     .help = "Client connections open now.",
     .doc = "client connections open now"},
    {.name = "ocspcache_accept_paused_total",
     .type = T::kCounter,
     .help = "Times a worker stopped accepting for a moment because the process was out of file "
             "descriptors.",
     .doc = "times a worker stopped accepting for 100 ms (or until one of its connections closed) "
            "because `accept` failed with EMFILE/ENFILE: the process is out of file descriptors "
            "(see `RLIMIT_NOFILE` in /status)"},

    {.name = "ocspcache_build_info",
     .type = T::kGauge,
     .help = "Always 1; the version label says which build runs.",
     .labels = {"version"},
     .doc = "always 1; `version` is the running build's version"},

    // Refresh ahead (refresh/refresher.h).
    {.name = "ocspcache_refresh_lag_seconds",
     .type = T::kGauge,
     .help = "Seconds the most overdue refresh is behind its due time.",
     .doc = "seconds the most overdue refresh (started this tick or still waiting for room) is "
            "behind its due time; 0 while refreshes start on time"},
    {.name = "ocspcache_refreshes_total",
     .type = T::kCounter,
     .help = "Background refreshes finished, by result.",
     .labels = {"result"},
     .doc = "background refreshes by `result`: `refreshed` (a newer answer replaced the cached "
            "one), `unchanged` (the responder still serves the same answer; asked again later), "
            "`failed` (no valid answer; the cached one stays, retried with back-off), `idle` "
            "(nobody asked for `cache.refresh_idle`: left to expire), and with Redis `fleet` "
            "(another instance's refreshed answer taken from Redis instead of asking) and "
            "`deferred` (another instance holds or has just done the refresh: this one follows "
            "the fleet's time)"},
    {.name = "ocspcache_refresh_scheduled",
     .type = T::kGauge,
     .help = "Cached answers with a refresh time.",
     .doc = "cached answers with a refresh time"},
    {.name = "ocspcache_refresh_in_flight",
     .type = T::kGauge,
     .help = "Background refreshes running now.",
     .doc = "background refreshes running now (at most `cache.refresh_share` of "
            "`upstream.max_fetches`)"},

    // stapling.certs (stapling/staple_writer.h).
    {.name = "ocspcache_stapling_certificates",
     .type = T::kGauge,
     .help = "Certificates in the stapling inventory.",
     .availability = A::kWhenConfigured,
     .doc = "with `stapling.certs`: certificates in the inventory (chain files whose leaf an "
            "`[[issuer]]` signed)"},
    {.name = "ocspcache_staple_writes_total",
     .type = T::kCounter,
     .help = "Staple files written, by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with `stapling.certs`: staple files (`.ocsp`, `.der`) by `result`: `written` (a "
            "newer answer), `failed` (logged as `staple_write_failed`; the previous file is kept), "
            "`too_close` (the answer had less than `stapling.min_remaining` left: not written)"},
    {.name = "ocspcache_staple_pushes_total",
     .type = T::kCounter,
     .help = "Staples pushed to HAProxy runtime APIs, by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with `stapling.haproxy_sockets`: `set ssl ocsp-response` pushes by `result`: `ok`, "
            "`failed` (socket absent or refusing, or HAProxy's error; logged as "
            "`staple_push_failed`, retried every 5 s while the answer is current)"},
    {.name = "ocspcache_staple_commands_total",
     .type = T::kCounter,
     .help = "stapling.after_update runs, by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with `stapling.after_update`: runs by `result`: `ok` (exit 0), `failed` (non-zero "
            "exit, a signal, or killed after 30 s)"},

    {.name = "ocspcache_redis_up",
     .type = T::kGauge,
     .help = "1 if every worker's connection to Redis is up, 0 if not.",
     .availability = A::kWhenConfigured,
     .doc = "with `cache.backend = \"redis\"`: 1 while every worker's connection to Redis is up, "
            "0 when any is down (requests are then served from memory and the responders)"},
    {.name = "ocspcache_redis_connections",
     .type = T::kGauge,
     .help = "Connections to Redis (one per worker and one for refreshes) by state.",
     .labels = {"state"},
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: connections to Redis by `state` (`up`, `down`), one per "
            "worker and one for the refresher (per node with `redis.cluster`)"},
    {.name = "ocspcache_redis_lookups_total",
     .type = T::kCounter,
     .help = "Lookups in Redis after a miss in memory, by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: lookups after a memory miss by `result`: `hit` (validated and "
            "served), `miss`, `invalid` (a value that is not a valid answer for its key: not "
            "served, fetched and overwritten), `unavailable` (Redis down or too slow: skipped)"},
    {.name = "ocspcache_redis_lock_waits_total",
     .type = T::kCounter,
     .help = "Lookups that waited for another instance's fetch, by how the wait ended.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: lookups that found another instance's fetch lock and waited "
            "for its answer, by `result`: `answered`, `gave_up` (fetched on its own)"},
    {.name = "ocspcache_redis_writes_total",
     .type = T::kCounter,
     .help = "Answers written to Redis, by result.",
     .labels = {"result"},
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: fetched answers written to Redis by `result`: `stored`, "
            "`kept_newer` (Redis held an answer with a later thisUpdate), `failed`"},
    {.name = "ocspcache_redis_errors_total",
     .type = T::kCounter,
     .help = "Redis errors by kind.",
     .labels = {"kind"},
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: errors by `kind`: `timeout` (a command over `redis.timeout`), "
            "`connect`, `reply` (an error reply)"},
    {.name = "ocspcache_redis_reconnects_total",
     .type = T::kCounter,
     .help = "Connections to Redis re-established after a loss.",
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: connections to Redis re-established after a loss"},
    {.name = "ocspcache_redis_command_duration_seconds",
     .type = T::kHistogram,
     .help = "Redis command round trips.",
     .availability = A::kWhenConfigured,
     .doc = "with the Redis backend: command round trips (commands that failed are not observed)"},
};

constexpr bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

constexpr bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!name_char(s[i], i == 0)) return false;
  }
  return true;
}

// What promtool's lint and the text format would reject, checked while
// compiling: unique valid names, counters ending in _total, help on one
// line, label names valid and not reserved.
constexpr bool well_formed() {
  for (size_t i = 0; i < std::size(kMetrics); ++i) {
    const MetricSpec& m = kMetrics[i];
    if (!valid_name(m.name) || m.help.empty() || m.doc.empty()) return false;
    if ((m.type == T::kCounter) != m.name.ends_with("_total")) return false;
    for (char c : m.help) {
      if (c == '\n' || c == '\\') return false;
    }
    for (std::string_view label : m.label_names()) {
      if (!valid_name(label) || label.starts_with("__") || label == "le") return false;
    }
    for (size_t j = 0; j < i; ++j) {
      if (kMetrics[j].name == m.name) return false;
    }
  }
  return true;
}
static_assert(well_formed(), "a row of the metric catalogue is malformed");

// Markdown table cells: '|' ends a cell and '<x>' reads as an HTML tag.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view availability_doc(Availability a) {
  switch (a) {
    case A::kAlways:
      return "always";
    case A::kOnceSeen:
      return "once there is a value";
    case A::kPlanned:
      return "not yet (planned)";
    case A::kWhenConfigured:
      return "when configured";
  }
  return "";
}

}  // namespace

std::span<const MetricSpec> metric_catalogue() {
  return kMetrics;
}

const MetricSpec& metric_spec(std::string_view name) {
  for (const MetricSpec& m : kMetrics) {
    if (m.name == name) return m;
  }
  std::fprintf(stderr,
               "ocspcache: metric %.*s has no row in the catalogue (src/metrics/catalogue.cc)\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

std::string_view to_string(MetricType type) {
  switch (type) {
    case T::kCounter:
      return "counter";
    case T::kGauge:
      return "gauge";
    case T::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string_view to_string(Availability avail) {
  switch (avail) {
    case A::kAlways:
      return "always";
    case A::kOnceSeen:
      return "once_seen";
    case A::kPlanned:
      return "planned";
    case A::kWhenConfigured:
      return "when_configured";
  }
  return "";
}

std::string render_metric_list() {
  std::string out;
  for (const MetricSpec& m : kMetrics) {
    std::string labels;
    for (std::string_view l : m.label_names()) {
      if (!labels.empty()) labels += ',';
      labels += l;
    }
    out.append(m.name).append("\t").append(to_string(m.type)).append("\t");
    out.append(to_string(m.availability)).append("\t").append(labels).append("\t");
    out.append(m.help).append("\n");
  }
  return out;
}

std::string render_metric_reference() {
  std::ostringstream out;
  out << "<!-- Generated from src/metrics/catalogue.cc (also: ocspcache --list-metrics); "
         "refresh with\n     OCSPCACHE_UPDATE_GOLDEN=1 ./build/tests/unit_tests "
         "--gtest_filter='MetricCatalogue.*' -->\n\n"
         "| Metric | Type | Labels | Exported | Meaning |\n|---|---|---|---|---|\n";
  for (const MetricSpec& m : kMetrics) {
    std::string labels;
    for (std::string_view l : m.label_names()) {
      labels += (labels.empty() ? "`" : ", `") + std::string(l) + "`";
    }
    out << "| `" << m.name << "` | " << to_string(m.type) << " | " << labels << " | "
        << availability_doc(m.availability) << " | " << cell(m.doc) << " |\n";
  }
  out << "\n";  // a blank line ends the Markdown table before the end marker
  return out.str();
}

}  // namespace ocspcache
