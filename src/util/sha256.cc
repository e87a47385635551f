// The only translation unit that uses OpenSSL's deprecated low-level
// digest API; see sha256.h for why.
#undef OPENSSL_NO_DEPRECATED
#include <openssl/sha.h>

#include "ocspcache/util/sha256.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace ocspcache {

static_assert(sizeof(SHA256_CTX) <= 128, "Sha256::state_ too small for SHA256_CTX");

Sha256::Sha256() { SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_)); }

void Sha256::update(std::span<const uint8_t> data) {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data.data(), data.size());
}

std::array<uint8_t, 32> Sha256::finish() {
  std::array<uint8_t, 32> out{};
  SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(state_));
  return out;
}

}  // namespace ocspcache
