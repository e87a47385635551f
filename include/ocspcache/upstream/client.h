// The transport seam of the upstream side: one HTTP POST of an OCSP request
// to a responder, answered asynchronously. HttpUpstreamClient
// (http_client.h) is the real one, on a worker's event loop; unit tests of
// the fetcher use a fake that answers when told to (no sockets, no sleeps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ocspcache/util/duration.h"
#include "ocspcache/util/net_address.h"

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
  // A 503's Retry-After (delta-seconds, or an HTTP-date made relative), in
  // seconds; 0 when absent or unreadable. The fetcher holds the responder
  // back for it.
  int64_t retry_after_s = 0;
};

// Where an exchange may connect. A forwarded responder (forward-proxy
// mode, named by a client) may only be reached at a public address or one
// listed in upstream.allow_hosts, checked on the address the connection is
// actually made to: the forwarder's earlier check of the same name cannot
// see a DNS answer that changes in between (rebinding).
enum class AddressPolicy : uint8_t { kAny, kPublicOnly };

class UpstreamClient {
 public:
  using Callback = std::function<void(UpstreamReply)>;
  virtual ~UpstreamClient() = default;

  // Sends `body` as application/ocsp-request; the exchange ends with
  // kTimeout if no complete answer came within `timeout` (the fetcher
  // passes upstream.timeout, or less when the client's overall deadline is
  // nearer). `done` runs exactly once, on the client's loop, never from
  // inside post().
  virtual void post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout,
                    AddressPolicy policy, Callback done) = 0;

  // Exchanges not yet delivered (a worker drains until this is 0).
  virtual size_t in_flight() const = 0;
};

}  // namespace ocspcache
