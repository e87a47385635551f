// SHA-256 for the hot path (the cache key), without allocation.
//
// OpenSSL 3.0's EVP interface frees and re-creates the provider's digest
// state on every EVP_DigestInit_ex (measured: one malloc/free per key), and
// a cache hit must not allocate. The low-level SHA256_* functions do not
// allocate; they are deprecated in 3.0 but present, so they are confined to
// sha256.cc and checked against EVP in tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ocspcache {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  std::array<uint8_t, 32> finish();

 private:
  // Opaque storage for SHA256_CTX (112 bytes in OpenSSL 3.0); checked by a
  // static_assert in sha256.cc.
  alignas(8) unsigned char state_[128];
};

}  // namespace ocspcache
