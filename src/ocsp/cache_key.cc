// The cache key (DESIGN.md: "r:<hex sha256 of the CertID DER as OpenSSL
// re-encodes it>"). The canonical encoding is built by hand so the hot path
// never round-trips through d2i/i2d; tests pin it to i2d_OCSP_CERTID.
#include "ocspcache/ocsp/cache_key.h"

#include <cassert>

#include "ocspcache/util/sha256.h"

namespace ocspcache::ocsp {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

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
  Sha256 digest;
  uint8_t buf[kMaxCanonicalCertId];
  for (const CertIdView& id : req.cert_ids()) {
    // decode_request enforces the same bounds, so encoding cannot fail.
    const size_t n = encode_canonical_cert_id(id, buf);
    assert(n != 0);
    digest.update(std::span<const uint8_t>(buf, n));
  }
  CacheKey key;
  key.bytes = digest.finish();
  return key;
}

CacheKey cert_id_key(const CertIdView& id) {
  uint8_t buf[kMaxCanonicalCertId];
  const size_t n = encode_canonical_cert_id(id, buf);
  assert(n != 0);  // decode_request enforces the same bounds
  Sha256 digest;
  digest.update(std::span<const uint8_t>(buf, n));
  CacheKey key;
  key.bytes = digest.finish();
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
