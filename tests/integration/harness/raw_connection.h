// One client connection driven byte by byte, for what HttpClient hides:
// several requests in one send() (pipelining), a request sent in pieces, a
// 100 Continue before the answer, and telling "the server closed the
// connection" apart from "the server is still thinking". Responses are read
// from one buffered stream, so bytes of the next answer that arrive with
// this one are kept for the next read_response().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/http_client.h"

namespace ocspcache::it {

using namespace std::chrono_literals;

class RawConnection {
 public:
  // Connects to 127.0.0.1:PORT; connected() says whether that worked.
  // SOURCE: the client's own address ("127.0.0.2": any of 127/8 is this
  // host), so one test can be several clients.
  explicit RawConnection(uint16_t port, std::chrono::milliseconds timeout = 10s,
                         const char* source = nullptr);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool send(std::string_view bytes);
  // shutdown(SHUT_WR): the client has nothing more to say but still reads.
  void shutdown_write();

  // The next response on the stream (a 1xx interim one included): status 0
  // and `error` set when it did not arrive whole within the timeout. HEAD
  // says the request was HEAD (headers only, whatever Content-Length says).
  HttpResponse read_response(bool head = false);

  // Reads until the server closes (EOF or reset) or TIMEOUT passes.
  struct Closing {
    bool closed = false;  // EOF or ECONNRESET seen
    std::string data;     // bytes that arrived meanwhile (buffered ones first)
  };
  Closing wait_closed(std::chrono::milliseconds timeout);

  void close();

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // false: EOF, error or deadline

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
  bool eof_ = false;
};

// Request texts for raw use; HOST is put in a Host header.
std::string get_request(std::string_view target, std::string_view extra_headers = "",
                        std::string_view version = "HTTP/1.1");
std::string post_request(std::string_view body, std::string_view extra_headers = "",
                         std::string_view version = "HTTP/1.1", std::string_view target = "/");
// BODY as a chunked body cut into PIECES chunks (the terminating chunk included).
std::string chunked(std::string_view body, size_t pieces);

}  // namespace ocspcache::it
