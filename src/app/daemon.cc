#include "ocspcache/app/daemon.h"

#include <event2/thread.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ocspcache/admin/admin_server.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/http/listener.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"
#include "ocspcache/cache/memory_cache.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/ocsp/response_identify.h"
#include "ocspcache/http/services.h"
#include "ocspcache/upstream/single_flight.h"
#include "ocspcache/http/worker.h"

namespace ocspcache {
namespace {

CertTracker::Options tracker_options(const Config& c) {
  return {.idle_seconds = c.metrics.track_idle.count() / 1000,
          .max_series = c.metrics.max_series};
}

// SIGHUP: build the new state beside the old and swap only on success
// (STYLE.md). Issuers, [metrics] and [log] apply at once; sections whose
// objects were built at start-up (sockets, threads, cache size, upstream
// clients) need a restart, and the log says which.
void reload(const Config& current, Services& services) {
  Config next;
  std::shared_ptr<const ocsp::IssuerRegistry> registry;
  try {
    next = load_config(current.path);
    registry = std::make_shared<const ocsp::IssuerRegistry>(ocsp::IssuerRegistry::load(next.issuers));
  } catch (const ConfigError& e) {
    log::error("reload_failed", std::string("kept=previous reason=\"") + e.what() + "\"");
    return;
  }
  services.issuers.store(registry);
  log::Level level = log::Level::kInfo;
  if (log::parse_level(next.log.level, &level)) log::set_level(level);
  log::upstream_errors().set_interval(next.log.upstream_error_interval);
  services.metrics->certs().configure(tracker_options(next));
  // Compared with what runs (the start-up values), not with the last
  // reload: until a restart the file and the process differ, and each
  // reload says so again.
  std::string restart;
  auto note = [&restart](bool changed, const char* section) {
    if (changed) restart += restart.empty() ? section : std::string(",") + section;
  };
  note(!(next.server == current.server), "server");
  note(!(next.admin == current.admin), "admin");
  note(!(next.cache == current.cache), "cache");
  note(!(next.redis == current.redis), "redis");
  note(!(next.upstream == current.upstream), "upstream");
  note(!(next.stapling == current.stapling), "stapling");
  log::info("reloaded", "issuers=" + std::to_string(registry->issuers().size()) +
                            " log_level=" + next.log.level);
  if (!restart.empty()) {
    log::warn("reload_needs_restart", "sections=" + restart +
                                          " reason=\"changed; these apply only at start-up\"");
  }
}

unsigned worker_count(const Config& c) {
  if (c.server.threads != 0) return c.server.threads;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace

int run_daemon(const Config& config) {
  // Cross-thread event_active (Worker::post) needs libevent's locking.
  evthread_use_pthreads();

  // Signals are taken synchronously by this thread only (sigwait below);
  // every thread started from here inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  log::Level level = log::Level::kInfo;
  if (log::parse_level(config.log.level, &level)) log::set_level(level);
  log::upstream_errors().set_interval(config.log.upstream_error_interval);

  auto issuers =
      std::make_shared<const ocsp::IssuerRegistry>(ocsp::IssuerRegistry::load(config.issuers));
  MemoryCache cache(config.cache.max_bytes);
  SingleFlight flights;
  Metrics metrics;
  metrics.set_cache(&cache);
  metrics.certs().configure(tracker_options(config));
  Services services;
  services.config = &config;
  services.cache = &cache;
  services.issuers.store(issuers);
  services.flights = &flights;
  services.metrics = &metrics;
  // Certificates that lost their series come back when the cache answers
  // them again; who an entry answers is read from its DER with the issuer
  // registry in force at that moment (reloads swap it).
  metrics.certs().set_revival(&cache, [&services](const CachedResponse& entry) {
    const std::shared_ptr<const ocsp::IssuerRegistry> registry = services.issuers.load();
    return registry ? ocsp::identify_response(entry.der(), *registry)
                    : std::vector<ocsp::IdentifiedSingle>{};
  });

  const unsigned n = worker_count(config);
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < n; ++i) {
    workers.push_back(std::make_unique<Worker>(static_cast<int>(i), services));
    metrics.add_worker(&workers.back()->stats());
  }
  for (const HostPort& addr : config.server.listen) {
    HostPort bound;
    std::vector<int> fds = open_listeners(addr, n, &bound);
    for (unsigned i = 0; i < n; ++i) workers[i]->add_listener(fds[i]);
    log::info("listening", "addr=" + bound.to_string() + " workers=" + std::to_string(n));
  }

  Readiness readiness;
  std::unique_ptr<AdminServer> admin;
  if (config.admin.listen) {
    admin = std::make_unique<AdminServer>(*config.admin.listen, metrics, readiness);
    log::info("admin_listening", "addr=" + admin->bound().to_string());
  }

  for (auto& w : workers) w->start();
  if (admin) admin->start();
  readiness.listening = true;
  log::info("ready", "version=" OCSPCACHE_VERSION " issuers=" +
                         std::to_string(issuers->issuers().size()) +
                         " cache_max_bytes=" + std::to_string(config.cache.max_bytes));

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      reload(config, services);
      continue;
    }
    log::info("shutdown", std::string("signal=") + (sig == SIGTERM ? "TERM" : "INT") +
                              " drain_timeout_ms=" +
                              std::to_string(config.server.drain_timeout.count()));
    break;
  }

  readiness.draining = true;
  for (auto& w : workers) w->begin_drain();
  const auto deadline = std::chrono::steady_clock::now() + config.server.drain_timeout;
  for (auto& w : workers) {
    while (!w->finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!w->finished()) w->stop_now();
  }
  for (auto& w : workers) w->join();
  if (admin) admin->stop();
  log::info("stopped");
  return 0;
}

}  // namespace ocspcache
