#include "ocspcache/upstream/upstream_connection.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "ocspcache/upstream/proxy_connect.h"
#include "ocspcache/upstream/tls_context.h"

namespace ocspcache {
namespace {

// A CONNECT reply head longer than this is not a proxy we can talk to.
constexpr size_t kMaxProxyReplyHead = 8 * 1024;

socklen_t to_sockaddr(const IpAddr& ip, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (ip.family == AF_INET6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(out);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    std::memcpy(&sa->sin6_addr, ip.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* sa = reinterpret_cast<sockaddr_in*>(out);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  std::memcpy(&sa->sin_addr, ip.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

// The request is written whole; Nagle would only hold a short tail back.
void set_nodelay(bufferevent* bev) {
  const evutil_socket_t fd = bufferevent_getfd(bev);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

UpstreamConnection::UpstreamConnection(event_base* base, const TlsContext* tls,
                                       ConnectTarget target, size_t max_body, Parking& parking)
    : base_(base), tls_(tls), target_(std::move(target)), parking_(parking), reader_(max_body) {}

UpstreamConnection::~UpstreamConnection() {
  if (bev_ != nullptr) bufferevent_free(bev_);  // closes the socket; no callbacks
}

void UpstreamConnection::set_callbacks() {
  bufferevent_setcb(bev_, &UpstreamConnection::on_read, nullptr, &UpstreamConnection::on_event,
                    this);
}

bool UpstreamConnection::send(std::string request, Exchange* ex) {
  if (phase_ != Phase::kNew && phase_ != Phase::kParked) return false;
  exchange_ = ex;
  request_ = std::move(request);
  reader_.reset();
  if (phase_ == Phase::kNew) return start_connect();
  // Reused: the idle timeout no longer applies; the caller's deadline does.
  bufferevent_set_timeouts(bev_, nullptr, nullptr);
  phase_ = Phase::kWaiting;
  write_request();
  return true;
}

bool UpstreamConnection::start_connect() {
  const bool direct_tls = target_.tls && !target_.tunnel;
  if (direct_tls) {
    if (tls_ == nullptr) return false;
    SslPtr ssl = tls_->new_ssl(target_.host);
    if (!ssl) return false;
    bev_ = bufferevent_openssl_socket_new(base_, -1, ssl.get(), BUFFEREVENT_SSL_CONNECTING,
                                          BEV_OPT_CLOSE_ON_FREE);
    if (bev_ == nullptr) return false;
    ssl.release();  // the bufferevent frees it (BEV_OPT_CLOSE_ON_FREE)
    // Servers often close without close_notify; after a complete answer
    // that is an ordinary close, not an attack (the length is known).
    bufferevent_openssl_set_allow_dirty_shutdown(bev_, 1);
  } else {
    bev_ = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev_ == nullptr) return false;
  }
  set_callbacks();
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  sockaddr_storage addr;
  const socklen_t len = to_sockaddr(target_.addr, target_.port, &addr);
  phase_ = Phase::kConnecting;
  // A failure here (no socket, unreachable at once) is reported through
  // on_event from the loop, never from inside this call.
  if (bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&addr),
                                 static_cast<int>(len)) != 0) {
    bufferevent_free(bev_);
    bev_ = nullptr;
    phase_ = Phase::kDead;
    return false;
  }
  return true;
}

void UpstreamConnection::connected() {
  set_nodelay(bev_);
  if (phase_ == Phase::kConnecting && target_.tunnel) {
    phase_ = Phase::kProxyConnect;
    const std::string head = connect_request(target_.host, target_.host_port);
    bufferevent_write(bev_, head.data(), head.size());
    return;
  }
  phase_ = Phase::kWaiting;
  write_request();
}

void UpstreamConnection::write_request() {
  std::string_view rest = request_;
  // Plain TCP with nothing queued: the request leaves in this call rather
  // than a loop turn later (a turn costs two epoll_ctl calls and an
  // epoll_wait before the responder sees a byte). Errors are left to the
  // bufferevent, which reports them through on_event as before.
  if (!target_.tls && evbuffer_get_length(bufferevent_get_output(bev_)) == 0) {
    const ssize_t n = ::send(bufferevent_getfd(bev_), rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n > 0) rest.remove_prefix(static_cast<size_t>(n));
  }
  if (!rest.empty()) bufferevent_write(bev_, rest.data(), rest.size());
}

void UpstreamConnection::on_read(bufferevent*, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  switch (self->phase_) {
    case Phase::kProxyConnect: self->read_proxy_reply(); return;
    case Phase::kWaiting: self->read_answer(); return;
    case Phase::kParked:
      // Nothing may arrive between exchanges: the server is closing, or
      // out of step with us. Either way the connection is done.
      self->phase_ = Phase::kDead;
      self->parking_.on_parked_closed(*self);
      return;
    default: return;
  }
}

void UpstreamConnection::read_proxy_reply() {
  evbuffer* in = bufferevent_get_input(bev_);
  evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
  if (end.pos < 0) {
    if (evbuffer_get_length(in) > kMaxProxyReplyHead) fail(ConnError::kProxy, "reply too long");
    return;
  }
  const size_t head_len = static_cast<size_t>(end.pos) + 4;
  std::string head(head_len, '\0');
  evbuffer_remove(in, head.data(), head_len);
  const auto status = connect_reply_status(head);
  if (!status || *status / 100 != 2) {
    fail(ConnError::kProxy, status ? "CONNECT answered " + std::to_string(*status)
                                   : std::string("CONNECT reply not HTTP"));
    return;
  }
  if (!start_tunnelled_tls()) fail(ConnError::kTls, "cannot start TLS");
}

// The tunnel is up: TLS starts on the same socket. The plain bufferevent
// owns the descriptor and is freed here (inside its own read callback,
// which libevent allows), so TLS gets a duplicate.
bool UpstreamConnection::start_tunnelled_tls() {
  if (tls_ == nullptr) return false;
  SslPtr ssl = tls_->new_ssl(target_.host);
  if (!ssl) return false;
  const int fd = dup(bufferevent_getfd(bev_));
  if (fd < 0) return false;
  bufferevent_free(bev_);
  bev_ = bufferevent_openssl_socket_new(base_, fd, ssl.get(), BUFFEREVENT_SSL_CONNECTING,
                                        BEV_OPT_CLOSE_ON_FREE);
  if (bev_ == nullptr) {
    close(fd);
    return false;
  }
  ssl.release();
  bufferevent_openssl_set_allow_dirty_shutdown(bev_, 1);
  set_callbacks();
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  phase_ = Phase::kTlsHandshake;
  return true;
}

void UpstreamConnection::read_answer() {
  evbuffer* in = bufferevent_get_input(bev_);
  while (evbuffer_get_length(in) > 0) {
    evbuffer_iovec chunk;
    if (evbuffer_peek(in, -1, nullptr, &chunk, 1) < 1) break;
    size_t used = 0;
    const auto state =
        reader_.feed(static_cast<const char*>(chunk.iov_base), chunk.iov_len, &used);
    evbuffer_drain(in, used);
    if (state == ResponseReader::State::kMore) {
      if (used == 0) break;
      continue;
    }
    if (state == ResponseReader::State::kMalformed) return fail(ConnError::kMalformed);
    if (state == ResponseReader::State::kTooLarge) return fail(ConnError::kTooLarge);
    ConnResult result;
    result.status = reader_.status();
    result.body = std::move(reader_.body());
    result.retry_after = reader_.retry_after();
    // Bytes after the answer: the server is out of step; do not reuse.
    result.keep_alive = reader_.keep_alive() && evbuffer_get_length(in) == 0;
    result.bytes_seen = true;
    ++exchanges_;
    return deliver(std::move(result));
  }
}

void UpstreamConnection::on_event(bufferevent*, short what, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    // For TLS this comes after the handshake, certificate checked.
    if (self->phase_ == Phase::kConnecting || self->phase_ == Phase::kTlsHandshake) {
      self->connected();
    }
    return;
  }
  switch (self->phase_) {
    case Phase::kParked:  // closed by the server, or the idle timeout
      self->phase_ = Phase::kDead;
      self->parking_.on_parked_closed(*self);
      return;
    case Phase::kWaiting:
      if (what & BEV_EVENT_EOF) {
        const auto state = self->reader_.finish_eof();
        if (state == ResponseReader::State::kDone) {
          ConnResult result;
          result.status = self->reader_.status();
          result.body = std::move(self->reader_.body());
          result.retry_after = self->reader_.retry_after();
          result.bytes_seen = true;
          ++self->exchanges_;
          return self->deliver(std::move(result));
        }
        if (state == ResponseReader::State::kTooLarge) return self->fail(ConnError::kTooLarge);
      }
      return self->fail(ConnError::kClosed);
    case Phase::kConnecting:
    case Phase::kTlsHandshake: {
      // A TLS bufferevent reports a failed handshake here too: tell it
      // from a refused connect by what OpenSSL has to say.
      unsigned long ssl_error = 0;
      SSL* ssl = nullptr;
      if (self->target_.tls) {
        ssl = bufferevent_openssl_get_ssl(self->bev_);
        ssl_error = bufferevent_get_openssl_error(self->bev_);
      }
      const bool tls_failed = self->phase_ == Phase::kTlsHandshake || ssl_error != 0 ||
                              (ssl != nullptr && SSL_get_verify_result(ssl) != X509_V_OK);
      if (tls_failed) {
        std::string reason = TlsContext::failure_reason(ssl, ssl_error);
        ERR_clear_error();
        return self->fail(ConnError::kTls, std::move(reason));
      }
      return self->fail(ConnError::kConnect, std::strerror(EVUTIL_SOCKET_ERROR()));
    }
    case Phase::kProxyConnect: return self->fail(ConnError::kProxy, "closed during CONNECT");
    default: return;
  }
}

void UpstreamConnection::fail(ConnError error, std::string detail) {
  ConnResult result;
  result.error = error;
  result.bytes_seen = reader_.bytes_seen();
  result.detail = std::move(detail);
  deliver(std::move(result));
}

void UpstreamConnection::deliver(ConnResult result) {
  phase_ = result.error == ConnError::kNone && result.keep_alive ? Phase::kParked : Phase::kDead;
  if (phase_ == Phase::kDead) bufferevent_disable(bev_, EV_READ | EV_WRITE);
  Exchange* ex = exchange_;
  exchange_ = nullptr;
  ex->on_result(*this, std::move(result));  // may destroy this
}

void UpstreamConnection::park(Millis idle_timeout) {
  // Reads stay enabled: a close by the server shows up at once.
  const timeval tv = to_timeval(idle_timeout);
  bufferevent_set_timeouts(bev_, &tv, nullptr);
}

}  // namespace ocspcache
