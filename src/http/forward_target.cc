#include "ocspcache/http/forward_target.h"

#include <netinet/in.h>

#include <cstring>

namespace ocspcache {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Authority {
  std::string_view host;
  uint16_t port = 80;
  bool has_port = false;
};

// "host", "host:port", "[v6]", "[v6]:port" (RFC 9110 §4.2.1, no userinfo).
bool parse_authority(std::string_view text, Authority& out) {
  if (text.empty() || text.find('@') != std::string_view::npos) return false;
  std::string_view port_text;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    out.host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = text.find(':');
    out.host = text.substr(0, colon);
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return false;
  if (!port_text.empty()) {
    unsigned port = 0;
    if (port_text.size() > 5) return false;
    for (char c : port_text) {
      if (c < '0' || c > '9') return false;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return false;
    out.port = static_cast<uint16_t>(port);
    out.has_port = true;
  }
  return true;
}

// An IPv4-mapped IPv6 address as the IPv4 one: a dual-stack socket reports
// 127.0.0.1 as ::ffff:127.0.0.1.
IpAddress unmapped(IpAddress a) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (a.family == AF_INET6 && std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    IpAddress v4;
    v4.family = AF_INET;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    return v4;
  }
  return a;
}

// Without a port, a Host naming our own address means us: `openssl ocsp`
// sends "Host: 127.0.0.1" to http://127.0.0.1:8080.
bool names_self(const Authority& a, const std::optional<IpAddress>& ip, const SelfAddress& self) {
  if (a.has_port && a.port != self.port) return false;
  if (ip && unmapped(*ip) == unmapped(self.local)) return true;
  if (iequals(a.host, "localhost")) return true;
  for (const HostPort& listen : self.listen) {
    if (iequals(a.host, listen.host)) return true;
  }
  return false;
}

ForwardDecision refuse(ForwardRefusal r) { return ForwardDecision{false, r, {}}; }

// `absolute`: the client asked us as a proxy, so a host we will not ask is
// refused rather than served by issuer routing.
ForwardDecision classify(const Authority& a, std::string_view path, bool absolute,
                         const HostAllowList& allow, const SelfAddress& self) {
  const std::optional<IpAddress> ip = parse_ip_literal(a.host);
  if (names_self(a, ip, self)) return {};
  ForwardDecision d;
  d.target = ForwardTarget{a.host, a.port, path, ip.has_value()};
  if (ip) {
    if (allow.lists(*ip)) {
      d.forward = true;
      return d;
    }
    return absolute ? refuse(ForwardRefusal::kIpLiteral) : ForwardDecision{};
  }
  if (allow.allows_name(a.host)) {
    d.forward = true;
    return d;
  }
  return absolute ? refuse(ForwardRefusal::kNotAllowed) : ForwardDecision{};
}

}  // namespace

std::string_view to_label(ForwardRefusal r) {
  switch (r) {
    case ForwardRefusal::kNone: return "none";
    case ForwardRefusal::kNotAllowed: return "not_allowed";
    case ForwardRefusal::kIpLiteral: return "ip_literal";
    case ForwardRefusal::kHttps: return "https";
    case ForwardRefusal::kConnect: return "connect";
    case ForwardRefusal::kPrivateAddress: return "private_address";
  }
  return "none";
}

std::string_view to_text(ForwardRefusal r) {
  switch (r) {
    case ForwardRefusal::kNone: return "";
    case ForwardRefusal::kNotAllowed: return "forward proxy: host not in upstream.allow_hosts";
    case ForwardRefusal::kIpLiteral:
      return "forward proxy: IP address not in upstream.allow_hosts";
    case ForwardRefusal::kHttps: return "forward proxy: https responders are not supported";
    case ForwardRefusal::kConnect: return "CONNECT is not supported: ocspcache is not a tunnel";
    case ForwardRefusal::kPrivateAddress:
      return "forward proxy: host resolves to a private or loopback address not in "
             "upstream.allow_hosts";
  }
  return "";
}

int http_status(ForwardRefusal r) { return r == ForwardRefusal::kConnect ? 405 : 403; }

ForwardDecision decide_forward(std::string_view target, std::string_view host_header,
                               const HostAllowList& allow, const SelfAddress& self) {
  if (allow.empty()) return {};
  if (istarts_with(target, "https://")) return refuse(ForwardRefusal::kHttps);
  if (istarts_with(target, "http://")) {
    const std::string_view rest = target.substr(7);
    const size_t end = rest.find_first_of("/?");
    const std::string_view path =
        end != std::string_view::npos && rest[end] == '/' ? rest.substr(end) : "/";
    Authority a;
    if (!parse_authority(rest.substr(0, end), a)) return refuse(ForwardRefusal::kNotAllowed);
    return classify(a, path, /*absolute=*/true, allow, self);
  }
  host_header = trim(host_header);
  if (host_header.empty() || target.empty() || target.front() != '/') return {};
  Authority a;
  if (!parse_authority(host_header, a)) return {};
  return classify(a, target, /*absolute=*/false, allow, self);
}

}  // namespace ocspcache
