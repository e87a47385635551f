#include "harness/raw_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace ocspcache::it {

namespace {

using Clock = std::chrono::steady_clock;

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

}  // namespace

RawConnection::RawConnection(uint16_t port, std::chrono::milliseconds timeout, const char* source)
    : fd_(connect_loopback(port, source)), timeout_(timeout) {}

RawConnection::~RawConnection() {
  close();
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::send(std::string_view bytes) {
  return fd_ >= 0 && send_all(fd_, bytes);
}

void RawConnection::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool RawConnection::fill(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char chunk[16384];
    ssize_t got = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
    if (got > 0) {
      buf_.append(chunk, static_cast<size_t>(got));
      return true;
    }
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    eof_ = true;  // 0: orderly close; <0: reset or another error
    return false;
  }
}

HttpResponse RawConnection::read_response(bool head) {
  HttpResponse r;
  auto deadline = Clock::now() + timeout_;
  size_t header_end;
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      r.raw = buf_;
      r.error = buf_.empty() ? (eof_ ? "closed without a response" : "no response")
                             : "incomplete response: " + buf_.substr(0, 200);
      return r;
    }
  }
  std::string_view head_text(buf_.data(), header_end);
  size_t first = head_text.find("\r\n");
  std::string start_line(head_text.substr(0, first));
  if (!start_line.starts_with("HTTP/1.") || start_line.size() < 12) {
    r.raw = buf_;
    r.error = "not an HTTP response: " + buf_.substr(0, 200);
    return r;
  }
  int status = std::atoi(start_line.c_str() + 9);
  size_t pos = first == std::string_view::npos ? head_text.size() : first + 2;
  while (pos < head_text.size()) {
    size_t eol = head_text.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head_text.size();
    std::string_view line = head_text.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto [it, inserted] =
        r.headers.emplace(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    if (!inserted) it->second += ", " + trim(line.substr(colon + 1));
  }
  size_t body_start = header_end + 4;
  size_t body_len = 0;
  bool no_body = head || status == 204 || status == 304 || (status >= 100 && status < 200);
  if (!no_body) {
    std::string length = r.header("content-length");
    if (length.empty()) {  // delimited by EOF
      while (fill(deadline)) {
      }
      if (!eof_) {
        r.error = "no Content-Length and no EOF";
        r.raw = buf_;
        return r;
      }
      body_len = buf_.size() - body_start;
    } else {
      body_len = std::strtoul(length.c_str(), nullptr, 10);
      while (buf_.size() < body_start + body_len) {
        if (!fill(deadline)) {
          r.raw = buf_;
          r.error = "incomplete body: " + std::to_string(buf_.size() - body_start) + " of " +
                    std::to_string(body_len) + " bytes";
          r.headers.clear();
          return r;
        }
      }
    }
  }
  r.status = status;
  r.body = buf_.substr(body_start, body_len);
  r.raw = buf_.substr(0, body_start + body_len);
  buf_.erase(0, body_start + body_len);
  return r;
}

RawConnection::Closing RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (fill(deadline)) {
  }
  Closing c;
  c.closed = eof_;
  c.data = std::move(buf_);
  buf_.clear();
  return c;
}

std::string get_request(std::string_view target, std::string_view extra_headers,
                        std::string_view version) {
  std::string r = "GET " + std::string(target) + " " + std::string(version) + "\r\n";
  r += "Host: 127.0.0.1\r\n";
  r += extra_headers;
  return r + "\r\n";
}

std::string post_request(std::string_view body, std::string_view extra_headers,
                         std::string_view version, std::string_view target) {
  std::string r = "POST " + std::string(target) + " " + std::string(version) + "\r\n";
  r += "Host: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += extra_headers;
  r += "\r\n";
  return r + std::string(body);
}

std::string chunked(std::string_view body, size_t pieces) {
  std::string out;
  size_t step = (body.size() + pieces - 1) / pieces;
  for (size_t at = 0; at < body.size(); at += step) {
    std::string_view piece = body.substr(at, step);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    out += size;
    out += piece;
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace ocspcache::it
