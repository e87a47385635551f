#include "ocspcache/upstream/dns_cache.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace ocspcache {
namespace {

// Debian's Abseil has its own string_view type, not std's.
absl::string_view key(std::string_view s) { return {s.data(), s.size()}; }

// Responders are few (configured, or allow-listed in forward-proxy mode),
// so this only guards against a churn of names; expired entries go first.
constexpr size_t kPruneAbove = 4096;

}  // namespace

bool IpAddr::parse(std::string_view text, IpAddr* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    return false;
  }
  *out = a;
  return true;
}

DnsCache::Answer DnsCache::find(std::string_view host, int64_t now_ms) const {
  auto it = entries_.find(key(host));
  if (it == entries_.end() || now_ms >= it->second.expires_ms) return {};
  if (it->second.addrs.empty()) return {State::kFailed, nullptr};
  return {State::kHit, &it->second.addrs};
}

void DnsCache::store(std::string_view host, std::vector<IpAddr> addrs, int64_t ttl_s,
                     int64_t now_ms) {
  if (addrs.empty()) {
    store_failure(host, now_ms);
    return;
  }
  prune(now_ms);
  const int64_t ttl_ms =
      std::clamp<int64_t>(ttl_s * 1000, policy_.min_ttl.count(), policy_.max_ttl.count());
  entries_[key(host)] = Entry{std::move(addrs), now_ms + ttl_ms};
}

void DnsCache::store_failure(std::string_view host, int64_t now_ms) {
  prune(now_ms);
  entries_[key(host)] = Entry{{}, now_ms + policy_.failure_ttl.count()};
}

int64_t DnsCache::expires_ms(std::string_view host) const {
  auto it = entries_.find(key(host));
  return it == entries_.end() ? -1 : it->second.expires_ms;
}

void DnsCache::prune(int64_t now_ms) {
  if (entries_.size() < kPruneAbove) return;
  absl::erase_if(entries_, [now_ms](const auto& kv) { return now_ms >= kv.second.expires_ms; });
  if (entries_.size() >= kPruneAbove) entries_.clear();  // all live: start over, lookups redo it
}

}  // namespace ocspcache
