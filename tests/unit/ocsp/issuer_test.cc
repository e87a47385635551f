// Issuer loading (the messages operators see at start-up) and routing a
// CertID to its issuer under every supported hash algorithm.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>

#include "ocspcache/ocsp/issuer.h"
#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::pki;

std::string write_pem(const std::string& file, X509* cert) {
  const std::string path = ::testing::TempDir() + file;
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  EXPECT_TRUE(bio && PEM_write_bio_X509(bio.get(), cert));
  return path;
}

std::string load_error(const std::string& path) {
  try {
    Issuer::load({"x", path, {}, 1});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "loaded";
}

// Decodes a request for (leaf, issuer, md) and asks `fn` about its CertID.
template <typename Fn>
auto with_cert_id(X509* leaf, X509* issuer, const EVP_MD* md, Fn fn) {
  const auto der = testpki::make_request({{leaf, issuer, md}});
  auto r = decode_request(der);
  EXPECT_TRUE(r.ok());
  return fn(r->ids[0]);
}

TEST(OcspIssuer, MatchesCertIdsUnderEveryAlgorithm) {
  const Issuer ca("Test CA", testpki::up_ref(pki().ca.get()), {});
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512()}) {
    EXPECT_TRUE(with_cert_id(pki().leaf.get(), pki().ca.get(), md, [&](const CertIdView& id) {
      return ca.matches(id);
    })) << EVP_MD_get0_name(md);
    EXPECT_FALSE(with_cert_id(pki().other_leaf.get(), pki().other_ca.get(), md,
                              [&](const CertIdView& id) { return ca.matches(id); }));
  }
  // MD5 is no algorithm we route by, even with the right hashes.
  EXPECT_FALSE(with_cert_id(pki().leaf.get(), pki().ca.get(), EVP_md5(),
                            [&](const CertIdView& id) { return ca.matches(id); }));
}

TEST(OcspIssuer, NameHashMustMatchToo) {
  const Issuer ca("Test CA", testpki::up_ref(pki().ca.get()), {});
  const auto der = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  auto r = decode_request(der);
  ASSERT_TRUE(r.ok());
  CertIdView id = r->ids[0];
  std::vector<uint8_t> name(id.name_hash.begin(), id.name_hash.end());
  name[0] ^= 1;
  id.name_hash = name;
  EXPECT_FALSE(ca.matches(id));
}

TEST(OcspIssuer, LoadKeepsNameAndResponders) {
  const std::string path = write_pem("ocsp_issuer_ca.pem", pki().ca.get());
  HttpUrl url{"http://ocsp.example.com", "ocsp.example.com", 80, "/"};
  const Issuer i = Issuer::load({"Example CA", path, {url}, 3});
  EXPECT_EQ(i.name(), "Example CA");
  ASSERT_EQ(i.responders().size(), 1u);
  EXPECT_EQ(i.responders()[0].original, "http://ocsp.example.com");
  EXPECT_EQ(X509_cmp(i.cert(), pki().ca.get()), 0);
  std::remove(path.c_str());
}

TEST(OcspIssuer, LoadErrorsNameTheFileAndReason) {
  EXPECT_EQ(load_error("/nonexistent/x.pem"),
            "cannot read issuer certificate '/nonexistent/x.pem': No such file or directory");
  EXPECT_EQ(load_error(::testing::TempDir()),
            "cannot read issuer certificate '" + ::testing::TempDir() + "': Is a directory");
  const std::string junk = ::testing::TempDir() + "ocsp_issuer_junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  EXPECT_EQ(load_error(junk), "issuer certificate '" + junk + "' is not a PEM certificate");
  std::remove(junk.c_str());
}

TEST(OcspIssuerRegistry, FindsTheIssuerOfACertId) {
  const std::string a = write_pem("ocsp_registry_a.pem", pki().ca.get());
  const std::string b = write_pem("ocsp_registry_b.pem", pki().other_ca.get());
  const IssuerRegistry reg = IssuerRegistry::load({{"A", a, {}, 1}, {"B", b, {}, 5}});
  ASSERT_EQ(reg.issuers().size(), 2u);
  auto find = [&](X509* leaf, X509* issuer, const EVP_MD* md) {
    return with_cert_id(leaf, issuer, md, [&](const CertIdView& id) { return reg.find(id); });
  };
  const Issuer* found = find(pki().leaf.get(), pki().ca.get(), EVP_sha256());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name(), "A");
  found = find(pki().other_leaf.get(), pki().other_ca.get(), EVP_sha1());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name(), "B");
  // A certificate issued by the delegated signer's key: no such issuer.
  EXPECT_EQ(find(pki().leaf.get(), pki().signer.get(), EVP_sha1()), nullptr);
  EXPECT_EQ(IssuerRegistry().find(CertIdView{}), nullptr);
  EXPECT_THROW(IssuerRegistry::load({{"A", a, {}, 1}, {"C", "/nonexistent.pem", {}, 9}}),
               ConfigError);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

}  // namespace
}  // namespace ocspcache::ocsp
