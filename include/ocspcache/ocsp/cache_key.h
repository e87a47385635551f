// The cache key of a request: SHA-256 of its CertIDs in canonical DER.
//
// Canonical = what OpenSSL's OCSP_cert_id_new would encode: hashAlgorithm
// with NULL parameters, whatever the client sent, so clients that omit the
// NULL share entries with those that do not. For one CertID the key is
// sha256(canonical CertID DER), the Redis name `r:<hex>` of DESIGN.md; for
// a multi-CertID request it is sha256 of the canonical CertIDs concatenated
// in request order (an extension: such responses are cached whole).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "ocspcache/ocsp/request.h"

namespace ocspcache::ocsp {

struct CacheKey {
  std::array<uint8_t, 32> bytes{};
  bool operator==(const CacheKey&) const = default;
  std::string hex() const;
};

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    size_t h;
    std::memcpy(&h, k.bytes.data(), sizeof h);  // already a uniform digest
    return h;
  }
};

// Largest canonical CertID we build: a 32-byte OID, 64-byte hashes and a
// 64-byte serial make 236 content bytes plus a 3-byte header.
constexpr size_t kMaxCanonicalCertId = 240;

// Writes the canonical DER of `id` into `out`; returns its length, or 0 if
// a field is out of range (hash > 64 bytes, serial > 64 bytes, OID > 32).
size_t encode_canonical_cert_id(const CertIdView& id, std::span<uint8_t> out);

// No allocation: low-level SHA-256 on the stack (see sha256.h).
CacheKey make_cache_key(const DecodedRequest& req);

// The key of one CertID alone: sha256 of its canonical DER. Equal to
// make_cache_key of a request holding only `id`; what per-certificate
// records (the cache's revocation ledger) are keyed by, whichever
// multi-CertID request the answer came with.
CacheKey cert_id_key(const CertIdView& id);

// The request we send upstream: the same CertIDs (canonical), no nonce, no
// extensions, unsigned, so the answer is shareable between clients.
std::vector<uint8_t> build_upstream_request(const DecodedRequest& req);

// Upper-case hex of an INTEGER's content octets with leading zero octets
// dropped ("00" for zero): the `serial` metric label, spelled as
// `openssl x509 -noout -serial` prints it so operators can grep for it.
std::string serial_hex(std::span<const uint8_t> serial);

}  // namespace ocspcache::ocsp
