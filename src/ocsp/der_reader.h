// A strict, allocation-free DER reader for the few structures the hot path
// walks by hand (OCSPRequest, CertID). Strict means what X.690 §10 demands
// of DER: definite lengths in their shortest form and low tag numbers only;
// anything else is malformed, so two encodings of one request cannot differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ocspcache::ocsp::der {

// Universal and context tags as they appear on the wire (class and
// constructed bits included), so a comparison is a single byte test.
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kEnumerated = 0x0A;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kContext0 = 0xA0;  // [n] EXPLICIT, constructed
inline constexpr uint8_t kContext1 = 0xA1;
inline constexpr uint8_t kContext2 = 0xA2;

struct Tlv {
  uint8_t tag = 0;
  std::span<const uint8_t> content;
  size_t header_len = 0;  // tag + length octets
};

// Parses one TLV at the front of `in`: fills `out`, returns the bytes it
// spans, or 0 when the bytes are not a strict-DER TLV that fits in `in`.
inline size_t parse_tlv(std::span<const uint8_t> in, Tlv& out) {
  if (in.size() < 2) return 0;
  const uint8_t tag = in[0];
  if ((tag & 0x1F) == 0x1F) return 0;  // high tag numbers: nothing we read uses them
  size_t len = in[1];
  size_t pos = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7F;
    // 0x80 is BER's indefinite length; more than 3 octets exceeds any size
    // we accept (kMaxRequestDer, response limits) by orders of magnitude.
    if (n == 0 || n > 3 || in.size() < 2 + n) return 0;
    if (in[2] == 0) return 0;  // leading zero octet: not the shortest form
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    if (len < 0x80) return 0;  // would have fit the short form
    pos += n;
  }
  if (len > in.size() - pos) return 0;
  out.tag = tag;
  out.content = in.subspan(pos, len);
  out.header_len = pos;
  return pos + len;
}

// Walks the elements of a constructed value in order.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  bool empty() const { return in_.empty(); }

  // Next element, whatever its tag. False on malformed DER (and sets bad()).
  bool next(Tlv& out) {
    const size_t n = parse_tlv(in_, out);
    if (n == 0) {
      bad_ = true;
      return false;
    }
    in_ = in_.subspan(n);
    return true;
  }

  // Next element if it carries `tag`; false (consuming nothing) otherwise.
  bool next_if(uint8_t tag, Tlv& out) {
    if (in_.empty() || in_[0] != tag) return false;
    return next(out);
  }

  // True once a malformed TLV was met: the caller reports kBadDer rather
  // than a structural error.
  bool bad() const { return bad_; }

 private:
  std::span<const uint8_t> in_;
  bool bad_ = false;
};

}  // namespace ocspcache::ocsp::der
