#include "ocspcache/util/ip_network.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>

namespace ocspcache {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int max_prefix(int family) { return family == AF_INET ? 32 : 128; }

// Do the first `prefix` bits of a and b agree?
bool same_prefix(const uint8_t* a, const uint8_t* b, int prefix) {
  const int whole = prefix / 8;
  for (int i = 0; i < whole; ++i) {
    if (a[i] != b[i]) return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

IpAddress unmapped(const IpAddress& address) {
  if (address.family != AF_INET6) return address;
  for (size_t i = 0; i < kMappedPrefix.size(); ++i) {
    if (address.bytes[i] != kMappedPrefix[i]) return address;
  }
  IpAddress v4;
  v4.family = AF_INET;
  for (size_t i = 0; i < 4; ++i) v4.bytes[i] = address.bytes[12 + i];
  return v4;
}

bool IpNetwork::contains(const IpAddress& address) const {
  const IpAddress a = unmapped(address);
  return a.family == base.family && same_prefix(a.bytes.data(), base.bytes.data(), prefix);
}

std::string IpNetwork::to_string() const { return base.to_string() + "/" + std::to_string(prefix); }

IpNetworkParse parse_ip_network(std::string_view text) {
  IpNetworkParse out;
  const size_t slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  auto base = parse_ip_literal(addr);
  if (!base || addr.starts_with('[')) {
    out.error = "\"" + std::string(addr) + "\" is not an IP address";
    return out;
  }
  int prefix = max_prefix(base->family);
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    int n = -1;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() || n < 0 ||
        n > prefix) {
      out.error = "prefix length \"" + std::string(bits) + "\" is not 0.." + std::to_string(prefix);
      return out;
    }
    prefix = n;
  }
  IpAddress masked = *base;
  for (int bit = prefix; bit < max_prefix(base->family); ++bit) {
    masked.bytes[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (masked != *base) {
    out.error = "\"" + std::string(text) + "\" has host bits set (did you mean " +
                IpNetwork{masked, prefix}.to_string() + "?)";
    return out;
  }
  out.network = IpNetwork{*base, prefix};
  return out;
}

IpNetworkList IpNetworkList::parse(const std::vector<std::string>& entries) {
  std::vector<IpNetwork> networks;
  for (const std::string& e : entries) {
    if (auto p = parse_ip_network(e); p.network) networks.push_back(*p.network);
  }
  return IpNetworkList(std::move(networks));
}

IpNetworkList IpNetworkList::loopback_and_private() {
  return parse({"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128",
                "fc00::/7"});
}

bool IpNetworkList::contains(const IpAddress& address) const {
  const IpAddress a = unmapped(address);
  for (const IpNetwork& n : networks_) {
    if (n.contains(a)) return true;
  }
  return false;
}

ClientKey client_key(const IpAddress& address) {
  const IpAddress a = unmapped(address);
  ClientKey k;
  k.bytes[0] = static_cast<uint8_t>(a.family == AF_INET ? 4 : 6);
  const size_t n = a.family == AF_INET ? 4 : 8;
  for (size_t i = 0; i < n; ++i) k.bytes[1 + i] = a.bytes[i];
  return k;
}

}  // namespace ocspcache
