#include "bench_fixture.h"

#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>

#include "ocspcache/ocsp/request.h"
#include "ocspcache/util/ssl_handles.h"

namespace bench {
namespace {

using X509NamePtr = std::unique_ptr<X509_NAME, ocspcache::FnDeleter<X509_NAME_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, ocspcache::FnDeleter<ASN1_BIT_STRING_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, ocspcache::FnDeleter<ASN1_INTEGER_free>>;

}  // namespace

std::vector<uint8_t> make_request_der(uint64_t serial, bool nonce) {
  X509NamePtr name(X509_NAME_new());
  BitStringPtr key(ASN1_BIT_STRING_new());
  IntegerPtr sn(ASN1_INTEGER_new());
  // An EC P-256 public key is 65 bytes; the bytes themselves do not matter.
  unsigned char key_bytes[65] = {0x04};
  for (size_t i = 1; i < sizeof key_bytes; ++i) key_bytes[i] = static_cast<unsigned char>(i * 7);
  if (!name || !key || !sn ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("ocspcache bench CA"), -1,
                                 -1, 0) != 1 ||
      ASN1_BIT_STRING_set(key.get(), key_bytes, sizeof key_bytes) != 1 ||
      ASN1_INTEGER_set_uint64(sn.get(), serial) != 1) {
    throw std::runtime_error("bench: building CertID inputs failed");
  }
  ocspcache::OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_id_new(EVP_sha1(), name.get(), key.get(), sn.get());
  if (!req || id == nullptr || OCSP_request_add0_id(req.get(), id) == nullptr) {
    throw std::runtime_error("bench: building OCSPRequest failed");
  }
  if (nonce && OCSP_request_add1_nonce(req.get(), nullptr, 16) != 1) {
    throw std::runtime_error("bench: adding nonce failed");
  }
  unsigned char* out = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &out);
  if (len <= 0) throw std::runtime_error("bench: i2d_OCSP_REQUEST failed");
  std::vector<uint8_t> der(out, out + len);
  OPENSSL_free(out);
  return der;
}

std::string make_get_target(const std::vector<uint8_t>& der) {
  std::string b64(static_cast<size_t>(4 * ((der.size() + 2) / 3)), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(),
                  static_cast<int>(der.size()));
  std::string target = "/";
  for (char c : b64) {
    if (c == '+') target += "%2B";
    else if (c == '/') target += "%2F";
    else if (c == '=') target += "%3D";
    else target += c;
  }
  return target;
}

ocspcache::EntryPtr make_entry(const ocspcache::ocsp::CacheKey& key, size_t der_size) {
  std::vector<uint8_t> der(der_size);
  RAND_bytes(der.data(), static_cast<int>(der.size()));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  ocspcache::CachedResponse::Facts f;
  f.this_update = now - 60;
  f.produced_at = now - 60;
  f.next_update = now + 86400;
  f.status = ocspcache::ocsp::CertStatus::kGood;
  return ocspcache::CachedResponse::make(key, der, f);
}

ocspcache::ocsp::CacheKey key_for(uint64_t serial) {
  const auto der = make_request_der(serial);
  auto decoded = ocspcache::ocsp::decode_request(der);
  if (!decoded.ok()) throw std::runtime_error("bench: request does not decode");
  return ocspcache::ocsp::make_cache_key(*decoded);
}

}  // namespace bench
