#include "harness/fault_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "harness/http_client.h"
#include "harness/ports.h"

namespace ocspcache::it {

namespace {

void set_timeouts(int fd, std::chrono::seconds t) {
  timeval tv{static_cast<time_t>(t.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string response(int status, const std::string& content_type, const std::string& body,
                     const std::string& extra_headers = {}) {
  std::string r = "HTTP/1.0 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
  r += extra_headers;
  r += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return r + body;
}

// Relays REQUEST to 127.0.0.1:PORT and returns the raw reply, or a 502.
std::string relay(uint16_t port, const std::string& request) {
  int fd = connect_loopback(port);
  if (fd < 0) return response(502, "text/plain", "upstream connect failed");
  set_timeouts(fd, std::chrono::seconds(10));
  std::string reply;
  if (send_all(fd, request)) reply = read_http_message(fd).raw;
  close(fd);
  return reply.empty() ? response(502, "text/plain", "upstream sent nothing") : reply;
}

}  // namespace

FaultServer::FaultServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 512) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(listen_fd_);
    throw std::system_error(err, std::generic_category(), "fault server bind");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultServer::~FaultServer() {
  stop();
}

std::string FaultServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

void FaultServer::forward_to(uint16_t port, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  mode_ = Mode::kForward;
  forward_port_ = port;
  delay_ = delay;
}

void FaultServer::reply(std::string body, int status, std::string content_type) {
  std::lock_guard lock(mu_);
  mode_ = Mode::kFixed;
  body_ = std::move(body);
  status_ = status;
  content_type_ = std::move(content_type);
}

void FaultServer::add_header(std::string line) {
  std::lock_guard lock(mu_);
  extra_headers_ += line + "\r\n";
}

void FaultServer::reply_status(int status) {
  reply("", status, "text/plain");
}

void FaultServer::hang() {
  std::lock_guard lock(mu_);
  mode_ = Mode::kHang;
}

void FaultServer::close_immediately() {
  std::lock_guard lock(mu_);
  mode_ = Mode::kClose;
}

bool FaultServer::wait_for_requests(size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return requests_.load() >= n; }, timeout);
}

std::vector<std::string> FaultServer::request_lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

void FaultServer::accept_loop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // stop() shut the listener down
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void FaultServer::serve(int fd) {
  // Requests in progress at once (accepted, reply not yet being written),
  // for tests of the daemon's upstream limits: a client cannot start its
  // next exchange before it has this one's reply, so counting up to the
  // reply (not to the close) sees no overlap the client did not make.
  struct InProgress {
    FaultServer& s;
    bool done = false;
    explicit InProgress(FaultServer& server) : s(server) {
      const size_t now = ++s.in_progress_;
      size_t seen = s.max_in_progress_.load();
      while (now > seen && !s.max_in_progress_.compare_exchange_weak(seen, now)) {
      }
    }
    void end() {
      if (!done) --s.in_progress_;
      done = true;
    }
    ~InProgress() { end(); }
  } in_progress(*this);
  set_timeouts(fd, std::chrono::seconds(30));
  Mode mode;
  {
    std::lock_guard lock(mu_);
    mode = mode_;
  }
  if (mode == Mode::kClose) {
    ++requests_;
    finish(fd);
    return;
  }
  HttpMessage request = read_http_message(fd);
  if (request.raw.empty()) {
    finish(fd);
    return;
  }
  std::unique_lock lock(mu_);
  lines_.push_back(request.start_line);
  mode = mode_;
  ++requests_;
  std::string reply;
  switch (mode) {
    case Mode::kHang:
      stopped_cv_.wait(lock, [this] { return stopping_; });
      break;
    case Mode::kForward: {
      uint16_t port = forward_port_;
      if (stopped_cv_.wait_for(lock, delay_, [this] { return stopping_; })) break;
      lock.unlock();
      reply = relay(port, request.raw);
      lock.lock();
      break;
    }
    case Mode::kFixed:
    case Mode::kClose:
      reply = response(status_, content_type_, body_, extra_headers_);
      break;
  }
  lock.unlock();
  in_progress.end();
  if (!reply.empty()) send_all(fd, reply);
  finish(fd);
}

// Half-closes then closes, so the client reads the whole reply before EOF.
void FaultServer::finish(int fd) {
  std::lock_guard lock(mu_);
  auto it = std::find(open_fds_.begin(), open_fds_.end(), fd);
  if (it == open_fds_.end()) return;
  open_fds_.erase(it);
  shutdown(fd, SHUT_WR);
  close(fd);
}

void FaultServer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    // Wakes blocking reads and writes in the workers; they close their fds.
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  stopped_cv_.notify_all();
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.join();
}

}  // namespace ocspcache::it
