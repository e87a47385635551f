// Single-flight: however many clients (on however many workers) wait for
// one CertID, one upstream fetch runs. The first caller becomes the leader
// and fetches; the others only register a callback. Callbacks run on the
// thread that completes the flight and must hand off to their own loop.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <functional>
#include <mutex>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/cache/cached_response.h"

namespace ocspcache {

// What a flight ends with: an entry to serve, or the OCSPResponse status to
// answer with (tryLater, unauthorized).
struct FetchOutcome {
  EntryPtr entry;
  ocsp::ResponseCode code = ocsp::ResponseCode::kTryLater;
};

class SingleFlight {
 public:
  using Waiter = std::function<void(const FetchOutcome&)>;

  // Registers `waiter`. Returns true when the caller is the leader and must
  // start the fetch (and later call complete()).
  bool join(const ocsp::CacheKey& key, Waiter waiter);

  // Ends the flight and runs every waiter (outside the lock).
  void complete(const ocsp::CacheKey& key, const FetchOutcome& outcome);

  size_t in_flight() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<ocsp::CacheKey, std::vector<Waiter>, ocsp::CacheKeyHash> flights_;
};

}  // namespace ocspcache
