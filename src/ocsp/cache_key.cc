// The cache key (DESIGN.md: "r:<hex sha256 of the CertID DER as OpenSSL
// re-encodes it>"). The canonical encoding is built by hand so the hot path
// never round-trips through d2i/i2d; tests pin it to i2d_OCSP_CERTID.
#include "ocspcache/cache_key.h"

#include <openssl/evp.h>

#include <cassert>

#include "ocspcache/ssl_handles.h"

namespace ocspcache::ocsp {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

// Fetched once: handing EVP_DigestInit_ex a fetched method (not EVP_sha256())
// lets OpenSSL 3 reuse the context's provider state instead of looking the
// algorithm up, and allocating, on every key. Never freed: it lives as
// long as the process.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MD_CTX* thread_digest_ctx() {
  thread_local EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx.get();
}

uint8_t* put_tlv_header(uint8_t* p, uint8_t tag, size_t len) {
  *p++ = tag;
  if (len >= 0x80) *p++ = 0x81;  // contents never exceed 255 bytes here
  *p++ = static_cast<uint8_t>(len);
  return p;
}

uint8_t* put_tlv(uint8_t* p, uint8_t tag, std::span<const uint8_t> content) {
  p = put_tlv_header(p, tag, content.size());
  for (uint8_t b : content) *p++ = b;
  return p;
}

}  // namespace

std::string CacheKey::hex() const {
  std::string s(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kHexLower[bytes[i] >> 4];
    s[2 * i + 1] = kHexLower[bytes[i] & 15];
  }
  return s;
}

size_t encode_canonical_cert_id(const CertIdView& id, std::span<uint8_t> out) {
  if (id.hash_oid.empty() || id.hash_oid.size() > 32) return 0;
  if (id.name_hash.size() > 64 || id.key_hash.size() > 64) return 0;
  if (id.serial.empty() || id.serial.size() > 64) return 0;
  // hashAlgorithm always carries NULL parameters, as OCSP_cert_id_new
  // writes them, so clients that omit them share the entry.
  const size_t alg_len = 2 + id.hash_oid.size() + 2;
  const size_t content =
      2 + alg_len + 2 + id.name_hash.size() + 2 + id.key_hash.size() + 2 + id.serial.size();
  const size_t total = (content < 0x80 ? 2 : 3) + content;
  if (out.size() < total) return 0;
  uint8_t* p = put_tlv_header(out.data(), 0x30, content);
  p = put_tlv_header(p, 0x30, alg_len);
  p = put_tlv(p, 0x06, id.hash_oid);
  *p++ = 0x05;
  *p++ = 0x00;
  p = put_tlv(p, 0x04, id.name_hash);
  p = put_tlv(p, 0x04, id.key_hash);
  p = put_tlv(p, 0x02, id.serial);
  assert(static_cast<size_t>(p - out.data()) == total);
  return total;
}

CacheKey make_cache_key(const DecodedRequest& req) {
  CacheKey key;
  EVP_MD_CTX* ctx = thread_digest_ctx();
  uint8_t buf[kMaxCanonicalCertId];
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, sha256_md(), nullptr) == 1;
  for (const CertIdView& id : req.cert_ids()) {
    // decode_request enforces the same bounds, so encoding cannot fail.
    const size_t n = encode_canonical_cert_id(id, buf);
    ok = ok && n != 0 && EVP_DigestUpdate(ctx, buf, n) == 1;
  }
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, key.bytes.data(), &len) == 1 && len == key.bytes.size();
  assert(ok);
  (void)ok;
  return key;
}

std::string serial_hex(std::span<const uint8_t> serial) {
  size_t i = 0;
  while (i < serial.size() && serial[i] == 0) ++i;
  if (i == serial.size()) return "00";
  std::string s;
  s.reserve(2 * (serial.size() - i));
  for (; i < serial.size(); ++i) {
    s.push_back(kHexUpper[serial[i] >> 4]);
    s.push_back(kHexUpper[serial[i] & 15]);
  }
  return s;
}

}  // namespace ocspcache::ocsp
