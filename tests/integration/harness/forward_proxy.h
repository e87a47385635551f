// A tiny outbound HTTP proxy on loopback, the `upstream.http_proxy` of the
// transport tests: absolute-URI requests are relayed (the request line
// rewritten to origin form), `CONNECT host:port` opens a byte tunnel. It
// only ever connects to 127.0.0.1 (any host name in a request is taken to
// mean loopback) and records every request line it saw.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ocspcache::it {

class ForwardProxy {
 public:
  ForwardProxy();
  ~ForwardProxy();
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT"
  std::vector<std::string> request_lines() const;
  size_t connections() const { return connections_.load(); }

  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace ocspcache::it
