// Address ranges in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or a
// bare address for one host) and the judgements made of a client's source
// address: which clients' asks create per-certificate series
// (metrics.track_clients) and which clients share a per-client connection
// budget (server.max_connections_per_client). Matching allocates nothing:
// it runs once per accepted connection.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/util/ip_address.h"

namespace ocspcache {

// An IPv4 client reaching a dual-stack socket shows as ::ffff:a.b.c.d; every
// judgement of a client is made on the IPv4 address it really has.
IpAddress unmapped(const IpAddress& address);

struct IpNetwork {
  IpAddress base;  // host bits zero
  int prefix = 0;  // 0..32 (IPv4) or 0..128 (IPv6)
  bool contains(const IpAddress& address) const;  // `address` unmapped first
  std::string to_string() const;                  // "10.0.0.0/8"
};

// "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128). A base with host
// bits set ("10.1.2.3/8") is refused rather than silently widened: it is
// most likely a typo. Errors name what is wrong.
struct IpNetworkParse {
  std::optional<IpNetwork> network;
  std::string error;
};
IpNetworkParse parse_ip_network(std::string_view text);

class IpNetworkList {
 public:
  IpNetworkList() = default;
  explicit IpNetworkList(std::vector<IpNetwork> networks) : networks_(std::move(networks)) {}
  // Entries must parse (the config loader saw to it); one that does not is ignored.
  static IpNetworkList parse(const std::vector<std::string>& entries);
  // metrics.track_clients = []: loopback and the private ranges (RFC 1918,
  // IPv6 unique-local), where the TLS servers of one site live.
  static IpNetworkList loopback_and_private();

  bool contains(const IpAddress& address) const;
  bool empty() const { return networks_.empty(); }
  const std::vector<IpNetwork>& networks() const { return networks_; }

 private:
  std::vector<IpNetwork> networks_;
};

// The key a per-client budget is counted under: an IPv4 address as it is,
// an IPv6 address by its /64 (one host is normally given a whole /64, so a
// per-address budget would be no budget at all).
struct ClientKey {
  std::array<uint8_t, 9> bytes{};  // family tag, then 4 (IPv4) or 8 (IPv6 /64) bytes
  bool operator==(const ClientKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ClientKey& k) {
    return H::combine(std::move(h), k.bytes);
  }
};
ClientKey client_key(const IpAddress& address);

}  // namespace ocspcache
