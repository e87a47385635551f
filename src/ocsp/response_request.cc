#include "ocspcache/ocsp/response_request.h"

#include <openssl/ocsp.h>

#include "basic_parts.h"
#include "ocspcache/util/ssl_handles.h"
#include "openssl_helpers.h"

namespace ocspcache::ocsp {
namespace {

// The BasicOCSPResponse, decoded without its certificates when the DER
// allows (the restore of a large snapshot pays for this per entry: with
// the certificates, OpenSSL 3's key decoders cost more than the signature
// check that follows), else by OpenSSL whole.
OcspBasicRespPtr basic_of(std::span<const uint8_t> der) {
  if (const auto parts = detail::locate_basic(der)) {
    if (OcspBasicRespPtr bs = detail::decode_without_certs(*parts)) return bs;
  }
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return nullptr;
  return OcspBasicRespPtr(OCSP_response_get1_basic(resp.get()));
}

}  // namespace

std::vector<uint8_t> request_for_response(std::span<const uint8_t> der) {
  detail::ErrorQueueGuard clear_errors;
  OcspBasicRespPtr bs = basic_of(der);
  if (!bs) return {};
  OcspRequestPtr req(OCSP_REQUEST_new());
  if (!req) return {};
  const int count = OCSP_resp_count(bs.get());
  if (count <= 0) return {};
  for (int i = 0; i < count; ++i) {
    const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs.get(), i));
    if (id == nullptr) return {};
    OcspCertIdPtr copy(OCSP_CERTID_dup(const_cast<OCSP_CERTID*>(id)));
    if (!copy || OCSP_request_add0_id(req.get(), copy.get()) == nullptr) return {};
    copy.release();  // the request owns it now
  }
  unsigned char* out = nullptr;
  const int len = i2d_OCSP_REQUEST(req.get(), &out);
  if (len <= 0) return {};
  std::vector<uint8_t> bytes(out, out + len);
  OPENSSL_free(out);
  return bytes;
}

}  // namespace ocspcache::ocsp
