#include "ocspcache/http/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ocspcache {
namespace {

// SO_REUSEPORT would let a second instance started by mistake join our port
// and silently take half the connections, so refuse when someone already
// listens there. Read from the kernel's socket table rather than probed by
// binding: a socket that is bound but not listening (a port reservation)
// takes no connections and is no conflict.
bool someone_listens(const sockaddr_storage& ss) {
  const bool v6 = ss.ss_family == AF_INET6;
  const uint16_t port = v6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port)
                           : ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (port == 0) return false;
  std::string want_addr;  // as /proc/net/tcp spells it
  char buf[40];
  if (v6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr.s6_addr32;
    std::snprintf(buf, sizeof buf, "%08X%08X%08X%08X", a[0], a[1], a[2], a[3]);
  } else {
    std::snprintf(buf, sizeof buf, "%08X", reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr);
  }
  want_addr = buf;
  const std::string any(want_addr.size(), '0');
  std::ifstream in(v6 ? "/proc/net/tcp6" : "/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state) || state != "0A") continue;
    const size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    const unsigned long p = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
    const std::string a = local.substr(0, colon);
    if (p == port && (a == want_addr || a == any || want_addr == any)) return true;
  }
  return false;
}

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

  if (someone_listens(ss)) {
    throw std::runtime_error("cannot listen on " + addr.to_string() +
                             ": address already in use (another ocspcache?)");
  }
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
