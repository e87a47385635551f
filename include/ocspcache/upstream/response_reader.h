// Reads one HTTP/1.x response from a responder connection (libhttp-parser):
// status, body up to upstream.max_response, the Retry-After header, and
// whether the connection may carry another exchange (HTTP/1.1 without
// "Connection: close", HTTP/1.0 only with "Connection: keep-alive", and no
// stray bytes after the answer). Interim 1xx answers are skipped.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ocspcache {

class ResponseReader {
 public:
  enum class State { kMore, kDone, kMalformed, kTooLarge };

  explicit ResponseReader(size_t max_body);
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  // For the next exchange on the same connection.
  void reset();
  // Feeds bytes; once kDone, bytes past the answer are not consumed (*used
  // tells how many were).
  State feed(const char* data, size_t len, size_t* used);
  // The peer closed: completes an answer whose body runs to the close, or
  // says the answer was cut short (kMalformed; see bytes_seen()).
  State finish_eof();

  bool bytes_seen() const { return bytes_seen_; }
  int status() const { return status_; }
  std::vector<uint8_t>& body() { return body_; }
  const std::string& retry_after() const { return retry_after_; }
  bool keep_alive() const { return keep_alive_; }

 private:
  static int on_message_begin(http_parser* p);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t len);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings kSettings;
  void end_header();

  http_parser parser_{};
  size_t max_body_;
  State state_ = State::kMore;
  bool bytes_seen_ = false;
  bool in_value_ = false;
  bool keep_alive_ = false;
  int status_ = 0;
  size_t header_bytes_ = 0;
  std::string field_;
  std::string value_;
  std::string retry_after_;
  std::vector<uint8_t> body_;
};

}  // namespace ocspcache
