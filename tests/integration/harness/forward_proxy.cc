#include "harness/forward_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "harness/http_client.h"

namespace ocspcache::it {
namespace {

// The port of "host:port" or of the authority in "http://host:port/path".
uint16_t port_of(const std::string& authority) {
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return 80;
  return static_cast<uint16_t>(std::stoi(authority.substr(colon + 1)));
}

// Copies bytes both ways until either side closes.
void pump(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[16384];
  while (poll(fds, 2, 10'000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(fds[1 - i].fd, std::string_view(buf, static_cast<size_t>(n)))) {
        return;
      }
    }
  }
}

}  // namespace

ForwardProxy::ForwardProxy() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 128) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw std::system_error(err, std::generic_category(), "proxy bind");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ForwardProxy::~ForwardProxy() { stop(); }

std::string ForwardProxy::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> ForwardProxy::request_lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

void ForwardProxy::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void ForwardProxy::accept_loop() {
  while (!stopping_) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_++;
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void ForwardProxy::serve(int fd) {
  while (!stopping_) {
    HttpMessage req = read_http_message(fd);
    if (!req.complete) break;
    {
      std::lock_guard lock(mu_);
      lines_.push_back(req.start_line);
    }
    const size_t sp1 = req.start_line.find(' ');
    const size_t sp2 = req.start_line.find(' ', sp1 + 1);
    const std::string method = req.start_line.substr(0, sp1);
    const std::string target = req.start_line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method == "CONNECT") {
      const int up = connect_loopback(port_of(target));
      if (up < 0) {
        send_all(fd, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        break;
      }
      send_all(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
      pump(fd, up);
      ::close(up);
      break;
    }
    // "http://host:port/path": the origin form goes to 127.0.0.1:port.
    if (target.rfind("http://", 0) != 0) {
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    const size_t path_at = target.find('/', 7);
    const std::string authority = target.substr(7, path_at - 7);
    const std::string path = path_at == std::string::npos ? "/" : target.substr(path_at);
    const int up = connect_loopback(port_of(authority));
    if (up < 0) {
      send_all(fd, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    // Relayed as HTTP/1.0 with its body; the answer goes back whole.
    std::string out = method + " " + path + " HTTP/1.0\r\n";
    for (const auto& [name, value] : req.headers) {
      if (name != "connection") out += name + ": " + value + "\r\n";
    }
    out += "\r\n" + req.body;
    HttpMessage reply;
    if (send_all(up, out)) reply = read_http_message(up, /*is_response=*/true);
    ::close(up);
    if (!reply.complete) break;
    // Always close after relaying: the test proxy keeps no upstream state.
    std::string back = "HTTP/1.1" + reply.start_line.substr(reply.start_line.find(' ')) + "\r\n";
    for (const auto& [name, value] : reply.headers) {
      if (name != "connection" && name != "content-length") back += name + ": " + value + "\r\n";
    }
    back += "Content-Length: " + std::to_string(reply.body.size()) +
            "\r\nConnection: close\r\n\r\n" + reply.body;
    send_all(fd, back);
    break;
  }
  std::lock_guard lock(mu_);
  fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
  ::close(fd);
}

}  // namespace ocspcache::it
