// Reads back which certificates a cached response answers (see
// response_identify.h). Parsed with OpenSSL rather than the hand-written
// DER walker: this runs a few hundred times per scrape at most, never on a
// hit, and OpenSSL already knows the whole BasicOCSPResponse.
#include "ocspcache/ocsp/response_identify.h"

#include <openssl/err.h>

#include <array>
#include <ctime>
#include <optional>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/util/sha256.h"
#include "ocspcache/util/ssl_handles.h"
#include "openssl_helpers.h"

namespace ocspcache::ocsp {
namespace {

using detail::cert_status;
using detail::ErrorQueueGuard;
using detail::to_unix;

// The INTEGER's content octets as sent: ASN1_INTEGER keeps sign and
// magnitude apart, and the label must be spelled from the same octets the
// request path hands to serial_hex (a negative serial included).
std::vector<uint8_t> integer_contents(const ASN1_INTEGER* serial) {
  const int n = i2d_ASN1_INTEGER(serial, nullptr);
  if (n < 2) return {};
  std::vector<uint8_t> der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  if (i2d_ASN1_INTEGER(serial, &p) != n) return {};
  size_t header = 2;
  if (der[1] & 0x80) header += der[1] & 0x7f;  // long-form length
  if (header > der.size()) return {};
  der.erase(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(header));
  return der;
}

std::span<const uint8_t> contents(const ASN1_STRING* s) {
  return {ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s))};
}

// One SingleResponse: its CertID in canonical DER (what the cache key
// hashes) and, when it names a configured issuer, who and what it says.
struct ReadSingle {
  std::array<uint8_t, kMaxCanonicalCertId> cert_id{};
  size_t cert_id_len = 0;  // 0: unreadable
  std::optional<IdentifiedSingle> who;
};

ReadSingle read_single(OCSP_SINGLERESP* single, int64_t produced_at,
                       const IssuerRegistry& registry) {
  ReadSingle out;
  ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
  ASN1_OBJECT* md = nullptr;
  ASN1_INTEGER* serial = nullptr;
  // OpenSSL 3 hands out the CertID const but takes it non-const here,
  // for reading only.
  auto* id = single ? const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)) : nullptr;
  if (id == nullptr || OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, id) != 1 ||
      name_hash == nullptr || md == nullptr || key_hash == nullptr || serial == nullptr)
    return out;
  const std::vector<uint8_t> serial_octets = integer_contents(serial);
  CertIdView view;
  view.hash_oid = {OBJ_get0_data(md), static_cast<size_t>(OBJ_length(md))};
  view.name_hash = contents(name_hash);
  view.key_hash = contents(key_hash);
  view.serial = serial_octets;
  out.cert_id_len = encode_canonical_cert_id(view, out.cert_id);

  int reason = 0;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  const int status = OCSP_single_get0_status(single, &reason, &revoked, &this_upd, &next_upd);
  // No issuer: e.g. removed from the config by a reload.
  const Issuer* issuer = registry.find(view);
  if (status < 0 || issuer == nullptr) return out;
  IdentifiedSingle& s = out.who.emplace();
  s.issuer = issuer->name();
  s.serial = serial_hex(serial_octets);
  s.single.status = cert_status(status);
  s.single.this_update = to_unix(this_upd).value_or(0);
  s.single.next_update = to_unix(next_upd).value_or(0);
  if (s.single.status == CertStatus::kRevoked) {
    const auto revoked_at = to_unix(revoked);
    s.single.revoked_at = revoked_at.value_or(0);
    s.single.non_issued = revoked_at == 0;  // as validate_response judges it
  }
  s.produced_at = produced_at;
  return out;
}

}  // namespace

std::vector<IdentifiedSingle> identify_response(std::span<const uint8_t> der, const CacheKey& key,
                                                const IssuerRegistry& registry) {
  ErrorQueueGuard clear_errors;
  std::vector<IdentifiedSingle> out;
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return out;
  OcspBasicRespPtr bs(OCSP_response_get1_basic(resp.get()));
  if (!bs) return out;
  const int64_t produced_at = to_unix(OCSP_resp_get0_produced_at(bs.get())).value_or(0);

  // Which SingleResponses the entry was validated for: the one whose own
  // CertID is the key (the usual one-CertID entry), or else all of them if
  // the key is their CertIDs in response order (a multi-CertID entry whose
  // responder answered exactly what was asked). Any other SingleResponse
  // was never checked against a request and must not reach a series.
  Sha256 all;
  std::vector<std::optional<IdentifiedSingle>> every;
  const int count = OCSP_resp_count(bs.get());
  for (int i = 0; i < count; ++i) {
    ReadSingle r = read_single(OCSP_resp_get0(bs.get(), i), produced_at, registry);
    if (r.cert_id_len == 0) return out;
    const std::span<const uint8_t> canonical(r.cert_id.data(), r.cert_id_len);
    all.update(canonical);
    Sha256 one;
    one.update(canonical);
    if (one.finish() == key.bytes) {
      if (r.who) out.push_back(std::move(*r.who));
      return out;
    }
    every.push_back(std::move(r.who));
  }
  if (count < 2 || all.finish() != key.bytes) return out;
  for (auto& s : every) {
    if (s) out.push_back(std::move(*s));
  }
  return out;
}

bool response_names_any(std::span<const uint8_t> der,
                        FunctionRef<bool(const CertIdView&)> matches) {
  ErrorQueueGuard clear_errors;
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return false;
  OcspBasicRespPtr bs(OCSP_response_get1_basic(resp.get()));
  if (!bs) return false;
  for (int i = 0, n = OCSP_resp_count(bs.get()); i < n; ++i) {
    OCSP_SINGLERESP* single = OCSP_resp_get0(bs.get(), i);
    ASN1_OCTET_STRING *name_hash = nullptr, *key_hash = nullptr;
    ASN1_OBJECT* md = nullptr;
    ASN1_INTEGER* serial = nullptr;
    auto* id = single ? const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)) : nullptr;
    if (id == nullptr || OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, id) != 1 ||
        name_hash == nullptr || md == nullptr || key_hash == nullptr)
      continue;
    CertIdView view;
    view.hash_oid = {OBJ_get0_data(md), static_cast<size_t>(OBJ_length(md))};
    view.name_hash = contents(name_hash);
    view.key_hash = contents(key_hash);
    if (matches(view)) return true;
  }
  return false;
}

}  // namespace ocspcache::ocsp
