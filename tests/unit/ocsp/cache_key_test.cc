// The canonical CertID must be byte-for-byte what OpenSSL encodes: the
// Redis key names of DESIGN.md depend on it, and other tools compute them.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>

#include "ocspcache/util/sha256.h"

#include "ocspcache/ocsp/cache_key.h"
#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::pki;

std::vector<uint8_t> canonical(const CertIdView& id) {
  std::vector<uint8_t> out(kMaxCanonicalCertId);
  out.resize(encode_canonical_cert_id(id, out));
  return out;
}

std::vector<uint8_t> sha256(std::span<const uint8_t> data) {
  std::vector<uint8_t> md(32);
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr), 1);
  return md;
}

TEST(OcspCacheKey, CanonicalEqualsOpenSslEncoding) {
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512()}) {
    OcspCertIdPtr id(OCSP_cert_to_id(md, pki().leaf.get(), pki().ca.get()));
    const auto expected = testpki::to_der(id.get());
    const auto req = testpki::make_request({{pki().leaf.get(), pki().ca.get(), md}}, true);
    auto r = decode_request(req);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(canonical(r->ids[0]), expected) << EVP_MD_get0_name(md);
    // One CertID: the key is the DESIGN.md Redis name, sha256 of that DER.
    const CacheKey key = make_cache_key(*r);
    EXPECT_EQ(std::vector<uint8_t>(key.bytes.begin(), key.bytes.end()), sha256(expected));
  }
}

TEST(OcspCacheKey, AbsentParamsShareTheKeyOfNullParams) {
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha256(), pki().leaf.get(), pki().ca.get()));
  auto with_null = testpki::make_request({{pki().leaf.get(), pki().ca.get(), EVP_sha256()}});
  // Drop the "05 00" after the OID and fix up every enclosing length.
  std::vector<uint8_t> der = with_null;
  const uint8_t sha256_oid_tail[] = {0x04, 0x02, 0x01, 0x05, 0x00};
  auto it =
      std::search(der.begin(), der.end(), std::begin(sha256_oid_tail), std::end(sha256_oid_tail));
  ASSERT_NE(it, der.end());
  der.erase(it + 3, it + 5);
  // Enclosing lengths: OCSPRequest, TBSRequest, requestList, Request,
  // CertID, AlgorithmIdentifier, all short-form at offsets 1,3,5,7,9,11.
  for (size_t off : {1, 3, 5, 7, 9, 11}) der[off] -= 2;
  auto a = decode_request(with_null);
  auto b = decode_request(der);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << to_string(b.error());
  EXPECT_EQ(make_cache_key(*a), make_cache_key(*b));
  EXPECT_EQ(canonical(b->ids[0]), testpki::to_der(id.get()));
}

TEST(OcspCacheKey, NonceNeverReachesTheKey) {
  const auto der_a = testpki::make_request({{pki().leaf.get(), pki().ca.get()}}, true);
  const auto der_b = testpki::make_request({{pki().leaf.get(), pki().ca.get()}}, false);
  auto a = decode_request(der_a);  // views into der_a
  auto b = decode_request(der_b);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(make_cache_key(*a), make_cache_key(*b));
  EXPECT_EQ(CacheKeyHash{}(make_cache_key(*a)), CacheKeyHash{}(make_cache_key(*b)));
}

TEST(OcspCacheKey, MultiCertIdKeyHashesTheConcatenation) {
  const auto der = testpki::make_request(
      {{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get()}});
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok());
  std::vector<uint8_t> both = canonical(r->ids[0]);
  const auto second = canonical(r->ids[1]);
  both.insert(both.end(), second.begin(), second.end());
  const CacheKey key = make_cache_key(*r);
  EXPECT_EQ(std::vector<uint8_t>(key.bytes.begin(), key.bytes.end()), sha256(both));
  DecodedRequest first_only = *r;
  first_only.count = 1;
  EXPECT_NE(make_cache_key(first_only), key);
}

// The revocation ledger's key: one CertID alone, whichever request it came in.
TEST(OcspCacheKey, CertIdKeyIsTheKeyOfThatCertIdAlone) {
  const auto both = testpki::make_request(
      {{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get()}});
  const auto one = testpki::make_request({{pki().leaf2.get(), pki().ca.get()}});
  auto b = decode_request(both);
  auto o = decode_request(one);
  ASSERT_TRUE(b.ok() && o.ok());
  EXPECT_EQ(cert_id_key(b->ids[1]), make_cache_key(*o));
  EXPECT_NE(cert_id_key(b->ids[0]), cert_id_key(b->ids[1]));
}

TEST(OcspCacheKey, HexIsLowerCase) {
  CacheKey k;
  k.bytes[0] = 0xAB;
  k.bytes[31] = 0x0F;
  const std::string h = k.hex();
  ASSERT_EQ(h.size(), 64u);
  EXPECT_EQ(h.substr(0, 2), "ab");
  EXPECT_EQ(h.substr(62), "0f");
}

TEST(OcspCacheKey, CanonicalRejectsOutOfRangeFields) {
  std::vector<uint8_t> big(65, 1), ok(20, 1), oid{0x2B, 0x0E, 0x03, 0x02, 0x1A};
  CertIdView v{oid, ok, ok, ok};
  std::vector<uint8_t> out(kMaxCanonicalCertId);
  EXPECT_GT(encode_canonical_cert_id(v, out), 0u);
  EXPECT_EQ(encode_canonical_cert_id(v, std::span(out).first(10)), 0u);
  v.serial = big;
  EXPECT_EQ(encode_canonical_cert_id(v, out), 0u);
  // The largest accepted CertID fits kMaxCanonicalCertId.
  std::vector<uint8_t> h64(64, 1), oid32(32, 1);
  oid32.back() = 0x01;
  EXPECT_LE(encode_canonical_cert_id({oid32, h64, h64, h64}, out), kMaxCanonicalCertId);
  EXPECT_GT(encode_canonical_cert_id({oid32, h64, h64, h64}, out), 0u);
}

TEST(OcspCacheKey, SerialHexAsOpenSslPrintsIt) {
  const uint8_t with_pad[] = {0x00, 0x8F, 0x3A};
  const uint8_t zero[] = {0x00};
  const uint8_t small[] = {0x01, 0x02};
  EXPECT_EQ(serial_hex(with_pad), "8F3A");
  EXPECT_EQ(serial_hex(zero), "00");
  EXPECT_EQ(serial_hex({}), "00");
  EXPECT_EQ(serial_hex(small), "0102");
  const auto der = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(serial_hex(r->ids[0].serial), "8F3A00112233445566778899AABBCCDDEEFF0011");
}

TEST(OcspUpstreamRequest, RoundTripsThroughOpenSsl) {
  const auto client_der = testpki::make_request(
      {{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get(), EVP_sha256()}},
      true);
  auto r = decode_request(client_der);
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> der = build_upstream_request(*r);
  const unsigned char* p = der.data();
  OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(p, der.data() + der.size());
  ASSERT_EQ(OCSP_request_onereq_count(req.get()), 2);
  EXPECT_EQ(OCSP_REQUEST_get_ext_count(req.get()), 0);  // no nonce
  for (int i = 0; i < 2; ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    EXPECT_EQ(testpki::to_der(id), canonical(r->ids[static_cast<size_t>(i)]));
  }
  // OpenSSL re-encodes it to the same bytes: it is DER.
  EXPECT_EQ(testpki::to_der(req.get()), der);
  // And our own decoder takes it back with the same key.
  auto again = decode_request(der);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_nonce);
  EXPECT_EQ(make_cache_key(*again), make_cache_key(*r));
}

}  // namespace
}  // namespace ocspcache::ocsp

namespace ocspcache {
namespace {

TEST(Sha256, MatchesEvpAcrossSplitUpdates) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  for (size_t split : {0ul, 1ul, 63ul, 64ul, 500ul, 1000ul}) {
    Sha256 h;
    h.update(std::span<const uint8_t>(data.data(), split));
    h.update(std::span<const uint8_t>(data.data() + split, data.size() - split));
    const auto got = h.finish();
    unsigned char want[32];
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(data.data(), data.size(), want, &len, EVP_sha256(), nullptr), 1);
    EXPECT_EQ(0, std::memcmp(got.data(), want, 32)) << "split " << split;
  }
}

}  // namespace
}  // namespace ocspcache
