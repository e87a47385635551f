// RAII owners for OpenSSL objects: every handle lives in one of these.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <memory>

namespace ocspcache {

template <auto Fn>
struct FnDeleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};

using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FnDeleter<EVP_PKEY_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, FnDeleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free_all>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, FnDeleter<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, FnDeleter<OCSP_RESPONSE_free>>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, FnDeleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, FnDeleter<OCSP_CERTID_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FnDeleter<X509_STORE_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

}  // namespace ocspcache
