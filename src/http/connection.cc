#include "ocspcache/http/connection.h"

#include <event2/event.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>
#include <ctime>

#include "ocspcache/http/ocsp_handler.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/http/response_writer.h"
#include "ocspcache/http/worker.h"

namespace ocspcache {

namespace {
// A typical OCSP request is a few hundred bytes: start small (memory per
// idle connection) and grow only for pipelined batches or large bodies.
constexpr size_t kInitialInput = 4 * 1024;
constexpr size_t kReadChunk = 16 * 1024;

// After an error answered while the client may still be sending (413, 400,
// 408), how long the rest of its bytes are read and dropped before the
// close: closing with unread data makes the kernel reset the connection,
// and a reset can destroy the answer before the client reads it. nginx's
// lingering_timeout is 5 s too.
constexpr int64_t kLingerMs = 5'000;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

const http_parser_settings Connection::kSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = &Connection::on_message_begin;
  s.on_url = &Connection::on_url;
  s.on_header_field = &Connection::on_header_field;
  s.on_header_value = &Connection::on_header_value;
  s.on_headers_complete = &Connection::on_headers_complete;
  s.on_body = &Connection::on_body;
  s.on_message_complete = &Connection::on_message_complete;
  return s;
}();

Connection::Connection(Worker& worker, uint64_t id, int fd) : worker_(worker), id_(id), fd_(fd) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  in_buf_ = std::make_unique_for_overwrite<char[]>(kInitialInput);
  in_cap_ = kInitialInput;
  out_.reserve(4096);
  url_.reserve(512);
  last_activity_ = worker_.now_ms();
}

Connection::~Connection() {
  if (ev_ != nullptr) event_free(ev_);
  if (fd_ >= 0) ::close(fd_);
}

void Connection::start() {
  ev_ = event_new(worker_.base(), fd_, EV_READ | EV_PERSIST, &Connection::on_io, this);
  if (worker_.forwarder() != nullptr) {
    // Who we are on this connection, so a request naming ocspcache itself
    // is routed by issuer and never forwarded back to us.
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      const auto* sa = reinterpret_cast<const sockaddr*>(&local);
      if (auto ip = from_sockaddr(sa)) self_.local = *ip;
      self_.port = ntohs(sa->sa_family == AF_INET6
                             ? reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port
                             : reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
    }
    self_.listen = worker_.services().config->server.listen;
  }
  update_events();
}

// ---- http_parser callbacks: collect only what the handler needs ----

int Connection::on_message_begin(http_parser* p) {
  auto* c = static_cast<Connection*>(p->data);
  c->url_.clear();
  c->field_.clear();
  c->value_.clear();
  c->if_none_match_.clear();
  c->if_modified_since_.clear();
  c->host_.clear();
  c->body_.clear();
  c->header_bytes_ = 0;
  c->in_value_ = false;
  c->in_message_ = true;
  c->expect_continue_ = false;
  c->request_start_ = c->worker_.now_ms();
  return 0;
}

bool Connection::add_header_bytes(size_t n, bool in_target) {
  header_bytes_ += n;
  if (header_bytes_ > worker_.services().config->server.max_header_bytes) {
    // The request-target alone past the limit is 414 (RFC 9110 15.5.15);
    // the header fields with it, 431 (RFC 6585).
    pending_status_ = in_target ? 414 : 431;
    return false;
  }
  return true;
}

int Connection::on_url(http_parser* p, const char* at, size_t len) {
  auto* c = static_cast<Connection*>(p->data);
  if (!c->add_header_bytes(len, true)) return 1;
  c->url_.append(at, len);
  return 0;
}

// Field and value callbacks may arrive in pieces; a field following a value
// means the previous header is complete.
static void finish_header(std::string& field, std::string& value, std::string& inm,
                          std::string& ims, std::string& host, bool& expect_continue) {
  if (iequals(field, "host")) {
    host = value;
  } else if (iequals(field, "if-none-match")) {
    if (!inm.empty()) inm += ", ";
    inm += value;
  } else if (iequals(field, "if-modified-since")) {
    ims = value;
  } else if (iequals(field, "expect")) {
    expect_continue = iequals(value, "100-continue");
  }
  field.clear();
  value.clear();
}

int Connection::on_header_field(http_parser* p, const char* at, size_t len) {
  auto* c = static_cast<Connection*>(p->data);
  if (!c->add_header_bytes(len, false)) return 1;
  if (c->in_value_) {
    finish_header(c->field_, c->value_, c->if_none_match_, c->if_modified_since_, c->host_,
                  c->expect_continue_);
    c->in_value_ = false;
  }
  c->field_.append(at, len);
  return 0;
}

int Connection::on_header_value(http_parser* p, const char* at, size_t len) {
  auto* c = static_cast<Connection*>(p->data);
  if (!c->add_header_bytes(len, false)) return 1;
  c->in_value_ = true;
  c->value_.append(at, len);
  return 0;
}

int Connection::on_headers_complete(http_parser* p) {
  auto* c = static_cast<Connection*>(p->data);
  if (c->in_value_) {
    finish_header(c->field_, c->value_, c->if_none_match_, c->if_modified_since_, c->host_,
                  c->expect_continue_);
    c->in_value_ = false;
  }
  const auto& server = c->worker_.services().config->server;
  // content_length is ULLONG_MAX when absent (chunked or no body).
  if (p->content_length != ULLONG_MAX && p->content_length > server.max_body_bytes) {
    c->pending_status_ = 413;
    return -1;  // not 1: from on_headers_complete, http_parser reads 1 as "no body"
  }
  if (c->expect_continue_ && p->method == HTTP_POST && (p->http_major > 1 || p->http_minor > 0)) {
    static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
    c->out_.insert(c->out_.end(), k100.begin(), k100.end());
  }
  return 0;
}

int Connection::on_body(http_parser* p, const char* at, size_t len) {
  auto* c = static_cast<Connection*>(p->data);
  if (c->body_.size() + len > c->worker_.services().config->server.max_body_bytes) {
    c->pending_status_ = 413;
    return 1;
  }
  c->body_.insert(c->body_.end(), at, at + len);
  return 0;
}

int Connection::on_message_complete(http_parser* p) {
  auto* c = static_cast<Connection*>(p->data);
  c->message_complete_ = true;
  c->in_message_ = false;
  // Stop here so the request is dispatched outside the parser and a
  // pending answer can hold back the pipelined ones behind it.
  http_parser_pause(p, 1);
  return 0;
}

// ---- I/O ----

void Connection::on_io(int, short what, void* arg) {
  auto* c = static_cast<Connection*>(arg);
  c->worker_.refresh_now();
  if (c->lingering_) {
    c->drain_lingering();
    return;
  }
  if (what & EV_WRITE) c->handle_writable();
  if ((what & EV_READ) && c->fd_ >= 0) {
    if (c->pending_) {
      // The client sends while we wait upstream: stop reading until the
      // answer is out (backpressure; pipelined requests stay in the kernel).
      c->read_paused_ = true;
      c->update_events();
      return;
    }
    c->handle_readable();
  }
}

void Connection::handle_readable() {
  // Compact so the buffer does not creep: unparsed bytes move to the front.
  if (in_start_ == in_len_) {
    in_start_ = in_len_ = 0;
  } else if (in_start_ > 0) {
    std::memmove(in_buf_.get(), in_buf_.get() + in_start_, in_len_ - in_start_);
    in_len_ -= in_start_;
    in_start_ = 0;
  }
  if (in_cap_ - in_len_ < 512) {  // the buffer is (almost) full of one unfinished request
    const size_t cap = std::max(in_cap_ * 2, in_len_ + kReadChunk);
    auto bigger = std::make_unique_for_overwrite<char[]>(cap);
    std::memcpy(bigger.get(), in_buf_.get(), in_len_);
    in_buf_ = std::move(bigger);
    in_cap_ = cap;
  }
  const ssize_t n = ::recv(fd_, in_buf_.get() + in_len_, in_cap_ - in_len_, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    peer_closed_ = true;
    // Close once answers already queued (or pending upstream) are written.
    flush();
    return;
  }
  in_len_ += static_cast<size_t>(n);
  last_activity_ = worker_.now_ms();
  process_input();
}

void Connection::process_input() {
  while (!pending_ && !closing_ && fd_ >= 0 && in_start_ < in_len_) {
    const size_t avail = in_len_ - in_start_;
    const size_t used = http_parser_execute(&parser_, &kSettings, in_buf_.get() + in_start_, avail);
    in_start_ += used;
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      if (message_complete_) {
        message_complete_ = false;
        dispatch();
      }
      continue;
    }
    if (err != HPE_OK) {
      fail(pending_status_ != 0 ? pending_status_ : 400);
      break;
    }
    if (used < avail) {  // should not happen without an error; be safe
      fail(400);
      break;
    }
  }
  // Requests beyond what one read brought stay buffered; cap what we hold
  // while paused so a pipelining client cannot grow it without bound.
  const auto& server = worker_.services().config->server;
  if (in_len_ - in_start_ > server.max_header_bytes + server.max_body_bytes + kReadChunk) {
    fail(431);
  }
  flush();
}

void Connection::dispatch() {
  keep_alive_ = http_should_keep_alive(&parser_) != 0 && !draining_ && !peer_closed_;
  http10_ = parser_.http_major == 1 && parser_.http_minor == 0;
  if (parser_.method == HTTP_CONNECT) {
    // http_parser hands the bytes after a CONNECT over as another protocol;
    // we never tunnel, so the connection ends with the refusal.
    keep_alive_ = false;
    refuse(ForwardRefusal::kConnect);
    return;
  }
  HttpRequest req;
  if (Forwarder* forwarder = worker_.forwarder()) {
    forward_ = decide_forward(url_, host_, forwarder->allow(), self_);
    if (forward_.refusal != ForwardRefusal::kNone) {
      refuse(forward_.refusal);
      return;
    }
    if (forward_.forward) req.forward = &forward_.target;
  }
  req.method = static_cast<http_method>(parser_.method);
  req.target = url_;
  req.body = body_;
  req.if_none_match = if_none_match_;
  req.if_modified_since = if_modified_since_;
  handle_ocsp_request(worker_, *this, req);
  if (!keep_alive_ && !pending_) closing_ = true;
}

void Connection::set_pending(ReqMethod m, uint64_t start_ns, bool head) {
  pending_ = true;
  pending_head_ = head;
  pending_method_ = m;
  pending_start_ns_ = start_ns;
  update_events();
}

void Connection::resume(const FetchOutcome& outcome) {
  if (!pending_ || fd_ < 0) return;
  pending_ = false;
  read_paused_ = false;
  ReplyContext ctx;
  ctx.now = worker_.now();
  ctx.max_age_cap = worker_.services().config->server.max_age_cap.count() / 1000;
  ctx.keep_alive = keep_alive_ && !draining_;
  ctx.http10 = http10_;
  ctx.head = pending_head_;
  bool answered = true;
  if (outcome.http_status != 0) {
    append_http_refusal(out_, outcome.http_status, outcome.http_text, ctx);
    answered = false;
  } else if (outcome.uncached) {
    append_ocsp_uncached(out_, *outcome.uncached, ctx);
  } else if (outcome.entry) {
    // A flight another (untracked) client led: this tracked client's ask
    // still counts, through the revival scan.
    if (tracked_client_) outcome.entry->mark_tracked();
    append_ocsp_hit(out_, *outcome.entry, ctx);
  } else {
    append_ocsp_error(out_, outcome.code, ctx);
    answered = false;
  }
  worker_.stats().count_request(pending_method_, answered ? ReqResult::kMiss : ReqResult::kError,
                                monotonic_ns() - pending_start_ns_);
  if (!ctx.keep_alive || peer_closed_) closing_ = true;
  last_activity_ = worker_.now_ms();
  process_input();
}

void Connection::fail(int http_status) {
  ReplyContext ctx;
  ctx.now = worker_.now();
  ctx.keep_alive = false;
  ctx.http10 = http10_;
  append_http_error(out_, http_status, ctx);
  worker_.stats().count_request(ReqMethod::kOther, ReqResult::kError, 0);
  closing_ = true;
  linger_on_close_ = true;
  in_start_ = in_len_;  // discard the rest
}

void Connection::refuse(ForwardRefusal why) {
  ReplyContext ctx;
  ctx.now = worker_.now();
  ctx.keep_alive = keep_alive_ && !draining_;
  ctx.http10 = http10_;
  ctx.head = parser_.method == HTTP_HEAD;
  const int status = http_status(why);
  append_http_refusal(out_, status, to_text(why), ctx,
                      status == 405 ? "Allow: GET, HEAD, POST\r\n" : "");
  worker_.services().metrics->forward_refused(to_label(why));
  worker_.stats().count_request(ReqMethod::kOther, ReqResult::kError, 0);
  if (!ctx.keep_alive) {
    closing_ = true;
    in_start_ = in_len_;  // a CONNECT's tunnel bytes, or whatever follows: discarded
  }
}

void Connection::flush() {
  while (fd_ >= 0 && out_sent_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      close();
      return;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  if (fd_ < 0) return;
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    // Closing with requests still unread (a pipelining client, or one the
    // drain answered with Connection: close) must not reset the stream:
    // the FIN goes after the answers, the rest is read and dropped.
    if (closing_ && !peer_closed_ && (linger_on_close_ || unread_input())) {
      start_lingering();
      return;
    }
    if (closing_ || (peer_closed_ && !pending_)) {
      close();
      return;
    }
  }
  update_events();
}

void Connection::handle_writable() {
  last_activity_ = worker_.now_ms();
  flush();
  if (fd_ >= 0 && out_.empty() && !pending_) process_input();
  // The drain found this connection still sending answers it had promised
  // to keep alive; now it is idle, it ends as the idle ones did at the drain
  // (drain() below), instead of waiting out drain_timeout for a request.
  if (draining_ && fd_ >= 0 && idle()) {
    handle_readable();
    if (fd_ >= 0 && idle()) close();
  }
}

void Connection::update_events() {
  if (ev_ == nullptr || fd_ < 0) return;
  short want = EV_PERSIST;
  const bool writing = out_sent_ < out_.size();
  if (writing) want |= EV_WRITE;
  // Read only when we can act on it: not while the client is not taking our
  // answers (backpressure). While waiting upstream the read interest stays
  // until the client actually sends (read_paused_): most clients send
  // nothing meanwhile, and dropping and re-adding it would cost every miss
  // two epoll_ctl calls.
  if (!(pending_ && read_paused_) && !writing && !closing_ && !peer_closed_) want |= EV_READ;
  if (lingering_) want = EV_PERSIST | EV_READ;
  if (want == ev_flags_) return;
  event_del(ev_);
  event_assign(ev_, worker_.base(), fd_, want, &Connection::on_io, this);
  if (want != EV_PERSIST) event_add(ev_, nullptr);
  ev_flags_ = want;
}

void Connection::start_lingering() {
  // Our side is done: the FIN goes out after the answer, and what the
  // client still sends is read and dropped until it closes or kLingerMs.
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  linger_until_ms_ = worker_.now_ms() + kLingerMs;
  update_events();
}

void Connection::drain_lingering() {
  char scratch[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd_, scratch, sizeof scratch, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close();  // the client closed (or reset): done
    return;
  }
}

bool Connection::unread_input() const {
  if (in_start_ < in_len_) return true;
  int queued = 0;
  return ::ioctl(fd_, FIONREAD, &queued) == 0 && queued > 0;
}

bool Connection::idle() const {
  return !pending_ && !in_message_ && out_sent_ == out_.size() && in_start_ == in_len_;
}

bool Connection::timed_out(int64_t now_ms) const {
  if (fd_ < 0 || pending_) return false;  // a pending request is bounded by upstream.timeout
  if (lingering_) return now_ms >= linger_until_ms_;
  const auto& server = worker_.services().config->server;
  if (in_message_) return now_ms - request_start_ >= server.read_timeout.count();
  return now_ms - last_activity_ >= server.idle_timeout.count();
}

void Connection::expire() {
  if (fd_ < 0) return;
  if (!lingering_ && in_message_) {
    fail(408);  // a request started but did not complete in server.read_timeout
    flush();
    if (fd_ < 0 || lingering_) return;  // closed, or answered and lingering
  }
  close();
}

void Connection::drain() {
  draining_ = true;
  keep_alive_ = false;
  if (lingering_) {
    close();
    return;
  }
  if (idle()) {
    // "Idle" only says nothing was read yet: a request the client sent
    // before the drain began may be waiting in the socket. Read it first and
    // answer it (with Connection: close); closing on it would reset the
    // connection under a client that did nothing wrong. What arrives after
    // this read was sent after the drain began: the client's race with our
    // close, as with any server closing an idle keep-alive connection.
    handle_readable();
    if (fd_ >= 0 && idle()) close();
  }
}

void Connection::close() {
  if (fd_ < 0) return;
  if (ev_ != nullptr) {
    event_free(ev_);
    ev_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
  worker_.close_connection(id_);
}

}  // namespace ocspcache
