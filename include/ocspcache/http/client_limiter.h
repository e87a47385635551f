// server.max_connections_per_client: how many connections one client
// (an IPv4 address, an IPv6 /64: ip_network.h client_key) may hold open
// across all workers, so a slowloris or a leaking client exhausts its own
// budget, not server.max_connections. Counted at accept and at close only,
// never per request. Sharded so workers accepting at once rarely meet on a
// lock; a client's count is forgotten when it drops to zero, so the table
// holds at most max_connections entries.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "ocspcache/util/ip_network.h"

namespace ocspcache {

class ClientLimiter {
 public:
  explicit ClientLimiter(size_t max_per_client) : max_(max_per_client) {}
  ClientLimiter(const ClientLimiter&) = delete;
  ClientLimiter& operator=(const ClientLimiter&) = delete;

  // Takes a slot for one more connection of this client; false (nothing
  // taken) when it already holds max_per_client.
  bool acquire(const ClientKey& client);
  // Gives back a slot acquire() took.
  void release(const ClientKey& client);

  size_t held(const ClientKey& client) const;  // tests and /status
  size_t clients() const;                      // distinct clients holding a slot

 private:
  struct alignas(64) Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<ClientKey, uint32_t> counts;
  };
  static constexpr size_t kShards = 16;
  Shard& shard_for(const ClientKey& client) const;

  const size_t max_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace ocspcache
