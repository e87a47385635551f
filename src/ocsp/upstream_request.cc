// The OCSPRequest we send to responders (RFC 6960 §4.1.1): the client's
// CertIDs in canonical form and nothing else. No nonce and no extensions,
// so the answer depends only on the CertIDs and is shareable between all
// clients (RFC 5019 §4: responders of the lightweight profile ignore
// nonces anyway). Cold path: allocation is fine here.
#include <cstdint>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"

namespace ocspcache::ocsp {
namespace {

void put_length(std::vector<uint8_t>& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
    return;
  }
  uint8_t bytes[sizeof(size_t)];
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) bytes[n++] = static_cast<uint8_t>(v);
  out.push_back(static_cast<uint8_t>(0x80 | n));
  while (n != 0) out.push_back(bytes[--n]);
}

std::vector<uint8_t> wrap_sequence(const std::vector<uint8_t>& content) {
  std::vector<uint8_t> out;
  out.reserve(content.size() + 6);
  out.push_back(0x30);
  put_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

}  // namespace

std::vector<uint8_t> build_upstream_request(const DecodedRequest& req) {
  std::vector<uint8_t> list;  // requestList contents: one Request per CertID
  uint8_t buf[kMaxCanonicalCertId];
  for (const CertIdView& id : req.cert_ids()) {
    const size_t n = encode_canonical_cert_id(id, buf);
    if (n == 0) return {};  // not from decode_request: bounds violated
    // Request ::= SEQUENCE { reqCert CertID } (no singleRequestExtensions)
    list.push_back(0x30);
    put_length(list, n);
    list.insert(list.end(), buf, buf + n);
  }
  // TBSRequest ::= SEQUENCE { requestList }, version v1 being the DEFAULT.
  return wrap_sequence(wrap_sequence(wrap_sequence(list)));
}

}  // namespace ocspcache::ocsp
