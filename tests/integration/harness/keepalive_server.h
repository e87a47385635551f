// A keep-alive HTTP/1.1 test responder, optionally behind TLS, for what
// `openssl ocsp` (HTTP/1.0, one exchange per connection) cannot show:
// connection reuse, the keep-alive race (a connection closed by the server
// just as a request is written on it), an answer cut short on a reused
// connection, Retry-After, and https:// with a certificate of our choosing.
//
// It answers each POST with a fixed reply, or relays its body to a real
// `openssl ocsp` responder (forward_port) so the daemon validates a real
// answer. It counts connections and requests. One thread per connection,
// blocking sockets (and blocking OpenSSL for TLS).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ocspcache::it {

struct KeepAliveOptions {
  uint16_t forward_port = 0;  // relay to `openssl ocsp` here; 0: the fixed reply below
  int status = 200;
  std::string body = "answer";
  std::string extra_headers{};  // "Retry-After: 120\r\n"
  bool connection_close = false;  // say "Connection: close" and close after each answer
  // After this many answers on one connection, the next request on it is
  // read and then: the connection closed with no answer (the keep-alive
  // race), or, with truncate_next, half an answer sent first. 0: unlimited.
  size_t answers_per_connection = 0;
  bool truncate_next = false;
  // Non-empty: TLS with this certificate and key (PEM).
  std::filesystem::path tls_cert{};
  std::filesystem::path tls_key{};
};

class KeepAliveServer {
 public:
  explicit KeepAliveServer(KeepAliveOptions options);
  ~KeepAliveServer();
  KeepAliveServer(const KeepAliveServer&) = delete;
  KeepAliveServer& operator=(const KeepAliveServer&) = delete;

  uint16_t port() const { return port_; }
  // "http[s]://HOST:PORT/"
  std::string url(const std::string& host = "127.0.0.1") const;

  size_t connections() const { return connections_.load(); }        // accepted
  size_t open_connections() const { return open_.load(); }           // not yet closed by either side
  size_t requests() const { return requests_.load(); }               // request heads read
  size_t handshake_failures() const { return handshake_failures_.load(); }
  std::vector<std::string> request_lines() const;
  std::vector<std::string> host_headers() const;

  void stop();

 private:
  struct Tls;
  void accept_loop();
  void serve(int fd);

  KeepAliveOptions options_;
  std::unique_ptr<Tls> tls_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> open_{0};
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> handshake_failures_{0};
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> hosts_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// A server certificate for the TLS tests, issued by ISSUER (PEM cert and
// key) for the DNS names and IP addresses in SAN ("DNS:localhost,IP:127.0.0.1"),
// written into DIR as NAME.pem / NAME.key. Throws if openssl fails.
struct IssuedCert {
  std::filesystem::path cert;
  std::filesystem::path key;
};
IssuedCert issue_server_cert(const std::filesystem::path& dir, const std::string& name,
                             const std::string& san, const std::filesystem::path& issuer_cert,
                             const std::filesystem::path& issuer_key);

}  // namespace ocspcache::it
