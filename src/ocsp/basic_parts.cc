#include "basic_parts.h"

#include <openssl/ocsp.h>

#include <algorithm>
#include <iterator>
#include <vector>

namespace ocspcache::ocsp::detail {
namespace {

// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
constexpr uint8_t kBasicOid[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};

void append_header(std::vector<uint8_t>& out, uint8_t tag, size_t len) {
  out.push_back(tag);
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
    return;
  }
  uint8_t octets[4];
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) octets[n++] = static_cast<uint8_t>(v & 0xFF);
  out.push_back(static_cast<uint8_t>(0x80 | n));
  while (n > 0) out.push_back(octets[--n]);
}

}  // namespace

std::span<const uint8_t> whole(const der::Tlv& t) {
  return {t.content.data() - t.header_len, t.header_len + t.content.size()};
}

std::optional<BasicParts> locate_basic(std::span<const uint8_t> der) {
  der::Tlv top, status, explicit0, bytes, type, octets, basic;
  if (der::parse_tlv(der, top) != der.size() || top.tag != der::kSequence) return std::nullopt;
  der::Reader r(top.content);
  if (!r.next_if(der::kEnumerated, status) || status.content.size() != 1 ||
      status.content[0] != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
      !r.next_if(der::kContext0, explicit0) || !r.empty())
    return std::nullopt;
  der::Reader e(explicit0.content);
  if (!e.next_if(der::kSequence, bytes) || !e.empty()) return std::nullopt;
  der::Reader b(bytes.content);
  if (!b.next_if(der::kOid, type) || !b.next_if(der::kOctetString, octets) || !b.empty() ||
      !std::equal(type.content.begin(), type.content.end(), std::begin(kBasicOid),
                  std::end(kBasicOid)))
    return std::nullopt;
  if (der::parse_tlv(octets.content, basic) != octets.content.size() || basic.tag != der::kSequence)
    return std::nullopt;
  der::Reader f(basic.content);
  der::Tlv tbs, alg, sig, certs0, certs;
  if (!f.next_if(der::kSequence, tbs) || !f.next_if(der::kSequence, alg) ||
      !f.next_if(der::kBitString, sig) || sig.content.empty() || sig.content[0] != 0)
    return std::nullopt;
  BasicParts p{whole(tbs), whole(alg), whole(sig), sig.content.subspan(1), {}};
  if (f.next_if(der::kContext0, certs0)) {
    der::Reader c(certs0.content);
    if (!c.next_if(der::kSequence, certs) || !c.empty()) return std::nullopt;
    p.certs = certs.content;
  }
  if (!f.empty()) return std::nullopt;
  return p;
}

OcspBasicRespPtr decode_without_certs(const BasicParts& p) {
  std::vector<uint8_t> buf;
  const size_t len = p.tbs.size() + p.alg.size() + p.sig_tlv.size();
  buf.reserve(len + 6);
  append_header(buf, der::kSequence, len);
  for (auto part : {p.tbs, p.alg, p.sig_tlv}) buf.insert(buf.end(), part.begin(), part.end());
  const unsigned char* q = buf.data();
  OcspBasicRespPtr bs(d2i_OCSP_BASICRESP(nullptr, &q, static_cast<long>(buf.size())));
  if (bs && q != buf.data() + buf.size()) bs.reset();
  return bs;
}

}  // namespace ocspcache::ocsp::detail
