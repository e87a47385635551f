// An [[issuer]]: its certificate, and the CertID hashes (RFC 6960 §4.1.1)
// it answers to under every hash algorithm clients use, computed once at
// load so routing a request is a few memcmp()s.
#include "ocspcache/ocsp/issuer.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace ocspcache::ocsp {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;
using BioMemPtr = std::unique_ptr<BIO, FnDeleter<BIO_free>>;

bool equals(std::span<const uint8_t> a, const uint8_t* b, size_t len) {
  return a.size() == len && std::memcmp(a.data(), b, len) == 0;
}

}  // namespace

Issuer::Issuer(std::string name, X509Ptr cert, std::vector<HttpUrl> responders)
    : name_(std::move(name)), cert_(std::move(cert)), responders_(std::move(responders)) {
  if (!cert_) throw ConfigError("issuer '" + name_ + "': no certificate");
  const unsigned char* name_der = nullptr;
  size_t name_len = 0;
  if (X509_NAME_get0_der(X509_get_subject_name(cert_.get()), &name_der, &name_len) != 1)
    throw ConfigError("issuer '" + name_ + "': cannot encode the certificate's subject");
  // issuerKeyHash covers the subjectPublicKey BIT STRING's value only,
  // without tag, length or unused-bits octet (RFC 6960 §4.1.1).
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(cert_.get());
  for (int nid : {NID_sha1, NID_sha256, NID_sha384, NID_sha512}) {
    Hashes h;
    const ASN1_OBJECT* oid = OBJ_nid2obj(nid);
    h.oid_len = static_cast<size_t>(OBJ_length(oid));
    std::memcpy(h.oid.data(), OBJ_get0_data(oid), h.oid_len);
    const EVP_MD* md = EVP_get_digestbynid(nid);
    unsigned int name_hash_len = 0, key_hash_len = 0;
    if (md == nullptr ||
        EVP_Digest(name_der, name_len, h.name_hash.data(), &name_hash_len, md, nullptr) != 1 ||
        EVP_Digest(key->data, static_cast<size_t>(key->length), h.key_hash.data(), &key_hash_len,
                   md, nullptr) != 1)
      throw ConfigError("issuer '" + name_ + "': cannot hash the certificate");
    h.hash_len = name_hash_len;
    hashes_.push_back(h);
  }
}

Issuer Issuer::load(const IssuerConfig& cfg) {
  const std::string& path = cfg.cert_path;
  FilePtr f(std::fopen(path.c_str(), "rb"));
  auto cannot_read = [&](int err) {
    return ConfigError("cannot read issuer certificate '" + path +
                       "': " + std::generic_category().message(err));
  };
  if (!f) throw cannot_read(errno);
  std::string pem;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) pem.append(buf, n);
  if (std::ferror(f.get())) throw cannot_read(errno);  // e.g. EISDIR

  BioMemPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();  // leave no stale error for the next OpenSSL caller
  if (!cert) throw ConfigError("issuer certificate '" + path + "' is not a PEM certificate");
  return Issuer(cfg.name, std::move(cert), cfg.responders);
}

bool Issuer::matches(const CertIdView& id) const {
  for (const Hashes& h : hashes_) {
    if (equals(id.key_hash, h.key_hash.data(), h.hash_len) &&
        equals(id.hash_oid, h.oid.data(), h.oid_len) &&
        equals(id.name_hash, h.name_hash.data(), h.hash_len))
      return true;
  }
  return false;
}

}  // namespace ocspcache::ocsp
