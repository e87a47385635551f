// Special-purpose ranges from the IANA registries (RFC 6890 and its
// updates); what a public OCSP responder can never live on.
#include "ocspcache/util/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace ocspcache {
namespace {

bool v4_special(const uint8_t* a) {
  const uint8_t x = a[0], y = a[1];
  return x == 0                                // "this network"
         || x == 10                            // private
         || (x == 100 && (y & 0xC0) == 64)     // shared address space, 100.64/10
         || x == 127                           // loopback
         || (x == 169 && y == 254)             // link-local
         || (x == 172 && (y & 0xF0) == 16)     // private, 172.16/12
         || (x == 192 && y == 0 && a[2] == 0)  // IETF protocol assignments
         || (x == 192 && y == 168)             // private
         || (x == 198 && (y & 0xFE) == 18)     // benchmarking, 198.18/15
         || x >= 224;                          // multicast, reserved, broadcast
}

}  // namespace

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET || family == AF_INET6) inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]"
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress out;
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    out.family = AF_INET;
    return out;
  }
  if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    out.family = AF_INET6;
    return out;
  }
  return std::nullopt;
}

std::optional<IpAddress> from_sockaddr(const sockaddr* sa) {
  IpAddress out;
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    out.family = AF_INET;
    std::memcpy(out.bytes.data(), &in->sin_addr, 4);
    return out;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.family = AF_INET6;
    std::memcpy(out.bytes.data(), &in6->sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

bool is_special_address(const IpAddress& address) {
  const uint8_t* a = address.bytes.data();
  if (address.family == AF_INET) return v4_special(a);
  if (address.family != AF_INET6) return true;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kNat64, 12) == 0) {
    return v4_special(a + 12);
  }
  static constexpr uint8_t kZero[6] = {};
  return a[0] == 0x00                                // ::/8 reserved: ::, ::1, IPv4-compatible
         || (a[0] & 0xFE) == 0xFC                      // unique-local, fc00::/7
         || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)  // link-local, fe80::/10
         || (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0)  // site-local (deprecated), fec0::/10
         || a[0] == 0xFF                            // multicast
         || (a[0] == 0x01 && a[1] == 0 && a[2] == 0 && a[3] == 0 &&
             std::memcmp(a + 2, kZero, 6) == 0);  // discard, 100::/64
}

}  // namespace ocspcache
