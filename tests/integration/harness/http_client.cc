#include "harness/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace ocspcache::it {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

// Buffered reader over a blocking socket: everything read lands in RAW.
class Reader {
 public:
  Reader(int fd, std::string& raw) : fd_(fd), raw_(raw) {}

  bool fill() {
    char buf[16384];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        raw_.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      return false;  // EOF, timeout or error
    }
  }
  // Index just past the "\r\n" ending the line that starts at FROM.
  std::optional<size_t> line_end(size_t from) {
    for (;;) {
      size_t at = raw_.find("\r\n", from);
      if (at != std::string::npos) return at + 2;
      if (!fill()) return std::nullopt;
    }
  }
  bool have(size_t end) {
    while (raw_.size() < end) {
      if (!fill()) return false;
    }
    return true;
  }

 private:
  int fd_;
  std::string& raw_;
};

}  // namespace

std::string HttpMessage::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

std::string HttpResponse::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

HttpMessage read_http_message(int fd, bool is_response, bool head_request) {
  HttpMessage m;
  Reader r(fd, m.raw);
  size_t header_end;
  for (;;) {
    header_end = m.raw.find("\r\n\r\n");
    if (header_end != std::string::npos) break;
    if (!r.fill()) return m;
  }
  size_t first = m.raw.find("\r\n");
  m.start_line = m.raw.substr(0, first);
  size_t pos = first + 2;
  while (pos < header_end + 2) {
    size_t eol = m.raw.find("\r\n", pos);
    std::string_view line(m.raw.data() + pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    auto [it, inserted] = m.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  size_t body_start = header_end + 4;

  int status = 0;
  if (is_response && m.start_line.size() >= 12) status = std::atoi(m.start_line.c_str() + 9);
  bool no_body = head_request || status == 204 || status == 304 || (status >= 100 && status < 200);
  std::string length = m.header("content-length");
  if (no_body) {
    m.complete = true;
  } else if (lower(m.header("transfer-encoding")).find("chunked") != std::string::npos) {
    size_t at = body_start;
    for (;;) {
      auto end = r.line_end(at);
      if (!end) return m;
      size_t size = std::strtoul(m.raw.c_str() + at, nullptr, 16);
      if (size == 0) {
        m.complete = r.line_end(*end).has_value();  // trailer's empty line
        break;
      }
      if (!r.have(*end + size + 2)) return m;
      m.body.append(m.raw, *end, size);
      at = *end + size + 2;
    }
  } else if (!length.empty()) {
    size_t size = std::strtoul(length.c_str(), nullptr, 10);
    if (!r.have(body_start + size)) return m;
    m.body = m.raw.substr(body_start, size);
    m.complete = true;
  } else if (is_response) {
    while (r.fill()) {
    }
    m.body = m.raw.substr(body_start);
    m.complete = true;
  } else {
    m.complete = true;  // a request without a length has no body
  }
  return m;
}

int connect_loopback(uint16_t port, const char* source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source != nullptr) {
    // The port is chosen at connect(), like any client's, which skips the
    // ports other sockets hold: a bind(addr:0) picks its port alone and may
    // take one a PortReservation holds on 127.0.0.1, and then `openssl
    // ocsp`, which binds every address, cannot have it (seen in the suite).
    const int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

HttpClient::HttpClient(uint16_t port, bool keep_alive, std::chrono::milliseconds timeout)
    : port_(port), keep_alive_(keep_alive), timeout_(timeout) {}

HttpClient::~HttpClient() {
  disconnect();
}

void HttpClient::disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool HttpClient::ensure_connected() {
  if (fd_ >= 0) return true;
  fd_ = connect_loopback(port_);
  if (fd_ < 0) return false;
  ++connections_;
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return true;
}

HttpResponse HttpClient::post(std::string_view path, std::string_view body,
                              std::string_view content_type, const Headers& headers) {
  Headers all = headers;
  all.emplace_back("Content-Type", std::string(content_type));
  return request("POST", path, body, all);
}

HttpResponse HttpClient::get(std::string_view path, const Headers& headers) {
  return request("GET", path, "", headers);
}

HttpResponse HttpClient::request(std::string_view method, std::string_view path,
                                 std::string_view body, const Headers& headers) {
  std::string req = std::string(method) + " " + std::string(path) +
                    (keep_alive_ ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  bool head = method == "HEAD";
  if (!keep_alive_) {
    disconnect();
    HttpResponse r = exchange(req, head);
    disconnect();
    return r;
  }
  // A kept-alive connection the server closed meanwhile fails before any
  // byte of a response arrives; that, and only that, is retried once.
  bool fresh = fd_ < 0;
  HttpResponse r = exchange(req, head);
  if (r.status == 0 && r.raw.empty() && !fresh) {
    disconnect();
    r = exchange(req, head);
  }
  if (r.status == 0 || lower(r.header("connection")) == "close") disconnect();
  return r;
}

HttpResponse HttpClient::raw(std::string_view bytes) {
  disconnect();
  HttpResponse r = exchange(bytes, false);
  disconnect();
  return r;
}

HttpResponse HttpClient::exchange(std::string_view bytes, bool head) {
  HttpResponse r;
  if (!ensure_connected()) {
    r.error = "connect to port " + std::to_string(port_) + " failed";
    return r;
  }
  // A failed send is not the end: the server may have answered early (413
  // for an oversized body) and closed; whatever it sent is still readable.
  (void)send_all(fd_, bytes);
  HttpMessage m = read_http_message(fd_, true, head);
  r.raw = m.raw;
  if (!m.complete || m.start_line.size() < 12 || !m.start_line.starts_with("HTTP/1.")) {
    r.error = m.raw.empty() ? "no response" : "incomplete response: " + m.raw.substr(0, 200);
    disconnect();
    return r;
  }
  r.status = std::atoi(m.start_line.c_str() + 9);
  r.headers = std::move(m.headers);
  r.body = std::move(m.body);
  return r;
}

}  // namespace ocspcache::it
