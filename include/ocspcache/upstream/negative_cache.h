// Failures remembered per CertID (upstream.negative_ttl): after a fetch for
// a cache key ended without a valid answer (every responder failed, timed
// out, was passed over by its breaker, or the deadline passed), the next
// clients asking for that key within a short, jittered time get tryLater at
// once, and no responder is asked again for it meanwhile. Only misses get
// here: a valid cached answer is always served first, so a remembered
// failure never hides one.
//
// Shared by every worker (a mutex; misses only). Bounded: at most
// kMaxEntries keys, expired ones swept when it fills; past that a failure
// is not remembered (counted), which costs a responder request, never memory.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/jitter.h"

namespace ocspcache {

class NegativeCache {
 public:
  static constexpr size_t kMaxEntries = 100'000;

  // ttl 0 = off. Each remembered failure lasts ttl * (1 +- jitter), so the
  // CertIDs of one outage do not all come back to the responder at once.
  explicit NegativeCache(Millis ttl = Millis{30'000}, double jitter = 0.2, uint64_t seed = 1);

  void set_ttl(Millis ttl);  // SIGHUP; applies to failures remembered from now on
  // SIGHUP that changed whom we trust: what failed against the old issuer
  // certificates says nothing of the new ones.
  void forget_all();

  // Is a failure for `key` remembered at `now_ms` (monotonic)?
  bool remembered(const ocsp::CacheKey& key, int64_t now_ms);
  // A fetch for `key` failed at `now_ms`.
  void remember(const ocsp::CacheKey& key, int64_t now_ms);

  size_t size() const;
  uint64_t not_remembered() const;  // failures left out because it was full

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<ocsp::CacheKey, int64_t, ocsp::CacheKeyHash> until_;  // monotonic ms
  Millis ttl_;
  double fraction_;
  Jitter jitter_;
  uint64_t not_remembered_ = 0;
};

}  // namespace ocspcache
