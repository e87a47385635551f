#include "ocspcache/cache/cached_response.h"

#include <openssl/sha.h>

#include <cstring>
#include <limits>
#include <new>

namespace ocspcache {

// Issue 5: under 256 bytes per entry beyond the DER, with malloc's rounding
// and the hash set's slot on top of this.
static_assert(sizeof(CachedResponse) <= 128, "a cache entry's fixed part grew past 128 bytes");

EntryPtr CachedResponse::make(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                              const ocsp::ValidatedResponse& v) {
  Facts f;
  f.this_update = v.this_update;
  f.next_update = v.next_update;
  f.produced_at = v.produced_at;
  if (!v.singles.empty()) {
    f.status = v.singles.front().status;
    f.revoked_at = v.singles.front().revoked_at;
  }
  return make(key, der, f);
}

EntryPtr CachedResponse::make(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                              const Facts& facts) {
  // upstream.max_response bounds real answers far below this; callers
  // treat a null entry as "not cacheable".
  if (der.size() > std::numeric_limits<uint32_t>::max()) return nullptr;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  uint64_t etag;
  std::memcpy(&etag, digest, sizeof etag);
  // One block: the object, then the DER. Placement-new because the size is
  // only known at run time; destroy() is the matching end of life and
  // IntrusivePtr the only owner.
  void* block = ::operator new(sizeof(CachedResponse) + der.size());
  auto* e = new (block) CachedResponse(key, der.size(), facts, etag);
  if (!der.empty())
    std::memcpy(static_cast<uint8_t*>(block) + sizeof(CachedResponse), der.data(), der.size());
  return EntryPtr(e);
}

void CachedResponse::destroy(const CachedResponse* e) {
  e->~CachedResponse();
  ::operator delete(const_cast<CachedResponse*>(e));
}

}  // namespace ocspcache
