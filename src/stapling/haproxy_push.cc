#include "ocspcache/stapling/haproxy_push.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ocspcache/util/base64.h"
#include "ocspcache/util/net_address.h"
#include "ocspcache/util/unique_fd.h"

namespace ocspcache {
namespace {

int connect_to(const HaproxySocket& s, std::string* why) {
  if (!s.unix_path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (s.unix_path.size() >= sizeof addr.sun_path) {
      *why = "socket path too long";
      return -1;
    }
    std::memcpy(addr.sun_path, s.unix_path.c_str(), s.unix_path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    *why = std::string("connect: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(s.port);
  if (::getaddrinfo(s.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    *why = "cannot resolve " + s.host;
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      *why = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

std::optional<HaproxySocket> parse_haproxy_socket(const std::string& text, std::string* why) {
  HaproxySocket s;
  s.text = text;
  if (text.starts_with("unix:")) {
    s.unix_path = text.substr(5);
    if (s.unix_path.empty() || s.unix_path.front() != '/') {
      *why = "a unix: socket needs an absolute path";
      return std::nullopt;
    }
    return s;
  }
  auto hp = parse_host_port(text);
  if (!hp || hp->port == 0) {
    *why = "expected unix:/path or host:port";
    return std::nullopt;
  }
  s.host = hp->host;
  s.port = hp->port;
  return s;
}

std::string push_ocsp_response(const HaproxySocket& socket, std::span<const uint8_t> der,
                               std::chrono::milliseconds timeout) {
  std::string why;
  UniqueFd fd(connect_to(socket, &why));
  if (fd.get() < 0) return why;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string line = "set ssl ocsp-response " + base64::encode(der) + "\n";
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = ::send(fd.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::string("write: ") + std::strerror(errno);
    done += static_cast<size_t>(n);
  }
  // Non-interactive mode: HAProxy answers and closes.
  std::string answer;
  char buf[512];
  while (answer.size() < 4096) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("no answer: ") + std::strerror(errno);
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  if (answer.find("OCSP Response updated") != std::string::npos) return {};
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  return answer.empty() ? "closed without an answer" : "HAProxy: " + answer;
}

}  // namespace ocspcache
