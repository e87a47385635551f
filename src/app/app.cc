#include "ocspcache/app/app.h"

#include <event2/thread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ocspcache/admin/admin_server.h"
#include "ocspcache/app/control_loop.h"
#include "ocspcache/app/drain.h"
#include "ocspcache/app/lifecycle.h"
#include "ocspcache/app/notifier.h"
#include "ocspcache/app/trust_reload.h"
#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/cache/snapshot.h"
#include "ocspcache/http/listener.h"
#include "ocspcache/http/services.h"
#include "ocspcache/http/worker.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/ocsp/response_identify.h"
#include "ocspcache/redis/redis_store.h"
#include "ocspcache/refresh/refresher.h"
#include "ocspcache/stapling/inventory.h"
#include "ocspcache/stapling/staple_writer.h"
#include "ocspcache/upstream/http_client.h"
#include "ocspcache/upstream/responder_set.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/upstream/transport_stats.h"
#include "ocspcache/upstream/upstream_thread.h"
#include "ocspcache/util/fd_limit.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {
namespace {

// The tracker's own housekeeping between scrapes and answers: idle
// certificates lose their series on time even when nobody scrapes.
constexpr Millis kHousekeepingPeriod{5'000};
// How often a drain checks whether the workers are done.
constexpr Millis kDrainPoll{20};

RefreshOptions refresh_options(const Config& c) {
  const auto share = static_cast<size_t>(c.cache.refresh_share * c.upstream.max_fetches);
  return {.ahead = c.cache.refresh_ahead,
          .idle_seconds = c.cache.refresh_idle.count() / 1000,
          .max_in_flight = std::max<size_t>(share, 1),
          .pinned_margin_seconds = c.stapling.min_remaining.count() / 1000,
          .clock_skew_seconds =
              std::chrono::duration_cast<std::chrono::seconds>(c.upstream.clock_skew).count()};
}

// Refresh ticks: often enough that a due answer starts within a second of
// its time (the lag target), rarely enough to cost nothing when none is due.
constexpr Millis kRefreshTick{250};

CertTracker::Options tracker_options(const Config& c) {
  return {.idle_seconds = c.metrics.track_idle.count() / 1000,
          .max_series = c.metrics.max_series,
          .pinned_margin_seconds = c.stapling.min_remaining.count() / 1000};
}

// metrics.track_clients: [] means loopback and the private ranges.
std::shared_ptr<const IpNetworkList> tracked_clients(const Config& c) {
  return std::make_shared<const IpNetworkList>(c.metrics.track_clients.empty()
                                                   ? IpNetworkList::loopback_and_private()
                                                   : IpNetworkList::parse(c.metrics.track_clients));
}

void apply_log_config(const Config& c) {
  log::Level level = log::Level::kInfo;
  if (log::parse_level(c.log.level, &level)) log::set_level(level);
  log::upstream_errors().set_interval(c.log.upstream_error_interval);
}

unsigned worker_count(const Config& c) {
  if (c.server.threads != 0) return c.server.threads;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::vector<ResponderStatus> responder_rows(const ResponderSet& responders, const Clock& clock) {
  std::vector<ResponderStatus> rows;
  const int64_t now_ms = clock.monotonic_ms();
  for (Responder::Health& h : responders.health()) {
    rows.push_back({.url = std::move(h.url),
                    .issuers = std::move(h.issuers),
                    .up = h.up,
                    .last_ok_at = h.last_ok_at,
                    .last_error = std::move(h.last_error),
                    .last_error_at = h.last_error_at,
                    .recent_exchanges = h.recent_exchanges,
                    .recent_errors = h.recent_errors,
                    .window = Responder::kWindow,
                    .breaker = std::string(to_string(h.breaker)),
                    .consecutive_failures = h.consecutive_failures,
                    // Rounded up: a hold of 300 ms left is not "0 s, free".
                    .held_seconds = std::max<int64_t>(0, (h.held_until_ms - now_ms + 999) / 1000),
                    .in_flight = h.in_flight,
                    .queued = h.queued});
  }
  return rows;
}

// Cross-thread event_active (Worker::post) needs libevent's locking, before
// any event_base exists; a client gone mid-write must not kill the process.
bool prepare_process() {
  evthread_use_pthreads();
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}

}  // namespace

// Declaration order is dependency order: each member is built from those
// above it and destroyed before them.
struct App::Parts {
  explicit Parts(Config c) : config(std::move(c)) {}

  bool prepared = prepare_process();
  const Config config;  // as started: what a reload compares against
  const Clock& clock = system_clock();
  MemoryStore store{config.cache.max_bytes};
  CacheWriter writer{store, config.cache.max_revocations};
  Metrics metrics;
  ResponderSet responders;
  Flights flights;
  NegativeCache negative{config.upstream.negative_ttl};
  std::unique_ptr<ClientLimiter> client_limits =
      config.server.max_connections_per_client == 0
          ? nullptr
          : std::make_unique<ClientLimiter>(config.server.max_connections_per_client);
  SharedStoreStats shared_stats;  // cache.backend = "redis": the tier's counters
  SnapshotStats snapshot_stats;   // cache.snapshot: its writes and the restore at start
  std::shared_ptr<TransportStats> transport_stats = std::make_shared<TransportStats>();
  std::unique_ptr<UpstreamThread> upstream;
  Services services;
  RefreshStats refresh_stats;
  std::unique_ptr<Refresher> refresher;  // listens to the writer from start-up on
  StapleStats staple_stats;
  StapleWriter staples{store, clock, staple_stats};
  TimerQueue::TimerId refresh_ticks = 0;
  ControlLoop loop{clock};
  std::unique_ptr<RedisStore> fleet;  // cache.backend = "redis": the refresher's, on `loop`
  Readiness readiness;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<AdminServer> admin;
  std::unique_ptr<DrainSequence> drain;
  TimerQueue::TimerId housekeeping = 0;
  TimerQueue::TimerId snapshots = 0;
  std::unique_ptr<Notifier> notifier = make_systemd_notifier();  // systemd, when under it
  Lifecycle lifecycle;  // last: stops the running parts before any member goes
};

namespace {

// The cache and who listens to it.
void wire_cache_and_metrics(App::Parts& p) {
  p.writer.subscribe(p.metrics.certs());
  p.metrics.set_store(&p.store);
  p.metrics.set_ledger(&p.writer.ledger());
  if (!p.config.cache.snapshot.empty()) p.metrics.set_snapshot(&p.snapshot_stats);
  p.metrics.certs().configure(tracker_options(p.config));
  // Who a cached entry answers is read with the routes in force at that
  // moment (reloads swap them).
  p.metrics.certs().watch(&p.store, [&p](const CachedResponse& entry) {
    const std::shared_ptr<const RouteTable> routes = p.services.routes.load();
    return ocsp::identify_response(entry.der(), entry.key(), routes->registry());
  });
  p.metrics.set_responder_source([&p] { return responder_rows(p.responders, p.clock); });
}

BreakerPolicy breaker_policy(const Config& c) {
  BreakerPolicy b;
  b.failures = c.upstream.breaker_failures;
  b.backoff = c.upstream.breaker_backoff;
  b.max_backoff = c.upstream.breaker_max_backoff;
  return b;
}

// The one place that talks to responders: its own thread, client and gate.
void build_upstream(App::Parts& p) {
  const Config& cfg = p.config;
  p.upstream = std::make_unique<UpstreamThread>(
      p.clock, FetcherOptions::from(cfg.upstream), [&cfg, &p](event_base* loop) {
        return std::make_unique<HttpUpstreamClient>(
            loop, HttpClientOptions::from(cfg.upstream, p.transport_stats));
      });
  p.metrics.set_transport_source([&p] {
    std::vector<TransportRow> rows;
    for (TransportStats::Row& r : p.transport_stats->snapshot()) {
      rows.push_back({std::move(r.origin), r.idle, r.busy, r.opened, r.dns_lookups});
    }
    return rows;
  });
  // Exchanges that end after their fetch (a losing hedge, one that outlived
  // the deadline) still count in ocspcache_upstream_requests_total.
  p.upstream->on_late_attempt([&p](const UpstreamAttempt& a) {
    p.metrics.upstream_result(a.responder, to_label(a.outcome), a.seconds);
  });
}

// redis.sentinels or redis.cluster: "host:port" entries, checked at load.
std::vector<RedisEndpoint> redis_endpoints(const std::vector<std::string>& entries,
                                           const char* key) {
  std::vector<RedisEndpoint> out;
  for (const std::string& s : entries) {
    auto hp = parse_host_port(s);
    if (!hp) throw std::runtime_error(std::string(key) + ": cannot parse " + s);
    RedisEndpoint ep;
    ep.host = hp->host;
    ep.port = hp->port;
    out.push_back(std::move(ep));
  }
  return out;
}

RedisStore::Options redis_store_options(const Config& cfg) {
  auto endpoint = parse_redis_url(cfg.redis.url);  // checked at load
  if (!endpoint.ok()) throw std::runtime_error("redis.url: " + endpoint.error());
  RedisStore::Options options;
  options.connection.endpoint = endpoint.value();
  options.connection.timeout = cfg.redis.timeout;
  options.connection.sentinels = redis_endpoints(cfg.redis.sentinels, "redis.sentinels");
  options.connection.master_name = cfg.redis.master_name;
  options.cluster = redis_endpoints(cfg.redis.cluster, "redis.cluster");
  options.key_prefix = cfg.redis.key_prefix;
  // Another instance's fetch takes at most upstream.deadline: wait that
  // long for its answer, and hold our own lock a little longer than that.
  options.lock_wait = cfg.upstream.deadline;
  options.lock_ttl = cfg.upstream.deadline + Millis{1'000};
  return options;
}

// cache.backend = "redis": each worker gets its own connection on its loop.
void wire_shared_store(App::Parts& p) {
  const Config& cfg = p.config;
  if (cfg.cache.backend != "redis") return;
  const RedisStore::Options options = redis_store_options(cfg);
  const std::string shown =
      !options.cluster.empty() ? "cluster of " + std::to_string(options.cluster.size()) + " seed(s)"
      : options.connection.sentinels.empty() ? options.connection.endpoint.address()
                                             : "sentinel master " + cfg.redis.master_name;
  p.metrics.set_shared(&p.shared_stats, {"redis", shown});
  p.services.make_shared_store = [&p, options](
                                     event_base* base, int index,
                                     Services::PostToLoop post) -> std::unique_ptr<SharedStore> {
    auto store = std::make_unique<RedisStore>(base, std::move(post), options, p.shared_stats,
                                              static_cast<uint64_t>(index) + 1);
    store->start();
    return store;
  };
  log::info("cache_backend", "backend=redis address=" + log::quoted(shown) +
                                 " key_prefix=" + log::quoted(cfg.redis.key_prefix));
}

// What the workers share.
void wire_services(App::Parts& p, std::shared_ptr<const ocsp::IssuerRegistry> issuers) {
  p.services.config = &p.config;
  p.services.upstream = p.upstream.get();
  p.responders.set_breaker_policy(breaker_policy(p.config));
  p.services.store = &p.store;
  p.services.writer = &p.writer;
  p.services.routes.store(std::make_shared<const RouteTable>(std::move(issuers), p.responders));
  p.services.flights = &p.flights;
  p.services.responders = &p.responders;
  p.services.negative = &p.negative;
  p.services.metrics = &p.metrics;
  p.services.clock = &p.clock;
  p.services.client_limits = p.client_limits.get();
  p.services.track_clients.store(tracked_clients(p.config));
  wire_shared_store(p);
}

// Refresh ahead: scheduled from every stored answer, the restored ones
// included (so before the snapshot is loaded), fetched on the upstream thread.
void wire_refresh(App::Parts& p) {
  p.refresher = std::make_unique<Refresher>(
      Refresher::Parts{p.store, p.writer, *p.upstream, p.services.routes, p.metrics, p.clock,
                       p.refresh_stats},
      refresh_options(p.config));
  p.writer.subscribe(*p.refresher);
  // A backlog (more due than refresh_share lets run) is worked off as
  // fetches end, not max_in_flight per 250 ms tick.
  p.refresher->set_wake([&p] { p.loop.post([&p] { p.refresher->tick(); }); });
  p.metrics.set_refresh(&p.refresh_stats);
  if (p.config.cache.backend == "redis") {
    // The fleet's refresh schedule and locks: one more connection, on the
    // control loop where the refresher's ticks run.
    p.fleet = std::make_unique<RedisStore>(
        p.loop.base(), [&p](std::function<void()> fn) { p.loop.post(std::move(fn)); },
        redis_store_options(p.config), p.shared_stats, /*seed=*/0);
    p.fleet->start();
    p.refresher->set_fleet(p.fleet.get());
  }
  p.writer.subscribe(p.staples);
  if (!p.config.stapling.certs.empty()) p.metrics.set_staples(&p.staple_stats);
}

// stapling.certs (start-up and SIGHUP): the inventory read from its chain
// files against the configured issuers. Issuers found in the chain files
// join the registry `configured` was loaded from (returned: the one to
// route with), and are logged once per load.
std::shared_ptr<const ocsp::IssuerRegistry> read_inventory(
    const Config& c, std::shared_ptr<const ocsp::IssuerRegistry> configured, Inventory& inventory) {
  inventory = load_inventory(c.stapling, *configured);
  for (const std::string& problem : inventory.problems) {
    log::warn("stapling_skipped", "reason=" + log::quoted(problem));
  }
  if (inventory.chain_issuers.empty()) return configured;
  for (const ocsp::Issuer& issuer : inventory.chain_issuers) {
    std::string urls;
    for (const HttpUrl& url : issuer.responders()) urls += (urls.empty() ? "" : ",") + url.original;
    log::info("stapling_issuer_from_chain",
              "issuer=" + log::quoted(issuer.name()) + " responders=" + log::quoted(urls));
  }
  return std::make_shared<const ocsp::IssuerRegistry>(
      ocsp::IssuerRegistry::load(c.issuers, std::move(inventory.chain_issuers)));
}

// The inventory's certificates pinned in the metrics (series from
// start-up), always refreshed, and written out by the staple writer.
void apply_inventory(App::Parts& p, const Config& c, Inventory inventory) {
  const int64_t now = p.clock.unix_seconds();
  std::vector<std::pair<ocsp::CacheKey, std::vector<uint8_t>>> pinned;
  for (const StapledCert& cert : inventory.certs) {
    p.metrics.certs().set_pinned(cert.issuer, cert.serial, true, now);
    pinned.emplace_back(cert.key, cert.request_der);
  }
  p.refresher->set_inventory(std::move(pinned));
  p.staple_stats.certificates.store(inventory.certs.size(), std::memory_order_relaxed);
  if (!c.stapling.certs.empty()) {
    log::info("stapling_inventory", "certificates=" + std::to_string(inventory.certs.size()) +
                                        " skipped=" + std::to_string(inventory.problems.size()));
  }
  std::vector<HaproxySocket> haproxy;
  for (const std::string& text : c.stapling.haproxy_sockets) {
    std::string why;
    if (auto s = parse_haproxy_socket(text, &why)) {
      haproxy.push_back(std::move(*s));
    } else {
      log::warn("stapling_skipped", "socket=" + log::quoted(text) + " reason=" + log::quoted(why));
    }
  }
  p.staples.configure(std::move(inventory.certs),
                      {.min_remaining_seconds = c.stapling.min_remaining.count() / 1000,
                       .after_update = c.stapling.after_update,
                       .command_timeout_ms = 30'000,
                       .haproxy = std::move(haproxy)});
}

// Workers and their listening sockets; then the admin listener.
void build_front_end(App::Parts& p) {
  const Config& cfg = p.config;
  const unsigned n = worker_count(cfg);
  for (unsigned i = 0; i < n; ++i) {
    p.workers.push_back(std::make_unique<Worker>(static_cast<int>(i), p.services));
    p.metrics.add_worker(&p.workers.back()->stats());
  }
  for (const HostPort& addr : cfg.server.listen) {
    HostPort bound;
    std::vector<int> fds = open_listeners(addr, n, &bound);
    for (unsigned i = 0; i < n; ++i) p.workers[i]->add_listener(fds[i]);
    log::info("listening", "addr=" + bound.to_string() + " workers=" + std::to_string(n));
  }
  if (cfg.admin.listen) {
    p.admin =
        std::make_unique<AdminServer>(p.loop.base(), *cfg.admin.listen, p.metrics, p.readiness);
    log::info("admin_listening", "addr=" + p.admin->bound().to_string());
  }
}

// cache.snapshot: the cache and the ledger to one file. On the control
// thread: the walk takes a reference to each entry under the store's
// shard locks (lookups go on beside it); the bytes are written after,
// streamed from the entries themselves, so the write costs no second copy
// of the cache in memory and its fsync blocks only the admin listener.
void write_snapshot(App::Parts& p, const char* why) {
  const auto started = std::chrono::steady_clock::now();
  const SnapshotImage image = take_snapshot(p.store, p.writer.ledger(), p.clock.unix_seconds());
  std::string error;
  if (!write_snapshot_file(p.config.cache.snapshot, image, &error)) {
    p.snapshot_stats.writes_failed.fetch_add(1, std::memory_order_relaxed);
    log::error("snapshot_write_failed", "path=" + log::quoted(p.config.cache.snapshot) +
                                            " reason=" + log::quoted(error) +
                                            " kept=previous when=" + why);
    return;
  }
  p.snapshot_stats.writes_ok.fetch_add(1, std::memory_order_relaxed);
  p.snapshot_stats.last_success_unix.store(p.clock.unix_seconds(), std::memory_order_relaxed);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log::info("snapshot_written", "path=" + log::quoted(p.config.cache.snapshot) +
                                    " entries=" + std::to_string(image.entries.size()) +
                                    " bytes=" + std::to_string(encoded_size(image)) +
                                    " ms=" + std::to_string(ms) + " when=" + why);
}

// Before the listeners open: a warm start, every entry re-validated; a file
// that fails its checks is reported and ignored (a cold start).
void load_snapshot(App::Parts& p) {
  const std::string& path = p.config.cache.snapshot;
  if (path.empty()) return;
  std::vector<uint8_t> bytes;
  std::string error;
  bool missing = false;
  // A snapshot larger than this cache and ledger could have written is not
  // ours. Twice each: the previous run may have been configured larger.
  const size_t limit = 2 * p.config.cache.max_bytes +
                       2 * p.config.cache.max_revocations * RevocationLedger::kRecordBytes +
                       (64u << 20);
  if (!read_snapshot_file(path, limit, &bytes, &error, &missing)) {
    if (missing) {
      log::info("snapshot_none", "path=" + log::quoted(path) + " start=cold");
    } else {
      log::error("snapshot_unreadable",
                 "path=" + log::quoted(path) + " reason=" + log::quoted(error) + " start=cold");
    }
    return;
  }
  auto contents = decode_snapshot(bytes);
  if (!contents.ok()) {
    log::error("snapshot_corrupt", "path=" + log::quoted(path) +
                                       " reason=" + log::quoted(contents.error()) + " start=cold");
    return;
  }
  const int64_t skew =
      std::chrono::duration_cast<std::chrono::seconds>(p.config.upstream.clock_skew).count();
  const RestoreReport r = restore_snapshot(
      *contents, p.writer, p.services.routes.load()->registry(), p.clock.unix_seconds(), skew);
  p.snapshot_stats.loaded.store(r.loaded, std::memory_order_relaxed);
  p.snapshot_stats.expired.store(r.expired, std::memory_order_relaxed);
  p.snapshot_stats.invalid.store(r.invalid, std::memory_order_relaxed);
  p.snapshot_stats.refused.store(r.refused, std::memory_order_relaxed);
  log::info("snapshot_loaded",
            "path=" + log::quoted(path) + " loaded=" + std::to_string(r.loaded) +
                " expired=" + std::to_string(r.expired) + " invalid=" + std::to_string(r.invalid) +
                " refused_by_revocation=" + std::to_string(r.refused) +
                " revocations=" + std::to_string(r.revocations) +
                (r.first_problem.empty() ? "" : " first_problem=" + log::quoted(r.first_problem)));
}

// Started in this order, stopped in reverse.
void plan_lifecycle(App::Parts& p) {
  // First in, last out: the final snapshot is written once the workers and
  // the upstream thread have stopped, so it holds every answer stored.
  if (!p.config.cache.snapshot.empty()) {
    p.lifecycle.add({"snapshot",
                     [&p] {
                       p.snapshots = p.loop.every(p.config.cache.snapshot_interval,
                                                  [&p] { write_snapshot(p, "interval"); });
                     },
                     [&p] {
                       p.loop.cancel(p.snapshots);
                       write_snapshot(p, "shutdown");
                     }});
  }
  // Stopped after the workers: a fetch they started still ends (its answer
  // is stored) within the drain timeout.
  p.lifecycle.add({"upstream", [&p] { p.upstream->start(); },
                   [&p] { p.upstream->stop(p.config.server.drain_timeout); }});
  p.lifecycle.add({"refresh",
                   [&p] {
                     p.refresh_ticks = p.loop.every(kRefreshTick, [&p] {
                       p.refresher->tick();
                       p.staples.flush();
                     });
                   },
                   [&p] {
                     p.loop.cancel(p.refresh_ticks);
                     p.refresher->stop();
                   }});
  p.lifecycle.add({"workers",
                   [&p] {
                     for (auto& w : p.workers) w->start();
                   },
                   [&p] {
                     for (auto& w : p.workers) w->stop_now();
                     for (auto& w : p.workers) w->join();
                   }});
  p.lifecycle.add({"admin", nullptr, [&p] {
                     if (p.admin) p.admin->stop();
                   }});
  p.lifecycle.add({"housekeeping",
                   [&p] {
                     p.housekeeping = p.loop.every(kHousekeepingPeriod, [&p] {
                       p.metrics.certs().prune(p.clock.unix_seconds());
                     });
                   },
                   [&p] { p.loop.cancel(p.housekeeping); }});
}

// Descriptors the configuration may hold at once: every client connection,
// every upstream exchange and pooled idle connection, the Redis connections, plus the fixed ones
// (listeners, eventfds and epoll per thread, admin clients, DNS, log).
uint64_t descriptors_needed(const Config& c) {
  std::set<std::string> origins;
  for (const IssuerConfig& issuer : c.issuers) {
    for (const HttpUrl& url : issuer.responders)
      origins.insert(url.host + ":" + std::to_string(url.port));
  }
  // Redis: per worker a connection per server (a cluster's primaries are
  // not known yet: counted as its seeds), and with Sentinel a subscription
  // and a short-lived query.
  uint64_t redis = 0;
  if (c.cache.backend == "redis") {
    const uint64_t servers = c.redis.cluster.empty() ? 1 : c.redis.cluster.size();
    redis = worker_count(c) * (servers + (c.redis.sentinels.empty() ? 0 : 2));
  }
  return c.server.max_connections + c.upstream.max_fetches +
         uint64_t{c.upstream.max_idle} * origins.size() + redis + 4 * worker_count(c) + 64;
}

// Start-up: the soft RLIMIT_NOFILE raised to the hard one, and a warning
// when the configured connections still cannot all be open at once (then
// accept pauses at the limit, ocspcache_accept_paused_total).
void budget_descriptors(App::Parts& p) {
  const FdLimit fd = raise_fd_limit();
  const uint64_t needed = descriptors_needed(p.config);
  p.metrics.set_fd_budget({fd.soft, fd.hard, needed});
  const std::string fields =
      "soft=" + std::to_string(fd.soft) + " was=" + std::to_string(fd.soft_before) +
      " hard=" + std::to_string(fd.hard) + " needed=" + std::to_string(needed);
  if (!fd.error.empty())
    log::warn("fd_limit_unchanged", fields + " reason=" + log::quoted(fd.error));
  if (fd.soft < needed) {
    log::warn("fd_limit_low",
              fields +
                  " reason=\"server.max_connections plus upstream connections "
                  "exceed RLIMIT_NOFILE; raise the hard limit (LimitNOFILE=) or lower "
                  "server.max_connections\"");
  } else {
    log::info("fd_limit", fields);
  }
}

// After the new routes are in force: answers validated against an issuer
// certificate that is no longer configured leave the store (trust_reload.h),
// and so do remembered failures (they are per cache key, which says nothing
// of its issuer; forgetting them all costs a responder request at most).
void drop_untrusted(App::Parts& p, const ocsp::IssuerRegistry& before,
                    const ocsp::IssuerRegistry& after) {
  const std::vector<const ocsp::Issuer*> gone = issuers_no_longer_trusted(before, after);
  if (gone.empty()) return;
  const size_t dropped = erase_answers_of(p.store, gone);
  p.negative.forget_all();
  std::string names;
  for (const ocsp::Issuer* issuer : gone) names += (names.empty() ? "" : ",") + issuer->name();
  log::info("reload_dropped_answers", "issuers=" + log::quoted(names) +
                                          " entries=" + std::to_string(dropped) +
                                          " reason=\"issuer removed or its certificate replaced\"");
}

// The STATUS= line systemctl shows: what happened last, where it serves,
// how many issuers the running routes know.
std::string serving_status(App::Parts& p, const std::string& what) {
  std::string listen;
  for (const auto& hp : p.config.server.listen) {
    listen += (listen.empty() ? "" : ",") + hp.to_string();
  }
  return what + " on " + listen + ", " +
         std::to_string(p.services.routes.load()->registry().issuers().size()) + " issuers";
}

}  // namespace

App::App(Config config, std::shared_ptr<const ocsp::IssuerRegistry> issuers)
    : p_(std::make_unique<Parts>(std::move(config))) {
  apply_log_config(p_->config);
  budget_descriptors(*p_);
  wire_cache_and_metrics(*p_);
  build_upstream(*p_);
  Inventory inventory;
  issuers = read_inventory(p_->config, std::move(issuers), inventory);
  wire_services(*p_, std::move(issuers));
  wire_refresh(*p_);
  apply_inventory(*p_, p_->config, std::move(inventory));
  load_snapshot(*p_);
  build_front_end(*p_);
  p_->loop.on_signal(SIGHUP, [this] { reload(); });
  p_->loop.on_signal(SIGTERM, [this] { begin_shutdown("TERM"); });
  p_->loop.on_signal(SIGINT, [this] { begin_shutdown("INT"); });
  plan_lifecycle(*p_);
}

App::~App() = default;

int App::run() {
  Parts& p = *p_;
  p.lifecycle.start_all();
  p.readiness.listening = true;
  log::info("ready", "version=" OCSPCACHE_VERSION " issuers=" +
                         std::to_string(p.services.routes.load()->registry().issuers().size()) +
                         " cache_max_bytes=" + std::to_string(p.config.cache.max_bytes));
  p.notifier->ready(serving_status(p, "serving"));
  p.loop.run();
  p.lifecycle.stop_all();
  log::info("stopped");
  return 0;
}

// SIGHUP: build the new state beside the old and swap only on success
// (STYLE.md). Keys whose schema row says "live" apply now; the others were
// built at start-up, and the log says which changed.
void App::reload() {
  Parts& p = *p_;
  p.notifier->reloading("reloading " + p.config.path);
  Config next;
  std::shared_ptr<const ocsp::IssuerRegistry> registry;
  Inventory inventory;
  try {
    next = load_config(p.config.path);
    registry =
        std::make_shared<const ocsp::IssuerRegistry>(ocsp::IssuerRegistry::load(next.issuers));
    registry = read_inventory(next, std::move(registry), inventory);
  } catch (const ConfigError& e) {
    log::error("reload_failed", "kept=previous reason=" + log::quoted(e.what()));
    p.notifier->ready(serving_status(p, "reload failed, previous config kept: " +
                                            std::string(e.what()) + "; serving"));
    return;
  }
  p.responders.set_breaker_policy(breaker_policy(next));
  p.negative.set_ttl(next.upstream.negative_ttl);
  p.upstream->set_options(FetcherOptions::from(next.upstream));
  p.writer.ledger().set_max_records(next.cache.max_revocations);
  const std::shared_ptr<const RouteTable> before = p.services.routes.load();
  p.services.routes.store(std::make_shared<const RouteTable>(registry, p.responders));
  drop_untrusted(p, before->registry(), *registry);
  apply_log_config(next);
  p.metrics.certs().configure(tracker_options(next));
  p.services.track_clients.store(tracked_clients(next));
  p.refresher->configure(refresh_options(next));
  apply_inventory(p, next, std::move(inventory));
  log::info("reloaded", "issuers=" + std::to_string(registry->issuers().size()) +
                            " log_level=" + next.log.level);
  p.notifier->ready(serving_status(p, "reloaded; serving"));
  // Compared with what runs (the start-up values), not with the last
  // reload: until a restart the file and the process differ, and each
  // reload says so again.
  const std::vector<std::string> keys = keys_needing_restart(p.config, next);
  if (keys.empty()) return;
  std::string sections, list;
  for (const std::string& key : keys) {
    const std::string section = key.substr(0, key.find('.'));
    if (sections.find(section) == std::string::npos) {
      sections += (sections.empty() ? "" : ",") + section;
    }
    list += (list.empty() ? "" : ",") + key;
  }
  log::warn("reload_needs_restart", "sections=" + sections + " keys=" + list +
                                        " reason=\"changed; these apply only at start-up\"");
}

void App::begin_shutdown(const char* signal_name) {
  Parts& p = *p_;
  if (p.drain) return;  // a second signal changes nothing: the deadline stands
  log::info("shutdown", std::string("signal=") + signal_name + " drain_timeout_ms=" +
                            std::to_string(p.config.server.drain_timeout.count()));
  p.readiness.draining = true;
  p.notifier->stopping(std::string("draining (SIG") + signal_name + ")");
  p.refresher->stop();  // no new background fetches while clients drain
  std::vector<DrainTarget> targets;
  for (auto& w : p.workers) {
    Worker* worker = w.get();
    targets.push_back({[worker] { worker->begin_drain(); }, [worker] { return worker->finished(); },
                       [worker] { worker->stop_now(); }});
  }
  p.drain =
      std::make_unique<DrainSequence>(std::move(targets), p.clock, p.config.server.drain_timeout);
  p.drain->begin();
  p.loop.every(kDrainPoll, [&p] {
    if (p.drain->poll()) p.loop.exit();
  });
}

}  // namespace ocspcache
