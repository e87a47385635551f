// A throw-away PKI built in-process with the OpenSSL API, for the OCSP
// codec tests: a CA, delegated responders with and without
// id-kp-OCSPSigning, an unrelated CA and leaves, plus builders for requests
// and signed responses. Header-only because tests/CMakeLists.txt compiles
// only *_test.cc files. EC P-256 keys: generating them takes microseconds.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::testpki {

using X509ExtPtr = std::unique_ptr<X509_EXTENSION, FnDeleter<X509_EXTENSION_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, FnDeleter<BN_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, FnDeleter<ASN1_TIME_free>>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

inline EvpPkeyPtr make_key() {
  EvpPkeyPtr k(EVP_EC_gen("P-256"));
  check(k != nullptr, "EC key generation");
  return k;
}

inline int64_t now() {
  return static_cast<int64_t>(::time(nullptr));
}

inline Asn1TimePtr asn1_time(int64_t t) {
  Asn1TimePtr a(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
  check(a != nullptr, "ASN1_TIME_set");
  return a;
}

struct CertOptions {
  std::string serial_hex = "01";
  bool ca = false;
  bool ocsp_signing = false;  // extendedKeyUsage = OCSPSigning
  int64_t not_before = now() - 86400;
  int64_t not_after = now() + 365 * 86400;
};

// Issues a certificate for `key` named CN=`cn`; self-signed when `issuer`
// is null (then `issuer_key` must be `key`).
inline X509Ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                         const CertOptions& o = {}) {
  X509Ptr x(X509_new());
  check(x && X509_set_version(x.get(), 2), "X509_new");
  BIGNUM* bn_raw = nullptr;
  check(BN_hex2bn(&bn_raw, o.serial_hex.c_str()) != 0, "serial");
  BignumPtr bn(bn_raw);
  check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) != nullptr, "serial");
  check(ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(o.not_before)) &&
            ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(o.not_after)),
        "validity");
  X509_NAME* name = X509_get_subject_name(x.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject");
  check(X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name), "issuer");
  check(X509_set_pubkey(x.get(), key), "pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(ext && X509_add_ext(x.get(), ext.get(), -1), value);
  };
  add(NID_basic_constraints, o.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add(NID_key_usage, o.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add(NID_subject_key_identifier, "hash");
  if (issuer) add(NID_authority_key_identifier, "keyid:always");
  if (o.ocsp_signing) add(NID_ext_key_usage, "OCSPSigning");
  check(X509_sign(x.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
  return x;
}

inline X509Ptr up_ref(X509* x) {
  X509_up_ref(x);
  return X509Ptr(x);
}

// The test world, built once per process.
struct Pki {
  EvpPkeyPtr ca_key = make_key(), other_ca_key = make_key(), signer_key = make_key(),
             noeku_key = make_key(), foreign_key = make_key(), expired_signer_key = make_key(),
             leaf_key = make_key();
  X509Ptr ca = make_cert("Test CA", ca_key.get(), nullptr, ca_key.get(), {.ca = true});
  X509Ptr other_ca =
      make_cert("Other CA", other_ca_key.get(), nullptr, other_ca_key.get(), {.ca = true});
  X509Ptr signer = make_cert("Test OCSP signer", signer_key.get(), ca.get(), ca_key.get(),
                             {.serial_hex = "5A", .ocsp_signing = true});
  X509Ptr noeku_signer = make_cert("Test signer without EKU", noeku_key.get(), ca.get(),
                                   ca_key.get(), {.serial_hex = "5B"});
  X509Ptr foreign_signer =
      make_cert("Other OCSP signer", foreign_key.get(), other_ca.get(), other_ca_key.get(),
                {.serial_hex = "5C", .ocsp_signing = true});
  X509Ptr expired_signer =
      make_cert("Expired OCSP signer", expired_signer_key.get(), ca.get(), ca_key.get(),
                {.serial_hex = "5D",
                 .ocsp_signing = true,
                 .not_before = now() - 10 * 86400,
                 .not_after = now() - 86400});
  // High bit set: its DER INTEGER carries a leading 00 octet.
  X509Ptr leaf = make_cert("leaf.example", leaf_key.get(), ca.get(), ca_key.get(),
                           {.serial_hex = "8F3A00112233445566778899AABBCCDDEEFF0011"});
  X509Ptr leaf2 =
      make_cert("leaf2.example", leaf_key.get(), ca.get(), ca_key.get(), {.serial_hex = "1002"});
  X509Ptr other_leaf = make_cert("other.example", leaf_key.get(), other_ca.get(),
                                 other_ca_key.get(), {.serial_hex = "1003"});
};

inline const Pki& pki() {
  static const Pki p;
  return p;
}

inline std::vector<uint8_t> to_der(const OCSP_REQUEST* req) {
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_REQUEST(req, &der);
  check(n > 0, "i2d_OCSP_REQUEST");
  std::vector<uint8_t> out(der, der + n);
  OPENSSL_free(der);
  return out;
}

inline std::vector<uint8_t> to_der(const OCSP_CERTID* id) {
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_CERTID(id, &der);
  check(n > 0, "i2d_OCSP_CERTID");
  std::vector<uint8_t> out(der, der + n);
  OPENSSL_free(der);
  return out;
}

struct ReqCert {
  X509* leaf;
  X509* issuer;
  const EVP_MD* md = EVP_sha1();
};

// DER OCSPRequest as `openssl ocsp` would send it.
inline std::vector<uint8_t> make_request(const std::vector<ReqCert>& certs, bool nonce = false) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  check(req != nullptr, "OCSP_REQUEST_new");
  for (const ReqCert& c : certs) {
    OCSP_CERTID* id = OCSP_cert_to_id(c.md, c.leaf, c.issuer);
    check(id && OCSP_request_add0_id(req.get(), id), "OCSP_request_add0_id");
  }
  if (nonce) check(OCSP_request_add1_nonce(req.get(), nullptr, -1), "nonce");
  return to_der(req.get());
}

struct SingleSpec {
  X509* leaf;
  X509* issuer;
  const EVP_MD* md = EVP_sha1();
  int status = V_OCSP_CERTSTATUS_GOOD;
  int64_t revoked_at = 0;
  int reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;  // -1: no reason given
  int64_t this_update = now() - 60;
  std::optional<int64_t> next_update = now() + 3600;
  const OCSP_CERTID* id = nullptr;  // overrides leaf/issuer/md when set
};

struct SignSpec {
  X509* signer;
  EVP_PKEY* key;
  std::vector<X509*> extra_certs;
  unsigned long flags = 0;  // OCSP_NOCERTS, OCSP_RESPID_KEY
};

// DER OCSPResponse (successful, BasicOCSPResponse) signed per `sign`.
inline std::vector<uint8_t> make_response(const std::vector<SingleSpec>& singles,
                                          const SignSpec& sign) {
  OcspBasicRespPtr bs(OCSP_BASICRESP_new());
  check(bs != nullptr, "OCSP_BASICRESP_new");
  for (const SingleSpec& s : singles) {
    OcspCertIdPtr id(s.id ? OCSP_CERTID_dup(s.id) : OCSP_cert_to_id(s.md, s.leaf, s.issuer));
    check(id != nullptr, "cert id");
    Asn1TimePtr this_update = asn1_time(s.this_update);
    Asn1TimePtr next_update = s.next_update ? asn1_time(*s.next_update) : nullptr;
    Asn1TimePtr revoked = s.status == V_OCSP_CERTSTATUS_REVOKED ? asn1_time(s.revoked_at) : nullptr;
    check(OCSP_basic_add1_status(
              bs.get(), id.get(), s.status,
              s.status == V_OCSP_CERTSTATUS_REVOKED ? s.reason : -1,
              revoked.get(), this_update.get(), next_update.get()) != nullptr,
          "OCSP_basic_add1_status");
  }
  X509StackPtr extra(sk_X509_new_null());
  for (X509* x : sign.extra_certs) {
    X509_up_ref(x);
    sk_X509_push(extra.get(), x);
  }
  check(
      OCSP_basic_sign(bs.get(), sign.signer, sign.key, EVP_sha256(), extra.get(), sign.flags) == 1,
      "OCSP_basic_sign");
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs.get()));
  check(resp != nullptr, "OCSP_response_create");
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_RESPONSE(resp.get(), &der);
  check(n > 0, "i2d_OCSP_RESPONSE");
  std::vector<uint8_t> out(der, der + n);
  OPENSSL_free(der);
  return out;
}

}  // namespace ocspcache::testpki
