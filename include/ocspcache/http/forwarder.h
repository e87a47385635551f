// Forward-proxy mode, the miss side (DESIGN.md step 5): the responder a
// request names (forward_target.h) is asked instead of the issuer's
// configured ones. Its name is vetted first (upstream/host_vetter.h: no
// private or loopback address unless listed), it becomes a Responder of the
// shared set (bounded: upstream.forward_max_responders; its own breaker and
// health), and the miss goes through the MissResolver like any other, so
// the answer is still single-flighted and cached by CertID.
//
// Validation is DESIGN.md step 6 in full when the request's issuer is
// configured; for an unconfigured issuer every check but the signature
// applies (the trust is in the allow-list; docs/configuration.md).
//
// One per worker, on its loop, only when upstream.allow_hosts is set.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ocspcache/config/config.h"
#include "ocspcache/http/forward_target.h"
#include "ocspcache/http/miss_resolver.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/upstream/host_vetter.h"
#include "ocspcache/upstream/responder_set.h"
#include "ocspcache/util/host_allow_list.h"

struct event_base;

namespace ocspcache {

class Forwarder {
 public:
  struct Miss {
    ForwardTarget target;          // views: read during resolve() only
    std::string_view path;         // the responder's path (a GET's without its base64)
    std::span<const uint8_t> der;  // the request as the client sent it
    ocsp::CacheKey key;
    std::shared_ptr<const RouteTable> routes;
    const Route* issuer_route = nullptr;  // in `routes`; null when the issuer is not configured
    bool uncached = false;                // nonce passthrough
    bool tracked = true;                  // the client is in metrics.track_clients
  };

  Forwarder(event_base* base, const UpstreamConfig& config, ResponderSet& responders,
            MissResolver& resolver, Metrics& metrics);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  const HostAllowList& allow() const { return allow_; }

  // `waiter` runs once with the outcome (possibly on another worker's
  // thread when the flight is led elsewhere, as MissResolver's waiters do).
  void resolve(const Miss& miss, Flights::Waiter waiter);

  // "http://host[:port]/path" for the target: the responder's URL and its
  // `responder` label. The host in lower case, an IPv6 literal bracketed.
  static HttpUrl responder_url(const ForwardTarget& target, std::string_view path);

 private:
  struct Pending;
  void ask(const std::shared_ptr<Pending>& pending);

  const HostAllowList allow_;
  HostVetter vetter_;
  ResponderSet& responders_;
  const size_t max_responders_;
  MissResolver& resolver_;
  Metrics& metrics_;
};

}  // namespace ocspcache
