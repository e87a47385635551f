// OCSPRequest decoding for the hot path (RFC 6960 §4.1.1). A hand walk over
// the DER instead of d2i_OCSP_REQUEST: a cache hit must not allocate, and we
// only need the CertIDs and whether a nonce was asked for. Every field the
// walk skips is still checked to be one well-formed element of the right
// tag, so what we accept is what OpenSSL would parse.
#include <algorithm>
#include <cstring>

#include "der_reader.h"
#include "ocspcache/ocsp/request.h"

namespace ocspcache::ocsp {
namespace {

using der::Reader;
using der::Tlv;

// id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2 (RFC 8954).
constexpr uint8_t kNonceOid[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};
// The bounds encode_canonical_cert_id can encode: SHA-512 is the longest
// hash in use, and RFC 5280 §4.1.2.2 caps serials at 20 octets (64 leaves
// room for non-conforming CAs without letting a client grow our keys).
constexpr size_t kMaxHashLen = 64;
constexpr size_t kMaxSerialLen = 64;
constexpr size_t kMaxOidLen = 32;

bool equals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// X.690 §8.19: subidentifiers in base 128, shortest form, last octet of
// each with the high bit clear.
bool valid_oid(std::span<const uint8_t> oid) {
  if (oid.empty() || oid.size() > kMaxOidLen || (oid.back() & 0x80)) return false;
  bool at_start = true;
  for (uint8_t b : oid) {
    if (at_start && b == 0x80) return false;
    at_start = (b & 0x80) == 0;
  }
  return true;
}

// X.690 §8.3.2: no redundant leading 0x00/0xFF octet. OpenSSL rejects
// such padding too, so accepting it would key requests OpenSSL cannot read.
bool minimal_integer(std::span<const uint8_t> v) {
  if (v.empty()) return false;
  if (v.size() == 1) return true;
  if (v[0] == 0x00 && (v[1] & 0x80) == 0) return false;
  if (v[0] == 0xFF && (v[1] & 0x80) != 0) return false;
  return true;
}

class Parser {
 public:
  RequestError error() const { return err_; }

  bool parse(std::span<const uint8_t> der, DecodedRequest& out) {
    Tlv top;
    const size_t n = der::parse_tlv(der, top);
    if (n == 0 || n != der.size()) return fail(RequestError::kBadDer);
    if (top.tag != der::kSequence) return fail(RequestError::kNotOcspRequest);

    Reader r(top.content);
    Tlv tbs;
    if (!expect(r, der::kSequence, tbs, RequestError::kNotOcspRequest)) return false;
    Tlv sig;
    if (r.next_if(der::kContext0, sig)) {
      // Signature ::= SEQUENCE {...}: accepted, never checked (RFC 6960
      // §4.1.2 leaves signed requests to the responder's policy; we share
      // answers, so a signature buys the client nothing here).
      Tlv inner;
      if (!single(sig.content, der::kSequence, inner)) return false;
      out.is_signed = true;
    }
    if (!finish(r)) return false;
    return parse_tbs(tbs.content, out);
  }

 private:
  bool fail(RequestError e) {
    err_ = e;
    return false;
  }

  // Next element must exist, be well-formed and carry `tag`.
  bool expect(Reader& r, uint8_t tag, Tlv& out, RequestError wrong) {
    if (r.empty()) return fail(wrong);
    if (!r.next(out)) return fail(RequestError::kBadDer);
    if (out.tag != tag) return fail(wrong);
    return true;
  }

  // Nothing may follow the last field; leftovers that are not even DER are
  // reported as such.
  bool finish(Reader& r, RequestError wrong = RequestError::kNotOcspRequest) {
    if (r.empty()) return true;
    Tlv extra;
    if (!r.next(extra)) return fail(RequestError::kBadDer);
    return fail(wrong);
  }

  // An EXPLICIT wrapper: exactly one element of `tag` inside.
  bool single(std::span<const uint8_t> in, uint8_t tag, Tlv& out,
              RequestError wrong = RequestError::kNotOcspRequest) {
    Reader r(in);
    return expect(r, tag, out, wrong) && finish(r, wrong);
  }

  bool parse_tbs(std::span<const uint8_t> in, DecodedRequest& out) {
    Reader r(in);
    Tlv t;
    if (r.next_if(der::kContext0, t)) {  // version [0] EXPLICIT INTEGER
      Tlv v;
      if (!single(t.content, der::kInteger, v)) return false;
      if (!minimal_integer(v.content)) return fail(RequestError::kNotOcspRequest);
    }
    if (r.next_if(der::kContext1, t)) {  // requestorName [1] EXPLICIT GeneralName
      Reader g(t.content);
      Tlv name;
      if (!expect(g, g.empty() ? 0 : t.content[0], name, RequestError::kNotOcspRequest) ||
          !finish(g))
        return false;
    }
    Tlv list;
    if (!expect(r, der::kSequence, list, RequestError::kNotOcspRequest)) return false;
    if (r.next_if(der::kContext2, t)) {  // requestExtensions [2] EXPLICIT Extensions
      Tlv exts;
      if (!single(t.content, der::kSequence, exts)) return false;
      if (!parse_extensions(exts.content, out.has_nonce)) return false;
    }
    if (!finish(r)) return false;
    return parse_request_list(list.content, out);
  }

  bool parse_extensions(std::span<const uint8_t> in, bool& has_nonce) {
    Reader r(in);
    while (!r.empty()) {
      Tlv ext;
      if (!expect(r, der::kSequence, ext, RequestError::kNotOcspRequest)) return false;
      Reader e(ext.content);
      Tlv oid, crit, value;
      if (!expect(e, der::kOid, oid, RequestError::kNotOcspRequest)) return false;
      if (e.next_if(der::kBoolean, crit) && crit.content.size() != 1)
        return fail(RequestError::kNotOcspRequest);
      if (!expect(e, der::kOctetString, value, RequestError::kNotOcspRequest)) return false;
      if (!finish(e)) return false;
      if (equals(oid.content, kNonceOid)) has_nonce = true;
    }
    return true;
  }

  bool parse_request_list(std::span<const uint8_t> in, DecodedRequest& out) {
    Reader r(in);
    while (!r.empty()) {
      Tlv req;
      if (!expect(r, der::kSequence, req, RequestError::kNotOcspRequest)) return false;
      if (out.count == kMaxCertIdsPerRequest) return fail(RequestError::kTooManyCertIds);
      Reader q(req.content);
      Tlv cert_id;
      if (!expect(q, der::kSequence, cert_id, RequestError::kBadCertId)) return false;
      Tlv t;
      if (q.next_if(der::kContext0, t)) {  // singleRequestExtensions: not used
        Tlv exts;
        if (!single(t.content, der::kSequence, exts)) return false;
      }
      if (!finish(q)) return false;
      if (!parse_cert_id(cert_id.content, out.ids[out.count])) return false;
      ++out.count;
    }
    if (out.count == 0) return fail(RequestError::kNoCertIds);
    return true;
  }

  bool parse_cert_id(std::span<const uint8_t> in, CertIdView& id) {
    constexpr RequestError kBad = RequestError::kBadCertId;
    Reader r(in);
    Tlv alg, oid, name, key, serial;
    if (!expect(r, der::kSequence, alg, kBad)) return false;
    Reader a(alg.content);
    if (!expect(a, der::kOid, oid, kBad)) return false;
    if (!valid_oid(oid.content)) return fail(kBad);
    if (!a.empty()) {
      // Parameters: NULL, or absent as many clients send them (RFC 5754
      // §2 allows both for SHA-2); anything else is no hash we know.
      Tlv params;
      if (!expect(a, der::kNull, params, kBad)) return false;
      if (!params.content.empty()) return fail(kBad);
      if (!finish(a, kBad)) return false;
    }
    if (!expect(r, der::kOctetString, name, kBad) || !expect(r, der::kOctetString, key, kBad) ||
        !expect(r, der::kInteger, serial, kBad) || !finish(r, kBad))
      return false;
    if (name.content.empty() || name.content.size() > kMaxHashLen) return fail(kBad);
    if (key.content.empty() || key.content.size() > kMaxHashLen) return fail(kBad);
    if (serial.content.size() > kMaxSerialLen || !minimal_integer(serial.content))
      return fail(kBad);
    id.hash_oid = oid.content;
    id.name_hash = name.content;
    id.key_hash = key.content;
    id.serial = serial.content;
    return true;
  }

  RequestError err_ = RequestError::kNotOcspRequest;
};

}  // namespace

std::string_view to_string(RequestError e) {
  switch (e) {
    case RequestError::kEmpty:
      return "empty";
    case RequestError::kTooLarge:
      return "too_large";
    case RequestError::kBadDer:
      return "bad_der";
    case RequestError::kNotOcspRequest:
      return "not_ocsp_request";
    case RequestError::kNoCertIds:
      return "no_cert_ids";
    case RequestError::kTooManyCertIds:
      return "too_many_cert_ids";
    case RequestError::kBadCertId:
      return "bad_cert_id";
    case RequestError::kBadGetPath:
      return "bad_get_path";
  }
  return "unknown";
}

Result<DecodedRequest, RequestError> decode_request(std::span<const uint8_t> der) {
  if (der.empty()) return Err{RequestError::kEmpty};
  if (der.size() > kMaxRequestDer) return Err{RequestError::kTooLarge};
  DecodedRequest out;
  Parser p;
  if (!p.parse(der, out)) return Err{p.error()};
  return out;
}

}  // namespace ocspcache::ocsp
