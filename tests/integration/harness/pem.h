// PEM loading and DER encoding for the harness's OpenSSL code, throwing on
// failure: a test fixture that cannot load its PKI has nothing to test.
#pragma once

#include <openssl/x509.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::it {

X509Ptr load_cert(const std::filesystem::path& pem);
EvpPkeyPtr load_key(const std::filesystem::path& pem);

template <typename T>
std::string to_der(T* object, int (*i2d)(const T*, unsigned char**)) {
  unsigned char* der = nullptr;
  int len = i2d(object, &der);
  if (len <= 0) throw std::runtime_error("DER encoding failed");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace ocspcache::it
