#include "ocspcache/upstream/http_client.h"

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <chrono>
#include <string>

namespace ocspcache {
namespace {

void free_dns(evdns_base* d) {
  if (d != nullptr) evdns_base_free(d, 1);
}

}  // namespace

// One exchange. Owned by itself from post() until complete(): libevent calls
// back through raw pointers, so it deletes itself exactly once. Completion
// is always delivered from a fresh loop callback (never inside post()), and
// an overall deadline backs up evhttp's per-phase timeouts so a responder
// that trickles bytes cannot hold a fetch open.
struct HttpUpstreamClient::Call {
  HttpUpstreamClient* client = nullptr;
  Callback done;
  evhttp_connection* conn = nullptr;
  evhttp_request* req = nullptr;
  event* deadline = nullptr;
  event* deliver = nullptr;
  std::chrono::steady_clock::time_point start;
  evhttp_request_error error = EVREQ_HTTP_EOF;
  bool had_error = false;
  bool finished = false;
  UpstreamReply reply;

  // Records the outcome and schedules delivery on the next loop turn.
  void finish(UpstreamReply r) {
    if (finished) return;
    finished = true;
    reply = std::move(r);
    reply.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    event_del(deadline);
    event_active(deliver, 0, 0);
  }

  static void on_deliver(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Call*>(arg);
    self->client->calls_.erase(self);
    Callback cb = std::move(self->done);
    UpstreamReply r = std::move(self->reply);
    self->release();
    cb(std::move(r));
  }

  // Frees everything the exchange owns; `this` is gone afterwards. The
  // connection is freed here, after libevent has finished calling back,
  // not by evhttp_connection_free_on_completion: libevent 2.1.12 leaks it
  // when the connect itself fails (libevent#1535; LeakSanitizer saw it).
  void release() {
    if (conn != nullptr) evhttp_connection_free(conn);  // frees a pending request, no callbacks
    event_free(deadline);
    event_free(deliver);
    delete this;  // NOLINT: self-owned libevent callback state
  }

  static void on_deadline(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Call*>(arg);
    // Frees the pending request without calling its callbacks.
    evhttp_connection_free(self->conn);
    self->conn = nullptr;
    self->finish(UpstreamReply{TransportStatus::kTimeout, 0, {}, 0});
  }

  static void on_error(evhttp_request_error err, void* arg) {
    auto* self = static_cast<Call*>(arg);
    self->had_error = true;
    self->error = err;
  }

  static void on_done(evhttp_request* r, void* arg) {
    auto* self = static_cast<Call*>(arg);
    UpstreamReply reply;
    const int code = r != nullptr ? evhttp_request_get_response_code(r) : 0;
    if (self->had_error || code == 0) {
      switch (self->error) {
        case EVREQ_HTTP_TIMEOUT: reply.transport = TransportStatus::kTimeout; break;
        case EVREQ_HTTP_INVALID_HEADER:
        case EVREQ_HTTP_DATA_TOO_LONG:
        case EVREQ_HTTP_BUFFER_ERROR: reply.transport = TransportStatus::kHttpError; break;
        default: reply.transport = TransportStatus::kConnectError; break;
      }
      self->finish(std::move(reply));
      return;
    }
    reply.transport = TransportStatus::kOk;
    reply.http_status = code;
    evbuffer* in = evhttp_request_get_input_buffer(r);
    const size_t len = evbuffer_get_length(in);
    reply.body.resize(len);
    if (len > 0) evbuffer_copyout(in, reply.body.data(), len);
    self->finish(std::move(reply));
  }
};

HttpUpstreamClient::HttpUpstreamClient(event_base* base, size_t max_response_bytes)
    : base_(base),
      dns_(evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                    EVDNS_BASE_DISABLE_WHEN_INACTIVE),
           free_dns),
      max_response_(max_response_bytes) {
  if (!dns_) dns_.reset(evdns_base_new(base, 0));  // numeric hosts still work
}

HttpUpstreamClient::~HttpUpstreamClient() {
  // Exchanges cut off by shutdown: free them without calling back (the
  // loop is gone, and so is anyone who would read the answer).
  for (Call* call : calls_) call->release();
}

void HttpUpstreamClient::post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout,
                              Callback done) {
  auto* call = new Call();  // NOLINT: freed in Call::on_deliver
  call->client = this;
  call->done = std::move(done);
  call->start = std::chrono::steady_clock::now();
  call->deliver = event_new(base_, -1, 0, &Call::on_deliver, call);
  call->deadline = evtimer_new(base_, &Call::on_deadline, call);
  calls_.insert(call);
  const timeval tv = to_timeval(timeout);
  call->conn = evhttp_connection_base_new(base_, dns_.get(), url.host.c_str(), url.port);
  if (call->conn == nullptr) {
    call->finish(UpstreamReply{TransportStatus::kConnectError, 0, {}, 0});
    return;
  }
  evtimer_add(call->deadline, &tv);
  evhttp_connection_set_timeout_tv(call->conn, &tv);
  evhttp_connection_set_retries(call->conn, 0);
  evhttp_connection_set_max_body_size(call->conn, static_cast<ev_ssize_t>(max_response_));
  evhttp_connection_set_max_headers_size(call->conn, 16 * 1024);

  evhttp_request* req = evhttp_request_new(&Call::on_done, call);
  evhttp_request_set_error_cb(req, &Call::on_error);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != 80) host += ":" + std::to_string(url.port);
  evhttp_add_header(headers, "Host", host.c_str());
  evhttp_add_header(headers, "Content-Type", "application/ocsp-request");
  evhttp_add_header(headers, "Accept", "application/ocsp-response");
  evhttp_add_header(headers, "Connection", "close");
  evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  if (evhttp_make_request(call->conn, req, EVHTTP_REQ_POST, url.path.c_str()) != 0 &&
      !call->finished) {
    // A synchronous start failure; the request is no longer queued.
    evhttp_connection_free(call->conn);
    call->conn = nullptr;
    call->finish(UpstreamReply{TransportStatus::kConnectError, 0, {}, 0});
  }
}

}  // namespace ocspcache
