// OCSP request decoding for the hot path (RFC 6960 §4.1.1, RFC 5019 §5).
//
// decode_request walks the DER by hand instead of calling d2i_OCSP_REQUEST:
// a cache hit must cost no allocation (issue 5), and the hand walk only
// needs the CertIDs and whether a nonce is present. It is strict DER
// (definite lengths, bounds-checked) and fuzzed (tests/fuzz).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ocspcache/util/result.h"

namespace ocspcache::ocsp {

// RFC 6960 allows a list; real clients send 1 (OpenSSL's CLI sends one per -cert).
constexpr size_t kMaxCertIdsPerRequest = 16;
// Largest OCSPRequest we accept in any form (POST body limits are separate).
constexpr size_t kMaxRequestDer = 16 * 1024;

enum class RequestError {
  kEmpty,            // no bytes
  kTooLarge,         // over kMaxRequestDer
  kBadDer,           // not well-formed DER (lengths, tags, trailing bytes)
  kNotOcspRequest,   // DER, but not the OCSPRequest structure
  kNoCertIds,        // requestList empty
  kTooManyCertIds,   // over kMaxCertIdsPerRequest
  kBadCertId,        // CertID fields of the wrong type/size
  kBadGetPath,       // GET target that is not (prefix/)base64(OCSPRequest)
};
std::string_view to_string(RequestError e);

// Views into the request bytes; valid as long as those bytes are.
struct CertIdView {
  std::span<const uint8_t> hash_oid;   // OBJECT IDENTIFIER contents (no tag/length)
  std::span<const uint8_t> name_hash;  // issuerNameHash OCTET STRING contents
  std::span<const uint8_t> key_hash;   // issuerKeyHash OCTET STRING contents
  std::span<const uint8_t> serial;     // serialNumber INTEGER contents, as sent
};

struct DecodedRequest {
  std::array<CertIdView, kMaxCertIdsPerRequest> ids{};
  size_t count = 0;
  bool has_nonce = false;       // id-pkix-ocsp-nonce in requestExtensions
  bool is_signed = false;       // optionalSignature present (accepted, not checked)
  std::span<const CertIdView> cert_ids() const { return {ids.data(), count}; }
};

// Parses an OCSPRequest in DER. No allocation; views point into `der`.
Result<DecodedRequest, RequestError> decode_request(std::span<const uint8_t> der);

// Decodes an RFC 5019 GET target: "/<any prefix>/<url-encoded base64 DER>".
// Accepts %2B %2F %3D (any case) and raw '+' '/' '=', missing padding,
// base64url ('-' '_'), a query string (ignored). Since base64 may contain
// '/', the longest suffix after a '/' that decodes to an OCSPRequest wins.
// Writes the DER into `out` and returns its length. No allocation.
// `b64_offset`, when given, receives where in `target` the base64 starts
// (what precedes it is the responder's path: forward-proxy mode).
Result<size_t, RequestError> decode_get_target(std::string_view target, std::span<uint8_t> out,
                                               size_t* b64_offset = nullptr);

}  // namespace ocspcache::ocsp
