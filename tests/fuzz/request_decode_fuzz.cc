// Fuzzes the hand-written DER walker: any input must be rejected or yield
// CertIDs that stay inside the input and that the key and upstream
// encoders accept (decode_request and the encoders share their bounds).
#include <cstdlib>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"

namespace {
bool inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ocspcache::ocsp;
  const std::span<const uint8_t> in(data, size);
  auto r = decode_request(in);
  if (!r.ok()) return 0;
  if (r->count == 0 || r->count > kMaxCertIdsPerRequest) std::abort();
  uint8_t buf[kMaxCanonicalCertId];
  for (const CertIdView& id : r->cert_ids()) {
    if (!inside(id.hash_oid, in) || !inside(id.name_hash, in) || !inside(id.key_hash, in) ||
        !inside(id.serial, in))
      std::abort();
    if (encode_canonical_cert_id(id, buf) == 0) std::abort();
    (void)serial_hex(id.serial);
  }
  (void)make_cache_key(*r);
  // What we send upstream must decode again to the same key.
  const auto upstream = build_upstream_request(*r);
  auto again = decode_request(upstream);
  if (!again.ok() || !(make_cache_key(*again) == make_cache_key(*r))) std::abort();
  return 0;
}
