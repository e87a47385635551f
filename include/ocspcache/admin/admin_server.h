// The admin listener: /healthz, /readyz, /metrics, /status, with libevent's
// evhttp (not the hot path) on the app's control loop, never a worker's: a
// slow scrape delays other control work (signals, timers) but never an
// OCSP answer.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "ocspcache/metrics/metrics.h"
#include "ocspcache/util/net_address.h"

struct event_base;
struct evhttp;
struct evhttp_request;

namespace ocspcache {

// What /readyz reports; written by the app, read when /readyz is asked.
struct Readiness {
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
};

class AdminServer {
 public:
  // Binds `addr` (throws std::runtime_error naming it) and serves on `base`
  // from the next loop turn; `base` must outlive this object.
  AdminServer(event_base* base, const HostPort& addr, Metrics& metrics, Readiness& readiness);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  const HostPort& bound() const { return bound_; }
  // Closes the listener and any admin connection (idempotent).
  void stop();

 private:
  struct HttpDeleter {
    void operator()(evhttp* h) const;
  };
  static void on_request(::evhttp_request* req, void* arg);
  Metrics& metrics_;
  Readiness& readiness_;
  HostPort bound_;
  std::unique_ptr<evhttp, HttpDeleter> http_;
};

}  // namespace ocspcache
