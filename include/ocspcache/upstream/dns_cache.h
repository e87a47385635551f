// Resolved responder addresses per host name, kept for the record's TTL so
// a warm miss does no name lookup at all. Pure bookkeeping (the lookups
// themselves are resolver.h's), so the TTL rules are unit-tested with a
// ManualClock's milliseconds.
//
// A TTL is clamped to [min_ttl, max_ttl]: 0-second TTLs (some CDNs) would
// otherwise mean a lookup per fetch, and a week-long one would pin a
// responder that moved. A failed lookup is remembered for failure_ttl so a
// dead name costs one lookup per that interval, not one per miss.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/util/duration.h"

struct sockaddr;

namespace ocspcache {

// An IPv4 or IPv6 address, without a port.
struct IpAddr {
  int family = 0;                  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4
  bool operator==(const IpAddr&) const = default;
  // Literal text ("127.0.0.1", "::1") or nothing when not a literal.
  static bool parse(std::string_view text, IpAddr* out);
};

struct DnsPolicy {
  Millis min_ttl{1'000};
  Millis max_ttl{3'600'000};
  Millis failure_ttl{5'000};
};

class DnsCache {
 public:
  enum class State { kMiss, kHit, kFailed };
  struct Answer {
    State state = State::kMiss;
    const std::vector<IpAddr>* addrs = nullptr;  // for kHit; valid until the next store
  };

  explicit DnsCache(DnsPolicy policy = {}) : policy_(policy) {}

  Answer find(std::string_view host, int64_t now_ms) const;
  // ADDRS non-empty; TTL_S as the answer gave it (clamped here).
  void store(std::string_view host, std::vector<IpAddr> addrs, int64_t ttl_s, int64_t now_ms);
  void store_failure(std::string_view host, int64_t now_ms);

  // When an entry of HOST expires (tests); -1 when absent.
  int64_t expires_ms(std::string_view host) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<IpAddr> addrs;  // empty: a remembered failure
    int64_t expires_ms = 0;
  };
  void prune(int64_t now_ms);

  DnsPolicy policy_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace ocspcache
