// A successful OCSPResponse's BasicOCSPResponse located by a strict DER
// walk, and decoded by OpenSSL without its certificates. OpenSSL 3 decodes
// every certificate's public key through its provider decoders, which costs
// more than the signature check itself; the readers that do not need the
// certificates (or decode the one they need once, DelegateCache) skip it.
// Anything the walk refuses (BER, an unsuccessful status, another response
// type) is for the caller's complete OpenSSL path. Internal to src/ocsp:
// response_validate.cc on the upstream path, response_request.cc for the
// snapshot's restore.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "der_reader.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::ocsp::detail {

struct BasicParts {
  std::span<const uint8_t> tbs;        // tbsResponseData, whole TLV: what was signed
  std::span<const uint8_t> alg;        // signatureAlgorithm, whole TLV
  std::span<const uint8_t> sig_tlv;    // signature BIT STRING, whole TLV
  std::span<const uint8_t> signature;  // its bits (no unused-bits octet)
  std::span<const uint8_t> certs;      // contents of [0] SEQUENCE OF Certificate; may be empty
};

// The whole TLV (header and contents) `t` was parsed from.
std::span<const uint8_t> whole(const der::Tlv& t);

std::optional<BasicParts> locate_basic(std::span<const uint8_t> der);

// The BasicOCSPResponse without its certificates, decoded by OpenSSL.
OcspBasicRespPtr decode_without_certs(const BasicParts& p);

}  // namespace ocspcache::ocsp::detail
