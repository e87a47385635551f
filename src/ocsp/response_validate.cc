// Validation of responder answers before they are cached (DESIGN.md request
// path step 6, RFC 6960 §3.2 and §4.2.2.2). A response that fails here is
// never cached and never replaces a good one, so every check that a client
// would make must be made here first: one bad answer would otherwise be
// served to every client until nextUpdate.
#include <openssl/err.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "basic_parts.h"
#include "der_reader.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/util/sha256.h"
#include "ocspcache/util/ssl_handles.h"
#include "openssl_helpers.h"

namespace ocspcache::ocsp {
namespace {

using detail::BasicParts;
using detail::cert_status;
using detail::decode_without_certs;
using detail::ErrorQueueGuard;
using detail::locate_basic;
using detail::to_unix;
using detail::whole;

using Failure = Err<ResponseFailure>;

Failure fail(ResponseError e, std::string detail) {
  return Failure{ResponseFailure{e, ResponseCode::kSuccessful, std::move(detail)}};
}

ResponseCode upstream_code(int status) {
  switch (status) {
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
      return ResponseCode::kMalformedRequest;
    case OCSP_RESPONSE_STATUS_TRYLATER:
      return ResponseCode::kTryLater;
    case OCSP_RESPONSE_STATUS_SIGREQUIRED:
      return ResponseCode::kSigRequired;
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
      return ResponseCode::kUnauthorized;
    default:
      return ResponseCode::kInternalError;  // internalError and undefined values
  }
}

X509StackPtr stack_of(X509* cert) {
  X509StackPtr s(sk_X509_new_null());
  if (s && X509_up_ref(cert) == 1 && sk_X509_push(s.get(), cert) == 0) X509_free(cert);
  return s;
}

// The ResponderID names the issuer itself (by key hash or by name). Checked
// before the response's own certificates so that an extra certificate with
// the issuer's name cannot shadow the real issuer.
bool responder_is(const OCSP_BASICRESP* bs, X509* cert) {
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* name = nullptr;
  if (OCSP_resp_get0_id(bs, &key_id, &name) != 1) return false;
  if (name != nullptr) return X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  return key_id != nullptr && X509_pubkey_digest(cert, EVP_sha1(), md, &len) == 1 &&
         static_cast<int>(len) == ASN1_STRING_length(key_id) &&
         std::memcmp(md, ASN1_STRING_get0_data(key_id), len) == 0;
}

// RFC 6960 §4.2.2.2: a delegated responder is issued directly by the CA,
// and carries id-kp-OCSPSigning. We also require it to be valid now: an
// expired delegate's key may no longer be protected. Empty when authorised.
std::optional<std::string> delegate_problem(X509* signer, X509* issuer, int64_t now) {
  if (X509_check_issued(issuer, signer) != X509_V_OK) return "signer not issued by the issuer";
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  if (issuer_key == nullptr || X509_verify(signer, issuer_key) != 1)
    return "signer certificate not signed by the issuer";
  if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0)
    return "signer lacks id-kp-OCSPSigning";
  const auto not_before = to_unix(X509_get0_notBefore(signer));
  const auto not_after = to_unix(X509_get0_notAfter(signer));
  if (!not_before || !not_after || now < *not_before || now > *not_after)
    return "signer certificate outside its validity period";
  return std::nullopt;
}

// delegate_problem, once per delegate certificate and issuer: a known
// delegate (delegate_cache.h) is authorised by the SHA-256 of its DER alone,
// within the validity it was checked with.
std::optional<std::string> delegate_problem_cached(X509* signer, const Issuer& issuer, int64_t now) {
  DelegateCache::CertHash hash{};
  unsigned int len = 0;
  const bool hashed = X509_digest(signer, EVP_sha256(), hash.data(), &len) == 1 && len == hash.size();
  if (hashed && issuer.delegates().known(hash, now)) return std::nullopt;
  issuer.delegates().count_full_check();
  auto problem = delegate_problem(signer, issuer.cert(), now);
  if (problem || !hashed) return problem;
  // delegate_problem read both bounds, so they parse.
  issuer.delegates().remember(hash, signer, to_unix(X509_get0_notBefore(signer)).value_or(INT64_MAX),
                              to_unix(X509_get0_notAfter(signer)).value_or(INT64_MIN));
  return std::nullopt;
}

std::optional<ResponseFailure> check_signature(OCSP_BASICRESP* bs, const Issuer& issuer_ref,
                                               int64_t now) {
  X509* const issuer = issuer_ref.cert();
  X509* signer = nullptr;
  if (responder_is(bs, issuer)) {
    signer = issuer;
  } else {
    X509StackPtr extra = stack_of(issuer);
    if (!extra || OCSP_resp_get0_signer(bs, &signer, extra.get()) != 1 || signer == nullptr)
      return ResponseFailure{ResponseError::kSignerNotFound, ResponseCode::kSuccessful,
                             "no certificate matches the ResponderID"};
  }
  if (X509_cmp(signer, issuer) != 0) {
    if (auto problem = delegate_problem_cached(signer, issuer_ref, now))
      return ResponseFailure{ResponseError::kUnauthorizedSigner, ResponseCode::kSuccessful,
                             std::move(*problem)};
  }
  // Authorisation is decided above, so OpenSSL only checks the signature:
  // with OCSP_NOVERIFY no chain is built and the store stays empty, and
  // with OCSP_NOINTERN the key checked is the signer we just authorised.
  X509StackPtr certs = stack_of(signer);
  X509StorePtr store(X509_STORE_new());
  if (!certs || !store ||
      OCSP_basic_verify(bs, certs.get(), store.get(), OCSP_NOVERIFY | OCSP_NOINTERN) != 1)
    return ResponseFailure{ResponseError::kBadSignature, ResponseCode::kSuccessful,
                           "signature does not verify"};
  return std::nullopt;
}

// The SingleResponse of each asked CertID, its times checked; the first
// failure otherwise.
std::optional<Failure> read_singles(OCSP_BASICRESP* bs, const DecodedRequest& req, int64_t now,
                                    int64_t skew_seconds, ValidatedResponse& out) {
  out.singles.reserve(req.count);
  for (size_t i = 0; i < req.count; ++i) {
    // OCSP_resp_find_status compares CertIDs by OID, hashes and serial, so
    // a responder that drops (or adds) the NULL parameters still matches.
    uint8_t buf[kMaxCanonicalCertId];
    const size_t n = encode_canonical_cert_id(req.ids[i], buf);
    const unsigned char* q = buf;
    OcspCertIdPtr id(n ? d2i_OCSP_CERTID(nullptr, &q, static_cast<long>(n)) : nullptr);
    const auto which = [&] {
      return "CertID " + std::to_string(i) + " (serial " + serial_hex(req.ids[i].serial) + ")";
    };
    int st = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked = nullptr, *this_upd = nullptr, *next_upd = nullptr;
    if (!id || OCSP_resp_find_status(bs, id.get(), &st, &reason, &revoked, &this_upd,
                                     &next_upd) != 1)
      return fail(ResponseError::kMissingCertId, "no SingleResponse for " + which());
    SingleStatus s;
    s.status = cert_status(st);
    const auto this_update = to_unix(this_upd);
    const auto next_update = to_unix(next_upd);
    if (!this_update) return fail(ResponseError::kNotDer, "bad thisUpdate for " + which());
    if (!next_update) return fail(ResponseError::kNoNextUpdate, "no nextUpdate for " + which());
    if (*this_update > now + skew_seconds)
      return fail(ResponseError::kNotYetValid,
                  "thisUpdate " + std::to_string(*this_update - now) + "s ahead for " + which());
    if (*next_update <= now)
      return fail(ResponseError::kExpired,
                  "nextUpdate " + std::to_string(now - *next_update) + "s ago for " + which());
    s.this_update = *this_update;
    s.next_update = *next_update;
    if (s.status == CertStatus::kRevoked) {
      const auto revoked_at = to_unix(revoked);
      s.revoked_at = revoked_at.value_or(0);
      s.non_issued = revoked_at == 0;
      // OpenSSL reports an absent reason as OCSP_REVOKED_STATUS_NOSTATUS (-1).
      s.revocation_reason = reason >= 0 ? reason : SingleStatus::kNoReason;
    }
    out.this_update = i == 0 ? s.this_update : std::max(out.this_update, s.this_update);
    out.next_update = i == 0 ? s.next_update : std::min(out.next_update, s.next_update);
    out.singles.push_back(s);
  }
  out.produced_at = to_unix(OCSP_resp_get0_produced_at(bs)).value_or(0);
  return std::nullopt;
}

// --- The fast path --------------------------------------------------------
//
// OpenSSL's own decoding of a BasicOCSPResponse decodes every certificate in
// it, and OpenSSL 3 decodes each public key through its provider decoders:
// with the signature checks, ~200 us of CPU per miss, most of what a miss
// costs beyond the network (bench: BM_ValidateResponse). Here the response
// is located by hand (strict DER), OpenSSL decodes it without its
// certificates, a delegate's certificate is decoded only the first time it
// is seen (DelegateCache), and the signature is checked over the exact
// bytes the responder signed. Anything unusual (BER, an algorithm without
// a plain digest such as RSA-PSS, an unsuccessful status) takes the
// complete OpenSSL path below instead, so nothing is accepted here that it
// would refuse. The locating and the certificate-less decode are in
// basic_parts.h (the snapshot's restore uses them too).

// The signature over the signed bytes with `key`; nullopt when the
// algorithm is not a plain digest-and-sign one (the caller then asks OpenSSL).
std::optional<bool> verify_exact(const BasicParts& p, OCSP_BASICRESP* bs, EVP_PKEY* key) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, OCSP_resp_get0_tbs_sigalg(bs));
  int md_nid = NID_undef, pkey_nid = NID_undef;
  if (oid == nullptr || OBJ_find_sigid_algs(OBJ_obj2nid(oid), &md_nid, &pkey_nid) != 1)
    return std::nullopt;
  const EVP_MD* md = nullptr;
  if (md_nid != NID_undef) {
    md = EVP_get_digestbynid(md_nid);
    if (md == nullptr) return std::nullopt;
  } else if (pkey_nid != NID_ED25519 && pkey_nid != NID_ED448) {
    return std::nullopt;  // RSA-PSS and the like: parameters decide the digest
  }
  if (EVP_PKEY_get_base_id(key) != pkey_nid &&
      !(pkey_nid == NID_rsaEncryption && EVP_PKEY_get_base_id(key) == NID_rsa))
    return false;  // an ECDSA signature cannot be checked with an RSA key, and so on
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), p.signature.data(), p.signature.size(), p.tbs.data(),
                          p.tbs.size()) == 1;
}

std::optional<ResponseFailure> fast_check_signature(const BasicParts& p, OCSP_BASICRESP* bs,
                                                    const Issuer& issuer_ref, int64_t now) {
  X509* const issuer = issuer_ref.cert();
  X509Ptr held;
  X509* signer = nullptr;
  if (responder_is(bs, issuer)) {
    signer = issuer;
  } else {
    DelegateCache& cache = issuer_ref.delegates();
    der::Reader certs(p.certs);
    der::Tlv c;
    while (signer == nullptr && certs.next(c)) {
      const auto cert_der = whole(c);
      Sha256 h;
      h.update(cert_der);
      const DelegateCache::CertHash digest = h.finish();
      X509Ptr candidate = cache.find(digest, now);
      const bool authorised = candidate != nullptr;
      if (!candidate) {
        const unsigned char* q = cert_der.data();
        candidate.reset(d2i_X509(nullptr, &q, static_cast<long>(cert_der.size())));
      }
      if (!candidate || !responder_is(bs, candidate.get())) continue;
      if (!authorised && X509_cmp(candidate.get(), issuer) != 0) {
        cache.count_full_check();
        if (auto problem = delegate_problem(candidate.get(), issuer, now))
          return ResponseFailure{ResponseError::kUnauthorizedSigner, ResponseCode::kSuccessful,
                                 std::move(*problem)};
        // delegate_problem read both bounds, so they parse.
        cache.remember(digest, candidate.get(),
                       to_unix(X509_get0_notBefore(candidate.get())).value_or(INT64_MAX),
                       to_unix(X509_get0_notAfter(candidate.get())).value_or(INT64_MIN));
      }
      held = std::move(candidate);
      signer = held.get();
    }
    if (signer == nullptr)
      return ResponseFailure{ResponseError::kSignerNotFound, ResponseCode::kSuccessful,
                             "no certificate matches the ResponderID"};
  }
  EVP_PKEY* key = X509_get0_pubkey(signer);
  std::optional<bool> ok = key != nullptr ? verify_exact(p, bs, key) : std::optional<bool>(false);
  if (!ok) {
    X509StackPtr certs = stack_of(signer);
    X509StorePtr store(X509_STORE_new());
    ok = certs && store &&
         OCSP_basic_verify(bs, certs.get(), store.get(), OCSP_NOVERIFY | OCSP_NOINTERN) == 1;
  }
  if (!*ok)
    return ResponseFailure{ResponseError::kBadSignature, ResponseCode::kSuccessful,
                           "signature does not verify"};
  return std::nullopt;
}

}  // namespace

Result<ValidatedResponse, ResponseFailure> validate_response(std::span<const uint8_t> der,
                                                             const DecodedRequest& req,
                                                             const Issuer* issuer, int64_t now,
                                                             int64_t skew_seconds) {
  ErrorQueueGuard clear_errors;
  if (const auto parts = locate_basic(der)) {
    if (OcspBasicRespPtr bs = decode_without_certs(*parts)) {
      ValidatedResponse out;
      if (auto failure = read_singles(bs.get(), req, now, skew_seconds, out)) return std::move(*failure);
      if (issuer != nullptr) {
        if (auto failure = fast_check_signature(*parts, bs.get(), *issuer, now))
          return Failure{std::move(*failure)};
      }
      return out;
    }
  }
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp) return fail(ResponseError::kNotDer, "not a DER OCSPResponse");
  if (p != der.data() + der.size()) return fail(ResponseError::kNotDer, "trailing bytes");

  const int status = OCSP_response_status(resp.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return Failure{
        ResponseFailure{ResponseError::kNotSuccessful, upstream_code(status),
                        std::string("responseStatus ") + OCSP_response_status_str(status)}};
  }
  OcspBasicRespPtr bs(OCSP_response_get1_basic(resp.get()));
  if (!bs) return fail(ResponseError::kNotBasic, "no BasicOCSPResponse");

  ValidatedResponse out;
  if (auto failure = read_singles(bs.get(), req, now, skew_seconds, out)) return std::move(*failure);
  if (issuer != nullptr) {
    if (auto failure = check_signature(bs.get(), *issuer, now))
      return Failure{std::move(*failure)};
  }
  return out;
}

}  // namespace ocspcache::ocsp
