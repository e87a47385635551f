// A test-only HTTP server for what a real responder cannot be made to do
// (after mcrouter's mock_servers.py): answer slowly, answer fixed bytes,
// fail with HTTP 500, accept and never answer, or close at once. It also
// counts requests, which is how tests see single-flight and failover.
//
// One thread per connection with blocking sockets; every reply closes the
// connection, as the real `openssl ocsp` responder does.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ocspcache::it {

using namespace std::chrono_literals;

class FaultServer {
 public:
  enum class Mode {
    kForward,  // relay each request to 127.0.0.1:forward_port after `delay`
    kFixed,    // reply `status` with `body` (application/ocsp-response)
    kHang,     // read the request, never answer (until stop)
    kClose,    // close each connection as soon as it is accepted
  };

  FaultServer();  // listening on a free 127.0.0.1 port, in kFixed mode with HTTP 500
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  void forward_to(uint16_t port, std::chrono::milliseconds delay = 0ms);
  void reply(std::string body, int status = 200,
             std::string content_type = "application/ocsp-response");
  void reply_status(int status);  // empty body
  // A header line (no CRLF) added to every fixed reply, e.g. "Retry-After: 30".
  void add_header(std::string line);
  void hang();
  void close_immediately();

  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT/"

  // Requests received (in kClose mode: connections accepted).
  size_t request_count() const { return requests_.load(); }
  bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;
  // The most requests in progress at the same time (from accept to the
  // reply; a connection carries one request).
  size_t max_in_progress() const { return max_in_progress_.load(); }
  // First lines of the requests received so far ("POST / HTTP/1.1").
  std::vector<std::string> request_lines() const;

  void stop();

 private:
  void accept_loop();
  void serve(int fd);
  void finish(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> in_progress_{0};
  std::atomic<size_t> max_in_progress_{0};

  mutable std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopping_ = false;
  Mode mode_ = Mode::kFixed;
  uint16_t forward_port_ = 0;
  std::chrono::milliseconds delay_{0};
  int status_ = 500;
  std::string body_;
  std::string content_type_;
  std::string extra_headers_;
  std::vector<std::string> lines_;
  std::vector<int> open_fds_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace ocspcache::it
