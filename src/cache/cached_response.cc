#include "ocspcache/cached_response.h"

#include <openssl/sha.h>

#include <cstring>

namespace ocspcache {

std::shared_ptr<const CachedResponse> CachedResponse::make(
    std::vector<uint8_t> der, const ocsp::ValidatedResponse& v,
    std::vector<std::shared_ptr<const AskedMark>> asked) {
  auto e = std::make_shared<CachedResponse>();
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  std::memcpy(&e->etag, digest, sizeof e->etag);
  e->der = std::move(der);
  e->this_update = v.this_update;
  e->next_update = v.next_update;
  e->produced_at = v.produced_at;
  e->asked = std::move(asked);
  if (!v.singles.empty()) {
    e->status = v.singles.front().status;
    e->revoked_at = v.singles.front().revoked_at;
  }
  return e;
}

}  // namespace ocspcache
