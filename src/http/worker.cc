#include "ocspcache/http/worker.h"

#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <stdexcept>
#include <string>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/http/client_limiter.h"
#include "ocspcache/http/connection.h"
#include "ocspcache/util/ip_network.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {

namespace {
event_base* checked(event_base* b) {
  if (b == nullptr) throw std::runtime_error("event_base_new failed (worker)");
  return b;
}
}  // namespace

void Worker::BaseDeleter::operator()(event_base* b) const { event_base_free(b); }
void Worker::EventDeleter::operator()(event* e) const { event_free(e); }

Worker::Worker(int index, Services& services)
    : index_(index),
      services_(services),
      base_(checked(event_base_new())),
      mailbox_(base_.get(), [this] { refresh_now(); }) {
  sweep_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::on_sweep, this));
  // Timeouts are checked by a sweep rather than a timer per connection (no
  // timer churn per request); it runs often enough to keep them to within a
  // quarter of the shortest one, and at least once a second.
  const auto& server = services_.config->server;
  const int64_t shortest = std::min(server.read_timeout.count(), server.idle_timeout.count());
  const int64_t period_ms = std::clamp<int64_t>(shortest / 4, 10, 1000);
  const timeval period = to_timeval(Millis{period_ms});
  event_add(sweep_event_.get(), &period);
  if (services_.make_shared_store) {
    shared_ = services_.make_shared_store(base_.get(), index_,
                                          [this](std::function<void()> fn) { post(std::move(fn)); });
  }
  MissResolver::Parts parts{*services_.store, *services_.writer, *services_.flights,
                            *services_.metrics, *services_.clock, *services_.negative,
                            &services_.routes};
  parts.shared = shared_.get();
  parts.clock_skew_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                 services_.config->upstream.clock_skew)
                                 .count();
  resolver_ = std::make_unique<MissResolver>(parts, *services_.upstream);
  const UpstreamConfig& upstream = services_.config->upstream;
  if (!upstream.allow_hosts.empty()) {
    if (services_.responders == nullptr) throw std::runtime_error("forward-proxy mode without a responder set");
    forwarder_ = std::make_unique<Forwarder>(base_.get(), upstream, *services_.responders,
                                             *resolver_, *services_.metrics);
  }
  nonce_passthrough_ = upstream.nonce == "passthrough";
  refresh_now();
}

Worker::~Worker() {
  join();
  conns_.clear();
  graveyard_.clear();
  listen_events_.clear();
  for (int fd : listen_fds_) ::close(fd);
  forwarder_.reset();
  resolver_.reset();
  shared_.reset();  // before the loop it has events on
  mailbox_.clear();
  sweep_event_.reset();
  cleanup_event_.reset();
  accept_resume_event_.reset();
}

void Worker::add_listener(int fd) {
  listen_fds_.push_back(fd);
  EventPtr ev(event_new(base_.get(), fd, EV_READ | EV_PERSIST, &Worker::on_accept, this));
  event_add(ev.get(), nullptr);
  listen_events_.push_back(std::move(ev));
}

void Worker::start() {
  cleanup_event_.reset(event_new(base_.get(), -1, 0, &Worker::on_cleanup, this));
  thread_ = std::thread([this] {
    // Named so `top -H`, perf and taskset can tell workers from the admin
    // thread (bench/run.sh pins workers by this name). 15 chars at most.
    const std::string name = "ocspcache-w" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    // Signals are the control loop's (app/control_loop.h), never a worker's.
    sigset_t control;
    sigemptyset(&control);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&control, sig);
    pthread_sigmask(SIG_BLOCK, &control, nullptr);
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
    finished_ = true;
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::refresh_now() {
  now_ = now_unix();
  now_ms_ = static_cast<int64_t>(monotonic_ns() / 1'000'000);
}

void Worker::post(std::function<void()> fn) { mailbox_.post(std::move(fn)); }

void Worker::on_accept(int fd, short, void* arg) {
  static_cast<Worker*>(arg)->accept_all(fd, 64);
}

namespace {

// One line per client and 10 s: a client over its budget keeps trying.
log::Limiter& per_client_log() {
  static log::Limiter limiter{Millis{10'000}};
  return limiter;
}

}  // namespace

void Worker::accept_all(int listen_fd, int batch) {
  refresh_now();
  const size_t max_conns = services_.config->server.max_connections;
  // Bounded batch so one busy listener cannot starve the connections.
  ClientLimiter* per_client = services_.client_limits;
  const std::shared_ptr<const IpNetworkList> tracked = services_.track_clients.load();
  for (int i = 0; i < batch; ++i) {
    sockaddr_storage peer_addr{};
    socklen_t peer_len = sizeof peer_addr;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer_addr), &peer_len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) pause_accepting();
      return;
    }
    if (draining_) {
      stats_.connection_rejected(RejectReason::kDraining);
      ::close(fd);
      continue;
    }
    if (services_.open_connections.fetch_add(1, std::memory_order_relaxed) >= max_conns) {
      services_.open_connections.fetch_sub(1, std::memory_order_relaxed);
      stats_.connection_rejected(RejectReason::kMaxConnections);
      ::close(fd);
      continue;
    }
    // A unix-socket or otherwise addressless peer is one client of its own.
    const IpAddress peer =
        from_sockaddr(reinterpret_cast<const sockaddr*>(&peer_addr)).value_or(IpAddress{});
    const ClientKey client = client_key(peer);
    if (per_client != nullptr && !per_client->acquire(client)) {
      services_.open_connections.fetch_sub(1, std::memory_order_relaxed);
      stats_.connection_rejected(RejectReason::kPerClient);
      per_client_log().warn("per_client:" + peer.to_string(), "connection_refused",
                            "client=" + peer.to_string() +
                                " reason=\"server.max_connections_per_client reached\"");
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const uint64_t id = next_conn_id_++;
    auto conn = std::make_unique<Connection>(*this, id, fd);
    conn->set_client(client, per_client != nullptr, tracked && tracked->contains(peer));
    Connection* raw = conn.get();
    conns_.emplace(id, std::move(conn));
    stats_.connection_opened();
    raw->start();
  }
}

namespace {

// How long a worker out of descriptors stops accepting, unless one of its
// connections closes first: short enough that clients in the backlog wait
// little, long enough that the loop does not spin on EMFILE.
constexpr Millis kAcceptBackoff{100};

// One line per 10 s for all workers: at the limit every worker hits it.
log::Limiter& accept_log() {
  static log::Limiter limiter{Millis{10'000}};
  return limiter;
}

}  // namespace

void Worker::pause_accepting() {
  if (accept_paused_) return;
  accept_paused_ = true;
  stats_.accept_paused();
  for (auto& ev : listen_events_) event_del(ev.get());
  if (!accept_resume_event_) {
    accept_resume_event_.reset(evtimer_new(base_.get(), &Worker::on_accept_resume, this));
  }
  const timeval backoff = to_timeval(kAcceptBackoff);
  evtimer_add(accept_resume_event_.get(), &backoff);
  accept_log().warn("accept_paused", "accept_paused",
                    "reason=\"out of file descriptors\" open_connections=" +
                        std::to_string(conns_.size()) +
                        " backoff_ms=" + std::to_string(kAcceptBackoff.count()));
}

void Worker::resume_accepting() {
  if (!accept_paused_) return;
  accept_paused_ = false;
  if (accept_resume_event_) evtimer_del(accept_resume_event_.get());
  for (auto& ev : listen_events_) event_add(ev.get(), nullptr);  // none once draining
}

void Worker::on_accept_resume(int, short, void* arg) { static_cast<Worker*>(arg)->resume_accepting(); }

Connection* Worker::find_connection(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

// Called from inside the connection's own callbacks: the object must live
// until the callback returns, so it is parked and freed on the next turn.
void Worker::close_connection(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  if (it->second->holds_client_slot()) services_.client_limits->release(it->second->client());
  graveyard_.push_back(std::move(it->second));
  conns_.erase(it);
  services_.open_connections.fetch_sub(1, std::memory_order_relaxed);
  stats_.connection_closed();
  // A descriptor came free: a paused listener may take the next client now.
  // (The socket is closed when the parked connection is freed, just after.)
  if (accept_paused_) event_active(accept_resume_event_.get(), EV_TIMEOUT, 0);
  if (cleanup_event_) event_active(cleanup_event_.get(), 0, 0);
}

void Worker::on_cleanup(int, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  self->graveyard_.clear();
  self->maybe_finish_drain();
}

void Worker::on_sweep(int, short, void* arg) { static_cast<Worker*>(arg)->sweep(); }

void Worker::sweep() {
  refresh_now();
  std::vector<uint64_t> expired;
  for (auto& [id, conn] : conns_) {
    if (conn->timed_out(now_ms_)) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    if (Connection* c = find_connection(id)) c->expire();
  }
  maybe_finish_drain();
}

void Worker::begin_drain() {
  post([this] {
    // Connections the kernel completed before now but we had not accepted
    // yet may carry a request already, and closing a listener resets what
    // waits in its queue: take them all in first (up to max_connections);
    // the drain below answers what they sent and closes the rest.
    if (!accept_paused_) {
      for (int fd : listen_fds_) accept_all(fd, std::numeric_limits<int>::max());
    }
    draining_ = true;
    // Stop accepting and close the sockets, so a client connecting after
    // SIGTERM is refused at once instead of waiting in the backlog.
    listen_events_.clear();
    for (int fd : listen_fds_) ::close(fd);
    listen_fds_.clear();
    std::vector<uint64_t> ids;
    ids.reserve(conns_.size());
    for (auto& [id, conn] : conns_) ids.push_back(id);
    for (uint64_t id : ids) {
      if (Connection* c = find_connection(id)) c->drain();
    }
    maybe_finish_drain();
  });
}

void Worker::maybe_finish_drain() {
  if (draining_ && conns_.empty()) {
    event_base_loopexit(base_.get(), nullptr);
  }
}

void Worker::stop_now() {
  post([this] { event_base_loopexit(base_.get(), nullptr); });
}

}  // namespace ocspcache
