// One client connection: raw non-blocking socket, http_parser for HTTP/1.x
// framing (keep-alive, pipelining, chunked bodies), limits from [server].
//
// Requests on a connection are answered strictly in order: while one waits
// for an upstream fetch, parsing pauses (http_parser_pause) and reading
// stops, so a pipelining client cannot make us buffer without bound.
#pragma once

#include <http_parser.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/http/forward_target.h"
#include "ocspcache/http/miss_resolver.h"
#include "ocspcache/metrics/worker_stats.h"
#include "ocspcache/util/ip_network.h"

struct event;

namespace ocspcache {

class Worker;

// The parts of a complete request the OCSP handler needs.
struct HttpRequest {
  http_method method = HTTP_GET;
  std::string_view target;
  std::span<const uint8_t> body;
  std::string_view if_none_match;
  std::string_view if_modified_since;
  // Forward-proxy mode: the responder this request names (forward_target.h);
  // null for issuer routing.
  const ForwardTarget* forward = nullptr;
};

class Connection {
 public:
  Connection(Worker& worker, uint64_t id, int fd);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint64_t id() const { return id_; }
  // At accept: who the client is (its per-client budget key), whether it
  // took a slot of server.max_connections_per_client (given back at close),
  // and whether it is in metrics.track_clients (its asks make series).
  void set_client(const ClientKey& client, bool holds_slot, bool tracked) {
    client_ = client;
    holds_client_slot_ = holds_slot;
    tracked_client_ = tracked;
  }
  const ClientKey& client() const { return client_; }
  bool holds_client_slot() const { return holds_client_slot_; }
  bool tracked_client() const { return tracked_client_; }
  void start();

  // The once-a-second sweep asks, then expires outside its iteration.
  bool timed_out(int64_t now_ms) const;
  void expire();
  // Drain: close now if nothing is in progress, else after the current answer.
  void drain();
  bool idle() const;

  // The OCSP handler's view.
  std::vector<char>& out() { return out_; }
  bool keep_alive() const { return keep_alive_; }
  bool http10() const { return http10_; }
  // The request is waiting on a flight; the answer comes through resume().
  void set_pending(ReqMethod m, uint64_t start_ns, bool head);
  void resume(const FetchOutcome& outcome);

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t len);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t len);
  static int on_message_complete(http_parser* p);
  static const http_parser_settings kSettings;

  static void on_io(int fd, short what, void* arg);
  void handle_readable();
  void handle_writable();
  void process_input();
  void dispatch();
  void fail(int http_status);  // answer with an HTTP error and close
  void refuse(ForwardRefusal why);  // forward-proxy refusal: counted, with its reason
  bool add_header_bytes(size_t n, bool in_target);
  void flush();
  void start_lingering();
  // Requests we have not read (or read but not answered) are waiting: a
  // close() now would reset the connection and throw away answers the kernel
  // has not sent yet.
  bool unread_input() const;
  void drain_lingering();
  void update_events();
  void close();

  Worker& worker_;
  const uint64_t id_;
  int fd_;
  event* ev_ = nullptr;
  short ev_flags_ = 0;
  http_parser parser_{};

  // Unparsed bytes live in [in_start_, in_len_). Not a vector: resize()
  // would zero-fill on every read (it showed in the profile).
  std::unique_ptr<char[]> in_buf_;
  size_t in_cap_ = 0;
  size_t in_len_ = 0;
  size_t in_start_ = 0;
  std::vector<char> out_;  // bytes to send live in [out_sent_, out_.size())
  size_t out_sent_ = 0;

  // The request being parsed.
  std::string url_;
  std::string field_;
  std::string value_;
  std::string if_none_match_;
  std::string if_modified_since_;
  std::string host_;  // the Host header: forward-proxy mode routes by it
  ForwardDecision forward_;
  SelfAddress self_;  // read once, in forward-proxy mode only
  std::vector<uint8_t> body_;
  size_t header_bytes_ = 0;
  bool in_value_ = false;
  bool in_message_ = false;
  bool message_complete_ = false;
  bool expect_continue_ = false;
  int pending_status_ = 0;  // an HTTP error decided inside a parser callback

  ClientKey client_;
  bool holds_client_slot_ = false;
  bool tracked_client_ = true;  // set_client decides; tools and tests track everyone
  bool keep_alive_ = true;
  bool http10_ = false;
  bool pending_ = false;   // waiting for a flight
  bool read_paused_ = false;  // the client sent while pending: reads wait for the answer
  bool closing_ = false;   // close once out_ is flushed
  bool linger_on_close_ = false;  // an error answer: linger rather than close at once
  bool lingering_ = false;        // answer sent, write side shut: dropping input until close
  int64_t linger_until_ms_ = 0;
  bool peer_closed_ = false;
  bool draining_ = false;
  bool pending_head_ = false;
  ReqMethod pending_method_ = ReqMethod::kOther;
  uint64_t pending_start_ns_ = 0;
  int64_t last_activity_ = 0;  // monotonic ms (Worker::now_ms)
  int64_t request_start_ = 0;
};


}  // namespace ocspcache
