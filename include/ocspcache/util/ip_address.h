// IP addresses as forward-proxy mode judges them: literals in URLs, Host
// headers and upstream.allow_hosts, and what a responder's name resolves
// to. A plain value (family and 16 bytes), compared without allocation so
// the front end can check a Host header on every request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace ocspcache {

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6; 0 when empty
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
  bool operator==(const IpAddress&) const = default;
  std::string to_string() const;  // "127.0.0.1", "::1" (no brackets)
};

// "192.0.2.1", "2001:db8::1" or "[2001:db8::1]"; nullopt for anything else
// (names included). No allocation.
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// The address of an AF_INET/AF_INET6 socket address; nullopt otherwise.
std::optional<IpAddress> from_sockaddr(const sockaddr* sa);

// True for addresses a forward proxy must not reach on a client's word:
// unspecified, loopback, RFC 1918 and shared (100.64/10) private, link-local,
// benchmarking, multicast and reserved ranges, IPv6 unique-local, and IPv4
// ones hidden in IPv4-mapped or NAT64 (64:ff9b::/96) IPv6 addresses.
bool is_special_address(const IpAddress& address);

}  // namespace ocspcache
