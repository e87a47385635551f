#include "harness/keepalive_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <system_error>

#include "harness/http_client.h"
#include "harness/process.h"

namespace ocspcache::it {
namespace {

// A connection, plain or TLS, read and written whole.
struct Stream {
  int fd = -1;
  SSL* ssl = nullptr;

  long read_some(char* buf, size_t n) {
    if (ssl != nullptr) return SSL_read(ssl, buf, static_cast<int>(n));
    return ::recv(fd, buf, n, 0);
  }
  bool write_all(std::string_view data) {
    if (ssl != nullptr) {
      return data.empty() || SSL_write(ssl, data.data(), static_cast<int>(data.size())) > 0;
    }
    return send_all(fd, data);
  }
};

struct Request {
  std::string line;
  std::string host;
  std::string body;
};

// One request with a Content-Length body (what the ocspcache client sends).
bool read_request(Stream& s, std::string& pending, Request* out) {
  size_t head_end;
  while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) {
    char buf[4096];
    const long n = s.read_some(buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  const std::string head = pending.substr(0, head_end + 2);
  pending.erase(0, head_end + 4);
  out->line = head.substr(0, head.find("\r\n"));
  size_t content_length = 0;
  size_t pos = head.find("\r\n") + 2;
  while (pos < head.size()) {
    const size_t eol = head.find("\r\n", pos);
    std::string field = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    std::string name = field.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (name == "content-length") content_length = std::stoul(value);
    if (name == "host") out->host = value;
  }
  while (pending.size() < content_length) {
    char buf[4096];
    const long n = s.read_some(buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  out->body = pending.substr(0, content_length);
  pending.erase(0, content_length);
  return true;
}

// The body to `openssl ocsp` at PORT (HTTP/1.0, as it wants): its status and body.
std::pair<int, std::string> relay(uint16_t port, const std::string& body) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {502, "relay connect failed"};
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "POST / HTTP/1.0\r\nContent-Type: application/ocsp-request\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  HttpMessage m;
  if (send_all(fd, req)) m = read_http_message(fd, /*is_response=*/true);
  ::close(fd);
  if (!m.complete) return {502, "relay got no answer"};
  const size_t sp = m.start_line.find(' ');
  return {std::stoi(m.start_line.substr(sp + 1, 3)), m.body};
}

}  // namespace

struct KeepAliveServer::Tls {
  SSL_CTX* ctx = nullptr;
  ~Tls() { SSL_CTX_free(ctx); }
};

KeepAliveServer::KeepAliveServer(KeepAliveOptions options) : options_(std::move(options)) {
  // SSL_write to a client that hung up raises SIGPIPE, which would end the
  // whole test binary; the daemon ignores it the same way (app.cc).
  ::signal(SIGPIPE, SIG_IGN);
  if (!options_.tls_cert.empty()) {
    tls_ = std::make_unique<Tls>();
    tls_->ctx = SSL_CTX_new(TLS_server_method());
    if (tls_->ctx == nullptr ||
        SSL_CTX_use_certificate_chain_file(tls_->ctx, options_.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_->ctx, options_.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("keep-alive server: cannot load " + options_.tls_cert.string());
    }
  }
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
    throw std::system_error(err, std::generic_category(), "keep-alive server bind");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

KeepAliveServer::~KeepAliveServer() { stop(); }

std::string KeepAliveServer::url(const std::string& host) const {
  return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + "/";
}

std::vector<std::string> KeepAliveServer::request_lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::vector<std::string> KeepAliveServer::host_headers() const {
  std::lock_guard lock(mu_);
  return hosts_;
}

void KeepAliveServer::stop() {
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

void KeepAliveServer::accept_loop() {
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
    open_++;
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void KeepAliveServer::serve(int fd) {
  Stream s{fd, nullptr};
  if (tls_) {
    s.ssl = SSL_new(tls_->ctx);
    SSL_set_fd(s.ssl, fd);
    if (SSL_accept(s.ssl) != 1) {
      handshake_failures_++;
      ERR_clear_error();
      SSL_free(s.ssl);
      s.ssl = nullptr;
      goto done;
    }
  }
  {
    std::string pending;
    size_t answers = 0;
    Request req;
    while (!stopping_ && read_request(s, pending, &req)) {
      requests_++;
      {
        std::lock_guard lock(mu_);
        lines_.push_back(req.line);
        hosts_.push_back(req.host);
      }
      if (options_.answers_per_connection > 0 && answers == options_.answers_per_connection) {
        if (options_.truncate_next) {
          s.write_all("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf an answer");
        }
        break;
      }
      int status = options_.status;
      std::string body = options_.body;
      if (options_.forward_port != 0) std::tie(status, body) = relay(options_.forward_port, req.body);
      std::string reply = "HTTP/1.1 " + std::to_string(status) + " Status\r\n" +
                          "Content-Type: application/ocsp-response\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n" + options_.extra_headers;
      if (options_.connection_close) reply += "Connection: close\r\n";
      reply += "\r\n" + body;
      if (!s.write_all(reply)) break;
      ++answers;
      if (options_.connection_close) break;
    }
  }
done:
  if (s.ssl != nullptr) SSL_free(s.ssl);
  {
    std::lock_guard lock(mu_);
    fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
    ::close(fd);
  }
  open_--;
}

IssuedCert issue_server_cert(const std::filesystem::path& dir, const std::string& name,
                             const std::string& san, const std::filesystem::path& issuer_cert,
                             const std::filesystem::path& issuer_key) {
  IssuedCert out{dir / (name + ".pem"), dir / (name + ".key")};
  auto check = [](const CommandResult& r) {
    if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
  };
  check(run_command({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-out", out.key.string()}));
  check(run_command({"openssl", "req", "-x509", "-new", "-key", out.key.string(), "-subj",
                     "/CN=" + name, "-days", "2", "-sha256", "-CA", issuer_cert.string(),
                     "-CAkey", issuer_key.string(), "-addext", "subjectAltName=" + san,
                     "-addext", "basicConstraints=critical,CA:FALSE", "-addext",
                     "extendedKeyUsage=serverAuth", "-out", out.cert.string()}));
  return out;
}

}  // namespace ocspcache::it
