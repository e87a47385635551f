// Non-blocking HTTP/1.1 POST to OCSP responders, on a worker's event loop.
//
// libevent's evhttp client does the protocol (it is well kept, handles
// HTTP/1.0 responders that close after each reply, chunked answers and
// body limits); this wrapper adds the overall deadline, maps its error
// callback to our outcome labels, and owns the handles.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include "ocspcache/config/config.h"

struct event_base;
struct evdns_base;

namespace ocspcache {

enum class TransportStatus : uint8_t {
  kOk,            // an HTTP answer arrived (any status code)
  kTimeout,       // no complete answer within upstream.timeout
  kConnectError,  // could not connect / connection closed before an answer
  kHttpError,     // malformed HTTP, or body over upstream.max_response
};

struct UpstreamReply {
  TransportStatus transport = TransportStatus::kConnectError;
  int http_status = 0;
  std::vector<uint8_t> body;
  double seconds = 0;  // time from send to completion
};

class UpstreamClient {
 public:
  using Callback = std::function<void(UpstreamReply)>;

  UpstreamClient(event_base* base, Millis timeout, size_t max_response_bytes);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends `body` as application/ocsp-request. `done` runs exactly once, on
  // this loop, never from inside post().
  void post(const HttpUrl& url, std::span<const uint8_t> body, Callback done);

  // Requests in flight (for drain on shutdown).
  size_t in_flight() const { return calls_.size(); }

 private:
  struct Call;
  event_base* base_;
  std::unique_ptr<evdns_base, void (*)(evdns_base*)> dns_;
  Millis timeout_;
  size_t max_response_;
  // Every exchange not yet delivered, so the destructor can free those cut
  // off by a drain timeout (their callbacks never run).
  std::unordered_set<Call*> calls_;
};

}  // namespace ocspcache
