// Minimal blocking HTTP/1.x over loopback, for asserting what the daemon
// sends on the wire (status, Cache-Control, ETag, 304, keep-alive) where a
// real client like `openssl ocsp` hides it. Also the message reader the
// FaultServer uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ocspcache::it {

using namespace std::chrono_literals;

struct HttpMessage {
  std::string raw;                             // every byte read, headers and body
  std::string start_line;                      // "POST / HTTP/1.1" or "HTTP/1.1 200 OK"
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;
  bool complete = false;  // headers and the whole body arrived

  std::string header(std::string_view name) const;  // "" when absent
};

// Reads one message from FD: headers, then Content-Length bytes, a chunked
// body, or (a response without either) everything up to EOF.
HttpMessage read_http_message(int fd, bool is_response = false, bool head_request = false);

// To 127.0.0.1:PORT, from SOURCE when given (another 127/8 address: another
// client); -1 on failure.
int connect_loopback(uint16_t port, const char* source = nullptr);
bool send_all(int fd, std::string_view data);

struct HttpResponse {
  int status = 0;  // 0: no (complete) response; see error
  std::string error;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;

  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  // KEEP_ALIVE: HTTP/1.1 on one connection, reconnecting when the server
  // closed it; otherwise HTTP/1.0 and a new connection per request.
  explicit HttpClient(uint16_t port, bool keep_alive = false,
                      std::chrono::milliseconds timeout = 10s);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using Headers = std::vector<std::pair<std::string, std::string>>;

  HttpResponse post(std::string_view path, std::string_view body,
                    std::string_view content_type = "application/ocsp-request",
                    const Headers& headers = {});
  HttpResponse get(std::string_view path, const Headers& headers = {});
  HttpResponse request(std::string_view method, std::string_view path, std::string_view body,
                       const Headers& headers = {});
  // Sends BYTES as they are on a new connection and reads one response.
  HttpResponse raw(std::string_view bytes);

  // Connections opened so far (tells keep-alive reuse apart from reconnects).
  int connections() const { return connections_; }

 private:
  HttpResponse exchange(std::string_view bytes, bool head);
  bool ensure_connected();
  void disconnect();

  uint16_t port_;
  bool keep_alive_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int connections_ = 0;
};

}  // namespace ocspcache::it
