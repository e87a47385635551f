#include "harness/pem.h"

#include <openssl/pem.h>

namespace ocspcache::it {

X509Ptr load_cert(const std::filesystem::path& pem) {
  BioPtr bio(BIO_new_file(pem.c_str(), "r"));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) throw std::runtime_error("cannot load certificate " + pem.string());
  return cert;
}

EvpPkeyPtr load_key(const std::filesystem::path& pem) {
  BioPtr bio(BIO_new_file(pem.c_str(), "r"));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) throw std::runtime_error("cannot load private key " + pem.string());
  return key;
}

}  // namespace ocspcache::it
