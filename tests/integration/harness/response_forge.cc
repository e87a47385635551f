#include "harness/response_forge.h"

#include <openssl/ocsp.h>

#include <ctime>
#include <stdexcept>

#include "harness/pem.h"
#include "harness/pki.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::it {

namespace {

using Asn1TimePtr = std::unique_ptr<ASN1_GENERALIZEDTIME, FnDeleter<ASN1_GENERALIZEDTIME_free>>;

Asn1TimePtr at_offset(std::chrono::seconds offset) {
  Asn1TimePtr t(ASN1_GENERALIZEDTIME_adj(nullptr, std::time(nullptr), 0, offset.count()));
  if (!t) throw std::runtime_error("ASN1_GENERALIZEDTIME_adj failed");
  return t;
}

}  // namespace

ForgeSpec& ForgeSpec::wrong_signer() {
  signer = Pki::get().other_signer();
  signer_key = Pki::get().other_signer_key();
  return *this;
}

std::string forge_response(ForgeSpec spec) {
  const Pki& pki = Pki::get();
  if (spec.leaf.empty()) spec.leaf = pki.good();
  if (spec.issuer.empty()) spec.issuer = pki.intermediate();
  if (spec.signer.empty()) spec.signer = pki.signer();
  if (spec.signer_key.empty()) spec.signer_key = pki.signer_key();

  X509Ptr leaf = load_cert(spec.leaf);
  X509Ptr issuer = load_cert(spec.issuer);
  X509Ptr signer = load_cert(spec.signer);
  EvpPkeyPtr key = load_key(spec.signer_key);

  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  // add1_status keeps its own copy of the CertID; ours is freed here.
  OcspCertIdPtr id(
      OCSP_cert_to_id(spec.sha256_cert_id ? EVP_sha256() : EVP_sha1(), leaf.get(), issuer.get()));
  Asn1TimePtr this_update = at_offset(spec.this_update);
  Asn1TimePtr next_update = spec.omit_next_update ? nullptr : at_offset(spec.next_update);
  Asn1TimePtr revoked_at = at_offset(-std::chrono::hours(24 * 30));
  bool revoked = spec.status == kRevoked;
  if (!id || OCSP_basic_add1_status(basic.get(), id.get(), spec.status,
                                    revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1,
                                    revoked ? revoked_at.get() : nullptr, this_update.get(),
                                    next_update.get()) == nullptr) {
    throw std::runtime_error("OCSP_basic_add1_status failed");
  }
  unsigned long flags = spec.include_signer_cert ? 0 : OCSP_NOCERTS;
  if (OCSP_basic_sign(basic.get(), signer.get(), key.get(), EVP_sha256(), nullptr, flags) != 1) {
    throw std::runtime_error("OCSP_basic_sign failed");
  }
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) throw std::runtime_error("OCSP_response_create failed");
  return to_der(resp.get(), i2d_OCSP_RESPONSE);
}

std::string error_response(ResponseStatus status) {
  OcspResponsePtr resp(OCSP_response_create(status, nullptr));
  if (!resp) throw std::runtime_error("OCSP_response_create failed");
  return to_der(resp.get(), i2d_OCSP_RESPONSE);
}

}  // namespace ocspcache::it
