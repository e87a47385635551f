#include "ocspcache/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ocspcache {
namespace {

int bind_one(const sockaddr* sa, socklen_t len, const HostPort& addr) {
  const int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket for " + addr.to_string() + ": " + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (sa->sa_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, sa, len) != 0 || ::listen(fd, 1024) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot listen on " + addr.to_string() + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

std::vector<int> open_listeners(const HostPort& addr, unsigned count, HostPort* bound) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(addr.port);
  const int rc = ::getaddrinfo(addr.host.empty() ? nullptr : addr.host.c_str(), port.c_str(),
                               &hints, &res);
  if (rc != 0 || res == nullptr) {
    throw std::runtime_error("cannot resolve listen address " + addr.to_string() + ": " +
                             gai_strerror(rc));
  }
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  const socklen_t len = res->ai_addrlen;
  ::freeaddrinfo(res);

  std::vector<int> fds;
  try {
    for (unsigned i = 0; i < count; ++i) {
      fds.push_back(bind_one(reinterpret_cast<sockaddr*>(&ss), len, addr));
      if (i == 0) {
        // Port 0: every later socket must share the port the kernel chose.
        sockaddr_storage actual{};
        socklen_t alen = sizeof actual;
        ::getsockname(fds[0], reinterpret_cast<sockaddr*>(&actual), &alen);
        std::memcpy(&ss, &actual, alen);
        char host[INET6_ADDRSTRLEN] = {};
        uint16_t p = 0;
        if (actual.ss_family == AF_INET6) {
          auto* a6 = reinterpret_cast<sockaddr_in6*>(&actual);
          ::inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
          p = ntohs(a6->sin6_port);
        } else {
          auto* a4 = reinterpret_cast<sockaddr_in*>(&actual);
          ::inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
          p = ntohs(a4->sin_port);
        }
        if (bound != nullptr) *bound = HostPort{host, p};
      }
    }
  } catch (...) {
    for (int fd : fds) ::close(fd);
    throw;
  }
  return fds;
}

}  // namespace ocspcache
