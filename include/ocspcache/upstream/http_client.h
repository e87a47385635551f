// The UpstreamClient of a worker: non-blocking HTTP/1.1 POST to OCSP
// responders on the worker's event loop.
//
// libevent's evhttp client does the protocol (it is well kept, handles
// HTTP/1.0 responders that close after each reply, chunked answers and
// body limits); this wrapper adds the overall deadline, maps its error
// callback to our outcome labels, and owns the handles.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_set>
#include <vector>

#include "ocspcache/upstream/client.h"
#include "ocspcache/util/duration.h"

struct event_base;
struct evdns_base;

namespace ocspcache {

class HttpUpstreamClient final : public UpstreamClient {
 public:
  HttpUpstreamClient(event_base* base, size_t max_response_bytes);
  ~HttpUpstreamClient() override;
  HttpUpstreamClient(const HttpUpstreamClient&) = delete;
  HttpUpstreamClient& operator=(const HttpUpstreamClient&) = delete;

  void post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout,
            Callback done) override;
  size_t in_flight() const override { return calls_.size(); }

 private:
  struct Call;
  event_base* base_;
  std::unique_ptr<evdns_base, void (*)(evdns_base*)> dns_;
  size_t max_response_;
  // Every exchange not yet delivered, so the destructor can free those cut
  // off by a drain timeout (their callbacks never run).
  std::unordered_set<Call*> calls_;
};

}  // namespace ocspcache
