// The admin listener: /healthz, /readyz, /metrics, /status. Its own thread and
// event loop (libevent's evhttp: not the hot path), so a slow scrape never
// stalls request handling.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "ocspcache/config/config.h"
#include "ocspcache/metrics/metrics.h"

struct event_base;
struct evhttp;
struct evhttp_request;

namespace ocspcache {

// What /readyz reports; written by the daemon, read by the admin thread.
struct Readiness {
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
};

class AdminServer {
 public:
  AdminServer(const HostPort& addr, Metrics& metrics, Readiness& readiness);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  const HostPort& bound() const { return bound_; }
  void start();
  void stop();

 private:
  static void on_request(::evhttp_request* req, void* arg);
  Metrics& metrics_;
  Readiness& readiness_;
  HostPort bound_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  std::thread thread_;
};

}  // namespace ocspcache
