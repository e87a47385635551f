// Forward-proxy mode, front-end side (DESIGN.md step 5): does this request
// name a responder to ask on the client's behalf, should it be refused, or
// is it an ordinary request to ocspcache routed by issuer?
//
// - Absolute-form request-target ("POST http://ocsp.example.com/ HTTP/1.1",
//   as HTTP proxy clients send): forwarded if the host is on
//   upstream.allow_hosts, refused otherwise (no open relay).
// - Origin-form with a Host header on the list: forwarded (clients whose
//   responder name resolves to ocspcache). A Host not on the list is how
//   clients address ocspcache itself (any name or address it is reached by),
//   so it keeps issuer routing, which only ever asks configured responders.
// - Either naming ocspcache's own address (the connection's local address,
//   "localhost" or a server.listen host, at the connection's port or with
//   no port at all, as `openssl ocsp` sends it): issuer routing, never a
//   loop through ourselves.
//
// Pure and allocation-free: it runs on every request while the mode is on,
// hits included, and returns views into the request's own strings.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "ocspcache/util/host_allow_list.h"
#include "ocspcache/util/ip_address.h"
#include "ocspcache/util/net_address.h"

namespace ocspcache {

enum class ForwardRefusal : uint8_t {
  kNone,
  kNotAllowed,      // a host not on upstream.allow_hosts (or unreadable)
  kIpLiteral,       // an IP address that is not itself listed
  kHttps,           // an https:// absolute URI: ocspcache does not originate TLS for clients
  kConnect,         // CONNECT: never a tunnel
  kPrivateAddress,  // a listed name resolving to a loopback/private/link-local address
};
// The `reason` label of ocspcache_forward_refused_total.
std::string_view to_label(ForwardRefusal r);
// The one-line body of the refusal, for whoever debugs the client.
std::string_view to_text(ForwardRefusal r);
// The HTTP status: 405 for CONNECT, 403 for the others.
int http_status(ForwardRefusal r);

struct ForwardTarget {
  std::string_view host;  // brackets stripped from an IPv6 literal
  uint16_t port = 80;
  std::string_view path;  // from the first '/' of the target ("/" if none); may hold a GET's base64
  bool literal = false;   // `host` is an IP literal (then it is listed)
};

struct ForwardDecision {
  bool forward = false;
  ForwardRefusal refusal = ForwardRefusal::kNone;
  ForwardTarget target;  // when `forward`
};

// Who ocspcache is on this connection.
struct SelfAddress {
  IpAddress local;  // the accepted socket's local address
  uint16_t port = 0;
  std::span<const HostPort> listen;  // server.listen as configured
};

// `target` is the request-target, `host_header` the Host value ("" if none).
ForwardDecision decide_forward(std::string_view target, std::string_view host_header,
                               const HostAllowList& allow, const SelfAddress& self);

}  // namespace ocspcache
