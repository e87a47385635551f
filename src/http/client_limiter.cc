#include "ocspcache/http/client_limiter.h"

#include <absl/hash/hash.h>

namespace ocspcache {

ClientLimiter::Shard& ClientLimiter::shard_for(const ClientKey& client) const {
  return shards_[absl::Hash<ClientKey>{}(client) % kShards];
}

bool ClientLimiter::acquire(const ClientKey& client) {
  Shard& s = shard_for(client);
  std::lock_guard lock(s.mu);
  uint32_t& n = s.counts[client];
  if (n >= max_) {
    if (n == 0) s.counts.erase(client);  // max_ == 0 would leave an empty entry
    return false;
  }
  ++n;
  return true;
}

void ClientLimiter::release(const ClientKey& client) {
  Shard& s = shard_for(client);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(client);
  if (it == s.counts.end()) return;
  if (--it->second == 0) s.counts.erase(it);
}

size_t ClientLimiter::held(const ClientKey& client) const {
  Shard& s = shard_for(client);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(client);
  return it == s.counts.end() ? 0 : it->second;
}

size_t ClientLimiter::clients() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.counts.size();
  }
  return n;
}

}  // namespace ocspcache
