#include "ocspcache/http/forwarder.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {

// What a miss needs once the name lookup is back: owned copies, since the
// request's buffers are reused by the next request on the connection.
struct Forwarder::Pending {
  HttpUrl url;
  std::vector<uint8_t> der;
  ocsp::CacheKey key;
  std::shared_ptr<const RouteTable> routes;
  const Route* issuer_route = nullptr;
  bool uncached = false;
  bool tracked = true;
  Flights::Waiter waiter;
};

namespace {

void warn_limited(std::string_view key, std::string_view event, std::string fields) {
  log::upstream_errors().warn(key, event, std::move(fields));
}

}  // namespace

Forwarder::Forwarder(event_base* base, const UpstreamConfig& config, ResponderSet& responders,
                     MissResolver& resolver, Metrics& metrics)
    : allow_(config.allow_hosts),
      vetter_(base, allow_, config.timeout),
      responders_(responders),
      max_responders_(config.forward_max_responders),
      resolver_(resolver),
      metrics_(metrics) {}

HttpUrl Forwarder::responder_url(const ForwardTarget& target, std::string_view path) {
  HttpUrl url;
  url.host.assign(target.host);
  std::transform(url.host.begin(), url.host.end(), url.host.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  if (!url.host.empty() && url.host.back() == '.') url.host.pop_back();
  url.port = target.port;
  url.path = path.empty() ? "/" : std::string(path);
  const bool v6 = url.host.find(':') != std::string::npos;
  url.original = "http://" + (v6 ? "[" + url.host + "]" : url.host) +
                 (url.port != 80 ? ":" + std::to_string(url.port) : "") + url.path;
  return url;
}

void Forwarder::resolve(const Miss& miss, Flights::Waiter waiter) {
  auto pending = std::make_shared<Pending>();
  pending->url = responder_url(miss.target, miss.path);
  pending->der.assign(miss.der.begin(), miss.der.end());
  pending->key = miss.key;
  pending->routes = miss.routes;
  pending->issuer_route = miss.issuer_route;
  pending->uncached = miss.uncached;
  pending->tracked = miss.tracked;
  pending->waiter = std::move(waiter);
  if (miss.target.literal) {  // a listed address: nothing to look up
    ask(pending);
    return;
  }
  vetter_.vet(pending->url.host, [this, pending](HostVetter::Result result) {
    switch (result.verdict) {
      case HostVetter::Verdict::kPublic:
        ask(pending);
        return;
      case HostVetter::Verdict::kPrivate: {
        constexpr ForwardRefusal kWhy = ForwardRefusal::kPrivateAddress;
        metrics_.forward_refused(to_label(kWhy));
        warn_limited("forward_refused\n" + pending->url.host, "forward_refused",
                     "host=" + log::quoted(pending->url.host) + " address=" + result.detail +
                         " reason=private_address");
        FetchOutcome refused;
        refused.http_status = http_status(kWhy);
        refused.http_text = to_text(kWhy);
        pending->waiter(refused);
        return;
      }
      case HostVetter::Verdict::kNoAddress:
        warn_limited("forward_dns\n" + pending->url.host, "forward_lookup_failed",
                     "host=" + log::quoted(pending->url.host) + " reason=" + log::quoted(result.detail));
        pending->waiter(FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
        return;
    }
  });
}

void Forwarder::ask(const std::shared_ptr<Pending>& pending) {
  std::shared_ptr<Responder> responder = responders_.get_forwarded(pending->url, max_responders_);
  if (!responder) {
    warn_limited("forward_full", "forward_responders_full",
                 "limit=" + std::to_string(max_responders_) +
                     " responder=" + log::quoted(pending->url.original) + " answer=tryLater");
    pending->waiter(FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
    return;
  }
  auto route = std::make_shared<Route>();
  route->issuer = pending->issuer_route != nullptr ? pending->issuer_route->issuer : nullptr;
  route->responders.push_back(std::move(responder));
  route->forward_host = pending->url.host;
  MissRoute miss_route{pending->routes, route.get(), route, pending->tracked};
  if (pending->uncached) {
    resolver_.resolve_uncached(pending->key, std::move(pending->der), std::move(miss_route),
                               std::move(pending->waiter));
    return;
  }
  const auto decoded = ocsp::decode_request(pending->der);  // decoded once already: cannot fail
  if (!decoded.ok()) {
    pending->waiter(FetchOutcome{nullptr, ocsp::ResponseCode::kMalformedRequest});
    return;
  }
  resolver_.resolve(pending->key, *decoded, std::move(miss_route), std::move(pending->waiter));
}

}  // namespace ocspcache
