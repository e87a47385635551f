// Delegated responder certificates already authorised (RFC 6960 §4.2.2.2:
// issued by the CA, id-kp-OCSPSigning, valid now), remembered by the
// SHA-256 of their DER with the certificate parsed, until their notAfter.
// A CA's delegate signs every answer for days; without this each miss
// would decode its certificate (OpenSSL 3's key decoders are slow) and
// verify the CA's signature on it again. A certificate that failed is never
// remembered. Bounded; thread-safe (misses only, a plain mutex). Internal
// to src/ocsp.
#pragma once

#include <openssl/x509.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <absl/container/flat_hash_map.h>

#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::ocsp::detail {

using CertDigest = std::array<uint8_t, 32>;

class DelegateCache {
 public:
  static constexpr size_t kMaxEntries = 1024;

  // The authorised delegate with this DER digest for `issuer`, valid at
  // `now`, up-referenced; null otherwise.
  X509Ptr find(const CertDigest& digest, X509* issuer, int64_t now);
  // Remembers `signer` as authorised for `issuer` within [not_before, not_after].
  void remember(const CertDigest& digest, X509* signer, X509* issuer, int64_t not_before,
                int64_t not_after);

  // Certificates decoded and authorised since start: a test sees the second
  // answer from one delegate cost none.
  uint64_t authorisations() const;
  size_t size() const;

  static DelegateCache& instance();

 private:
  struct Entry {
    X509Ptr signer;
    X509Ptr issuer;
    int64_t not_before = 0;
    int64_t not_after = 0;
  };
  struct DigestHash {
    size_t operator()(const CertDigest& d) const {
      size_t h = 0;
      for (size_t i = 0; i < sizeof h; ++i) h = (h << 8) | d[i];
      return h;
    }
  };
  mutable std::mutex mu_;
  absl::flat_hash_map<CertDigest, Entry, DigestHash> entries_;
  uint64_t authorisations_ = 0;
};

}  // namespace ocspcache::ocsp::detail
