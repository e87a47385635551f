// decode_request against requests OpenSSL itself encodes, plus the
// malformed shapes a hostile or broken client can send.
#include "ocspcache/ocsp/request.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::make_request;
using testpki::pki;

std::vector<uint8_t> bytes(std::span<const uint8_t> s) {
  return {s.begin(), s.end()};
}

// Expected CertID fields, read back through OpenSSL.
void expect_matches(const CertIdView& v, X509* leaf, X509* issuer, const EVP_MD* md) {
  OcspCertIdPtr id(OCSP_cert_to_id(md, leaf, issuer));
  ASN1_OCTET_STRING *name = nullptr, *key = nullptr;
  ASN1_OBJECT* oid = nullptr;
  ASN1_INTEGER* serial = nullptr;
  ASSERT_TRUE(OCSP_id_get0_info(&name, &oid, &key, &serial, id.get()));
  EXPECT_EQ(bytes(v.name_hash), std::vector<uint8_t>(name->data, name->data + name->length));
  EXPECT_EQ(bytes(v.key_hash), std::vector<uint8_t>(key->data, key->data + key->length));
  EXPECT_EQ(bytes(v.hash_oid),
            std::vector<uint8_t>(OBJ_get0_data(oid), OBJ_get0_data(oid) + OBJ_length(oid)));
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_INTEGER(serial, &der);
  ASSERT_GT(n, 2);
  EXPECT_EQ(bytes(v.serial), std::vector<uint8_t>(der + 2, der + n));  // short-form header
  OPENSSL_free(der);
}

TEST(OcspRequestDecode, Sha1CertId) {
  const auto der = make_request({{pki().leaf.get(), pki().ca.get()}});
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->count, 1u);
  EXPECT_FALSE(r->has_nonce);
  EXPECT_FALSE(r->is_signed);
  EXPECT_EQ(r->ids[0].name_hash.size(), 20u);
  EXPECT_EQ(r->ids[0].serial.size(), 21u);  // leading 00: high bit of 8F
  expect_matches(r->ids[0], pki().leaf.get(), pki().ca.get(), EVP_sha1());
}

TEST(OcspRequestDecode, Sha256CertIdWithNonce) {
  const auto der = make_request({{pki().leaf.get(), pki().ca.get(), EVP_sha256()}}, true);
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->count, 1u);
  EXPECT_TRUE(r->has_nonce);
  EXPECT_EQ(r->ids[0].key_hash.size(), 32u);
  expect_matches(r->ids[0], pki().leaf.get(), pki().ca.get(), EVP_sha256());
}

TEST(OcspRequestDecode, SeveralCertIdsInOrder) {
  const auto der = make_request({{pki().leaf.get(), pki().ca.get()},
                                 {pki().leaf2.get(), pki().ca.get(), EVP_sha256()},
                                 {pki().other_leaf.get(), pki().other_ca.get()}});
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->count, 3u);
  expect_matches(r->ids[0], pki().leaf.get(), pki().ca.get(), EVP_sha1());
  expect_matches(r->ids[1], pki().leaf2.get(), pki().ca.get(), EVP_sha256());
  expect_matches(r->ids[2], pki().other_leaf.get(), pki().other_ca.get(), EVP_sha1());
  EXPECT_EQ(r->cert_ids().size(), 3u);
}

TEST(OcspRequestDecode, TooManyCertIds) {
  std::vector<testpki::ReqCert> certs(kMaxCertIdsPerRequest + 1,
                                      {pki().leaf.get(), pki().ca.get()});
  auto r = decode_request(make_request(certs));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), RequestError::kTooManyCertIds);
  certs.pop_back();
  EXPECT_TRUE(decode_request(make_request(certs)).ok());
}

TEST(OcspRequestDecode, EveryTruncationIsRejected) {
  const auto der = make_request({{pki().leaf.get(), pki().ca.get()}}, true);
  for (size_t n = 0; n < der.size(); ++n) {
    auto r = decode_request(std::span(der).first(n));
    EXPECT_FALSE(r.ok()) << "length " << n;
  }
  EXPECT_EQ(decode_request({}).error(), RequestError::kEmpty);
}

TEST(OcspRequestDecode, TrailingGarbageIsRejected) {
  auto der = make_request({{pki().leaf.get(), pki().ca.get()}});
  der.push_back(0x00);
  auto r = decode_request(der);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), RequestError::kBadDer);
}

TEST(OcspRequestDecode, TooLarge) {
  std::vector<uint8_t> der(kMaxRequestDer + 1, 0x30);
  EXPECT_EQ(decode_request(der).error(), RequestError::kTooLarge);
}

// Hand-built requests for the shapes OpenSSL would never encode.
std::vector<uint8_t> wrap(uint8_t tag, std::vector<uint8_t> content) {
  std::vector<uint8_t> out{tag};
  if (content.size() >= 0x80) out.push_back(0x81);
  out.push_back(static_cast<uint8_t>(content.size()));
  out.insert(out.end(), content.begin(), content.end());
  return out;
}
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const std::vector<uint8_t> kSha1Oid = {0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A};
const std::vector<uint8_t> kNull = {0x05, 0x00};

std::vector<uint8_t> cert_id(std::vector<uint8_t> alg, size_t name_len, size_t key_len,
                             std::vector<uint8_t> serial) {
  return wrap(0x30, cat({wrap(0x30, alg), wrap(0x04, std::vector<uint8_t>(name_len, 0xAA)),
                         wrap(0x04, std::vector<uint8_t>(key_len, 0xBB)), wrap(0x02, serial)}));
}
std::vector<uint8_t> request_of(std::vector<uint8_t> id) {
  return wrap(0x30, wrap(0x30, wrap(0x30, wrap(0x30, id))));
}

TEST(OcspRequestDecode, AbsentParamsAccepted) {
  auto r = decode_request(request_of(cert_id(kSha1Oid, 20, 20, {0x01})));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->ids[0].hash_oid.size(), 5u);
  EXPECT_TRUE(decode_request(request_of(cert_id(cat({kSha1Oid, kNull}), 20, 20, {0x01}))).ok());
}

TEST(OcspRequestDecode, BadCertIdFields) {
  auto error_of = [](std::vector<uint8_t> der) {
    auto r = decode_request(der);
    return r.ok() ? RequestError::kEmpty : r.error();
  };
  const auto alg = cat({kSha1Oid, kNull});
  EXPECT_EQ(error_of(request_of(cert_id(alg, 0, 20, {0x01}))), RequestError::kBadCertId);
  EXPECT_EQ(error_of(request_of(cert_id(alg, 65, 20, {0x01}))), RequestError::kBadCertId);
  EXPECT_EQ(error_of(request_of(cert_id(alg, 20, 0, {0x01}))), RequestError::kBadCertId);
  EXPECT_EQ(error_of(request_of(cert_id(alg, 20, 20, {}))), RequestError::kBadCertId);
  EXPECT_EQ(error_of(request_of(cert_id(alg, 20, 20, std::vector<uint8_t>(65, 0x11)))),
            RequestError::kBadCertId);
  EXPECT_TRUE(
      decode_request(request_of(cert_id(alg, 64, 64, std::vector<uint8_t>(64, 0x11)))).ok());
  // Non-minimal INTEGER (OpenSSL rejects the padding too).
  EXPECT_EQ(error_of(request_of(cert_id(alg, 20, 20, {0x00, 0x01}))), RequestError::kBadCertId);
  // Parameters other than NULL.
  EXPECT_EQ(error_of(request_of(cert_id(cat({kSha1Oid, {0x04, 0x00}}), 20, 20, {0x01}))),
            RequestError::kBadCertId);
  // Hash algorithm that is not an OID.
  EXPECT_EQ(error_of(request_of(cert_id({0x04, 0x01, 0x00}, 20, 20, {0x01}))),
            RequestError::kBadCertId);
}

TEST(OcspRequestDecode, StructuralErrors) {
  auto error_of = [](std::vector<uint8_t> der) {
    auto r = decode_request(der);
    return r.ok() ? RequestError::kEmpty : r.error();
  };
  const auto id = cert_id(cat({kSha1Oid, kNull}), 20, 20, {0x01});
  EXPECT_EQ(error_of(wrap(0x30, wrap(0x30, wrap(0x30, {})))), RequestError::kNoCertIds);
  EXPECT_EQ(error_of(wrap(0x31, wrap(0x30, wrap(0x30, wrap(0x30, id))))),
            RequestError::kNotOcspRequest);
  EXPECT_EQ(error_of(wrap(0x30, wrap(0x30, wrap(0x31, wrap(0x30, id))))),
            RequestError::kNotOcspRequest);
  // Indefinite length (BER, not DER).
  EXPECT_EQ(error_of({0x30, 0x80, 0x00, 0x00}), RequestError::kBadDer);
  // Long-form length for a short value.
  EXPECT_EQ(error_of({0x30, 0x81, 0x03, 0x30, 0x01, 0x00}), RequestError::kBadDer);
  // A second element after tbsRequest that is not [0] optionalSignature.
  EXPECT_EQ(error_of(wrap(0x30, cat({wrap(0x30, wrap(0x30, wrap(0x30, id))), {0x05, 0x00}}))),
            RequestError::kNotOcspRequest);
  // Signed request: accepted, flagged.
  auto r = decode_request(wrap(
      0x30, cat({wrap(0x30, wrap(0x30, wrap(0x30, id))), wrap(0xA0, wrap(0x30, {0x05, 0x00}))})));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_signed);
}

TEST(OcspRequestDecode, ToStringNamesEveryError) {
  EXPECT_EQ(to_string(RequestError::kBadGetPath), "bad_get_path");
  EXPECT_EQ(to_string(RequestError::kBadDer), "bad_der");
}

}  // namespace
}  // namespace ocspcache::ocsp
