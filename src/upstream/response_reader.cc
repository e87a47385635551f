#include "ocspcache/upstream/response_reader.h"

#include <strings.h>

#include <climits>

namespace ocspcache {
namespace {

// An OCSP answer has a handful of headers; anything near this is garbage.
constexpr size_t kMaxHeaderBytes = 16 * 1024;

ResponseReader* self(http_parser* p) { return static_cast<ResponseReader*>(p->data); }

}  // namespace

const http_parser_settings ResponseReader::kSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = &ResponseReader::on_message_begin;
  s.on_header_field = &ResponseReader::on_header_field;
  s.on_header_value = &ResponseReader::on_header_value;
  s.on_headers_complete = &ResponseReader::on_headers_complete;
  s.on_body = &ResponseReader::on_body;
  s.on_message_complete = &ResponseReader::on_message_complete;
  return s;
}();

ResponseReader::ResponseReader(size_t max_body) : max_body_(max_body) { reset(); }

void ResponseReader::reset() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  state_ = State::kMore;
  bytes_seen_ = false;
  keep_alive_ = false;
  status_ = 0;
  body_.clear();
  retry_after_.clear();
}

int ResponseReader::on_message_begin(http_parser* p) {
  ResponseReader* r = self(p);
  r->in_value_ = false;
  r->header_bytes_ = 0;
  r->field_.clear();
  r->value_.clear();
  r->retry_after_.clear();
  r->body_.clear();
  return 0;
}

void ResponseReader::end_header() {
  if (strcasecmp(field_.c_str(), "retry-after") == 0) retry_after_ = value_;
  field_.clear();
  value_.clear();
  in_value_ = false;
}

// Field and value may arrive in pieces; a field after a value starts the
// next header.
int ResponseReader::on_header_field(http_parser* p, const char* at, size_t len) {
  ResponseReader* r = self(p);
  if ((r->header_bytes_ += len) > kMaxHeaderBytes) return 1;
  if (r->in_value_) r->end_header();
  r->field_.append(at, len);
  return 0;
}

int ResponseReader::on_header_value(http_parser* p, const char* at, size_t len) {
  ResponseReader* r = self(p);
  if ((r->header_bytes_ += len) > kMaxHeaderBytes) return 1;
  r->in_value_ = true;
  r->value_.append(at, len);
  return 0;
}

int ResponseReader::on_headers_complete(http_parser* p) {
  ResponseReader* r = self(p);
  if (r->in_value_) r->end_header();
  r->status_ = p->status_code;
  // Refused before reading it: an announced body over the limit.
  if (p->content_length != ULLONG_MAX && p->content_length > r->max_body_) {
    r->state_ = State::kTooLarge;
    return -1;  // not 1: from here, http_parser reads 1 as "no body"
  }
  return 0;
}

int ResponseReader::on_body(http_parser* p, const char* at, size_t len) {
  ResponseReader* r = self(p);
  if (r->body_.size() + len > r->max_body_) {
    r->state_ = State::kTooLarge;
    return 1;
  }
  r->body_.insert(r->body_.end(), at, at + len);
  return 0;
}

int ResponseReader::on_message_complete(http_parser* p) {
  ResponseReader* r = self(p);
  if (p->status_code >= 100 && p->status_code < 200) return 0;  // interim; the answer follows
  r->keep_alive_ = http_should_keep_alive(p) != 0;
  r->state_ = State::kDone;
  http_parser_pause(p, 1);  // bytes past the answer are not ours
  return 0;
}

ResponseReader::State ResponseReader::feed(const char* data, size_t len, size_t* used) {
  *used = 0;
  if (state_ != State::kMore) return state_;
  if (len > 0) bytes_seen_ = true;
  *used = http_parser_execute(&parser_, &kSettings, data, len);
  if (state_ == State::kMore && HTTP_PARSER_ERRNO(&parser_) != HPE_OK) state_ = State::kMalformed;
  return state_;
}

ResponseReader::State ResponseReader::finish_eof() {
  if (state_ != State::kMore) return state_;
  keep_alive_ = false;
  http_parser_execute(&parser_, &kSettings, nullptr, 0);
  if (state_ == State::kMore) state_ = State::kMalformed;
  keep_alive_ = false;
  return state_;
}

}  // namespace ocspcache
