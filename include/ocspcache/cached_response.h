// A validated OCSP response as the cache holds it: the DER to send and the
// few facts the hot path needs to write headers without re-parsing it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ocspcache/asked_mark.h"
#include "ocspcache/ocsp_response.h"

namespace ocspcache {

struct CachedResponse {
  std::vector<uint8_t> der;
  int64_t this_update = 0;  // Last-Modified
  int64_t next_update = 0;  // Expires; never served at or after this
  int64_t produced_at = 0;
  int64_t revoked_at = 0;   // first CertID's, when revoked
  uint64_t etag = 0;        // first 8 bytes of SHA-256(der)
  ocsp::CertStatus status = ocsp::CertStatus::kUnknown;  // first CertID's
  // One per CertID answered: the CertTracker's "last asked" of each (see
  // asked_mark.h). Set when the entry is built, never changed after.
  std::vector<std::shared_ptr<const AskedMark>> asked;

  // Builds the entry from a response validate_response accepted.
  static std::shared_ptr<const CachedResponse> make(
      std::vector<uint8_t> der, const ocsp::ValidatedResponse& v,
      std::vector<std::shared_ptr<const AskedMark>> asked = {});

  // The hot path's only word to the metrics: lock-free, allocation-free.
  void mark_asked(int64_t now) const {
    for (const auto& m : asked) m->touch(now);
  }

  // Bytes charged against cache.max_bytes: the DER plus what an entry
  // costs around it. bench/RESULTS.md measured 289-308 B of RSS per entry
  // beyond the DER at 100k-1M entries (map slot, LRU node, control block,
  // this struct, the DER's own allocation), so charge that much: with 192 a
  // full cache overshot cache.max_bytes by about 10%.
  size_t charge() const { return der.size() + kOverheadBytes; }
  static constexpr size_t kOverheadBytes = 304;
};

using EntryPtr = std::shared_ptr<const CachedResponse>;

}  // namespace ocspcache
