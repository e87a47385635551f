// A front-end worker: one thread, one libevent loop, its own SO_REUSEPORT
// listening sockets and its connections. Misses go to the upstream thread
// (Services::upstream). Workers share only Services; anything crossing
// threads goes through post().
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "ocspcache/http/forwarder.h"
#include "ocspcache/http/miss_resolver.h"
#include "ocspcache/http/services.h"
#include "ocspcache/metrics/worker_stats.h"
#include "ocspcache/util/loop_mailbox.h"

struct event_base;
struct event;

namespace ocspcache {

class Connection;

class Worker {
 public:
  Worker(int index, Services& services);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Start-up, before start(): takes ownership of a listening socket.
  void add_listener(int fd);
  void start();  // spawns the thread
  void join();

  // Thread-safe: runs fn on this worker's loop.
  void post(std::function<void()> fn);
  // Thread-safe: stop accepting, finish what is in progress, then stop.
  void begin_drain();
  // Thread-safe: stop now (after the drain timeout).
  void stop_now();

  // Loop-thread only.
  event_base* base() { return base_.get(); }
  Services& services() { return services_; }
  WorkerStats& stats() { return stats_; }
  MissResolver& resolver() { return *resolver_; }
  // Forward-proxy mode's miss side; null while upstream.allow_hosts is empty.
  Forwarder* forwarder() { return forwarder_.get(); }
  // upstream.nonce = "passthrough".
  bool nonce_passthrough() const { return nonce_passthrough_; }
  int64_t now() const { return now_; }
  int64_t now_ms() const { return now_ms_; }  // monotonic, for timeouts
  void refresh_now();
  void close_connection(uint64_t id);
  Connection* find_connection(uint64_t id);
  bool draining() const { return draining_; }
  // Thread-safe: the loop has returned.
  bool finished() const { return finished_.load(); }
  int index() const { return index_; }

 private:
  static void on_accept(int fd, short what, void* arg);
  static void on_sweep(int fd, short what, void* arg);
  static void on_cleanup(int fd, short what, void* arg);
  static void on_accept_resume(int fd, short what, void* arg);
  // Accepts up to BATCH connections, fewer when the queue empties.
  void accept_all(int listen_fd, int batch);
  // Out of descriptors (EMFILE/ENFILE): the listeners are level-triggered,
  // so accepting again at once would spin. Stop for a short back-off, or
  // until one of our connections closes, as nginx does.
  void pause_accepting();
  void resume_accepting();
  void sweep();
  void maybe_finish_drain();

  struct BaseDeleter {
    void operator()(event_base* b) const;
  };
  struct EventDeleter {
    void operator()(event* e) const;
  };
  using EventPtr = std::unique_ptr<event, EventDeleter>;

  const int index_;
  Services& services_;
  std::unique_ptr<event_base, BaseDeleter> base_;
  std::vector<int> listen_fds_;
  std::vector<EventPtr> listen_events_;
  LoopMailbox mailbox_;
  EventPtr sweep_event_;
  EventPtr cleanup_event_;
  EventPtr accept_resume_event_;
  bool accept_paused_ = false;
  std::vector<std::unique_ptr<Connection>> graveyard_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_conn_id_ = 1;
  int64_t now_ = 0;
  int64_t now_ms_ = 0;
  bool draining_ = false;
  WorkerStats stats_;
  std::unique_ptr<SharedStore> shared_;  // this worker's connection to the fleet's tier
  std::unique_ptr<MissResolver> resolver_;
  std::unique_ptr<Forwarder> forwarder_;
  bool nonce_passthrough_ = false;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace ocspcache
