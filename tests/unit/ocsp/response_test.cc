// validate_response against responses signed in-process with
// OCSP_basic_sign: every accepted shape and every reason to refuse one.
#include "ocspcache/ocsp/response.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <string>

#include "ocspcache/ocsp/issuer.h"
#include "test_pki.h"

namespace ocspcache::ocsp {
namespace {

using testpki::make_response;
using testpki::pki;
using testpki::SignSpec;
using testpki::SingleSpec;

constexpr int64_t kSkew = 300;

std::optional<int64_t> testpki_not_after(X509* cert) {
  time_t t = 0;
  struct tm tm_utc;
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm_utc) != 1) return std::nullopt;
  t = timegm(&tm_utc);
  return static_cast<int64_t>(t);
}

class OcspValidate : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = testpki::now();
    request_der_ = testpki::make_request({{pki().leaf.get(), pki().ca.get()}}, true);
    auto r = decode_request(request_der_);
    ASSERT_TRUE(r.ok());
    req_ = *r;
  }

  const Issuer& issuer() const {
    static const Issuer i("Test CA", testpki::up_ref(pki().ca.get()), {});
    return i;
  }
  SignSpec by_ca() const { return {pki().ca.get(), pki().ca_key.get(), {}, 0}; }
  SingleSpec leaf() const { return {pki().leaf.get(), pki().ca.get()}; }

  Result<ValidatedResponse, ResponseFailure> validate(const std::vector<uint8_t>& der,
                                                      bool with_issuer = true) const {
    return validate_response(der, req_, with_issuer ? &issuer() : nullptr, now_, kSkew);
  }
  // The failure's error, or a test failure when it validated.
  ResponseError error_of(const std::vector<uint8_t>& der, bool with_issuer = true) const {
    auto r = validate(der, with_issuer);
    EXPECT_FALSE(r.ok()) << "validated unexpectedly";
    return r.ok() ? ResponseError::kNotDer : r.error().error;
  }

  int64_t now_ = 0;
  std::vector<uint8_t> request_der_;
  DecodedRequest req_;
};

TEST_F(OcspValidate, GoodSignedByTheIssuer) {
  SingleSpec s = leaf();
  s.this_update = now_ - 100;
  s.next_update = now_ + 7200;
  auto r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  ASSERT_EQ(r->singles.size(), 1u);
  EXPECT_EQ(r->singles[0].status, CertStatus::kGood);
  EXPECT_EQ(r->singles[0].this_update, now_ - 100);
  EXPECT_EQ(r->singles[0].next_update, now_ + 7200);
  EXPECT_EQ(r->singles[0].revoked_at, 0);
  EXPECT_EQ(r->this_update, now_ - 100);
  EXPECT_EQ(r->next_update, now_ + 7200);
  EXPECT_NEAR(static_cast<double>(r->produced_at), static_cast<double>(now_), 5.0);
}

TEST_F(OcspValidate, RevokedAndUnknownAreValidAnswers) {
  SingleSpec s = leaf();
  s.status = V_OCSP_CERTSTATUS_REVOKED;
  s.revoked_at = now_ - 5000;
  auto r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->singles[0].status, CertStatus::kRevoked);
  EXPECT_EQ(r->singles[0].revoked_at, now_ - 5000);
  EXPECT_EQ(r->singles[0].revocation_reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_TRUE(r->singles[0].revoked_for_good());

  s.status = V_OCSP_CERTSTATUS_UNKNOWN;
  r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->singles[0].status, CertStatus::kUnknown);
}

// What the revocation ledger keys on: certificateHold may be lifted, no
// reason at all is a revocation like any other.
TEST_F(OcspValidate, RevocationReasonIsReadAndHoldIsNotForGood) {
  SingleSpec s = leaf();
  s.status = V_OCSP_CERTSTATUS_REVOKED;
  s.revoked_at = now_ - 5000;
  s.reason = OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
  auto r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->singles[0].revocation_reason, SingleStatus::kCertificateHold);
  EXPECT_FALSE(r->singles[0].revoked_for_good());

  s.reason = -1;
  r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->singles[0].revocation_reason, SingleStatus::kNoReason);
  EXPECT_TRUE(r->singles[0].revoked_for_good());
}

// RFC 6960 §2.2: "revoked" for a serial never issued is dated
// 1970-01-01T00:00:00Z (with certificateHold). That mark is read; a real
// certificateHold is not taken for it.
TEST_F(OcspValidate, NonIssuedRevokedFormIsRecognisedByItsEpochTime) {
  SingleSpec s = leaf();
  s.status = V_OCSP_CERTSTATUS_REVOKED;
  s.revoked_at = 0;
  s.reason = OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
  auto r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->singles[0].status, CertStatus::kRevoked);
  EXPECT_TRUE(r->singles[0].non_issued);
  EXPECT_FALSE(r->singles[0].revoked_for_good()) << "not a revocation to remember";

  s.revoked_at = now_ - 5000;  // a real hold
  r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_FALSE(r->singles[0].non_issued);
  s.revoked_at = 1;  // one second after the epoch is a time, not the mark
  r = validate(make_response({s}, by_ca()));
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_FALSE(r->singles[0].non_issued);
}

TEST_F(OcspValidate, ResponderIdByKeyHash) {
  SignSpec sign = by_ca();
  sign.flags = OCSP_RESPID_KEY | OCSP_NOCERTS;
  auto r = validate(make_response({leaf()}, sign));
  EXPECT_TRUE(r.ok()) << r.error().detail;
}

TEST_F(OcspValidate, TimeWindow) {
  SingleSpec s = leaf();
  s.next_update = now_ - 1;
  EXPECT_EQ(error_of(make_response({s}, by_ca())), ResponseError::kExpired);
  s.next_update = now_;
  EXPECT_EQ(error_of(make_response({s}, by_ca())), ResponseError::kExpired);
  s.next_update = std::nullopt;
  EXPECT_EQ(error_of(make_response({s}, by_ca())), ResponseError::kNoNextUpdate);
  s = leaf();
  s.this_update = now_ + 3600;
  s.next_update = now_ + 7200;
  EXPECT_EQ(error_of(make_response({s}, by_ca())), ResponseError::kNotYetValid);
  s.this_update = now_ + kSkew - 10;  // clock skew tolerated
  EXPECT_TRUE(validate(make_response({s}, by_ca())).ok());
}

TEST_F(OcspValidate, OtherSerialIsMissing) {
  SingleSpec s{pki().leaf2.get(), pki().ca.get()};
  auto r = validate(make_response({s}, by_ca()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResponseError::kMissingCertId);
  EXPECT_NE(r.error().detail.find("8F3A"), std::string::npos) << r.error().detail;
}

TEST_F(OcspValidate, SeveralCertIdsInRequestOrder) {
  const auto req_der = testpki::make_request(
      {{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get(), EVP_sha256()}});
  auto r2 = decode_request(req_der);  // views into req_der
  ASSERT_TRUE(r2.ok());
  SingleSpec a = leaf(), b{pki().leaf2.get(), pki().ca.get(), EVP_sha256()};
  a.next_update = now_ + 1000;
  b.status = V_OCSP_CERTSTATUS_REVOKED;
  b.revoked_at = now_ - 10;
  b.this_update = now_ - 30;
  b.next_update = now_ + 2000;
  auto r = validate_response(make_response({b, a}, by_ca()), *r2, &issuer(), now_, kSkew);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  ASSERT_EQ(r->singles.size(), 2u);
  EXPECT_EQ(r->singles[0].status, CertStatus::kGood);
  EXPECT_EQ(r->singles[1].status, CertStatus::kRevoked);
  EXPECT_EQ(r->this_update, now_ - 30);    // latest thisUpdate
  EXPECT_EQ(r->next_update, now_ + 1000);  // earliest nextUpdate
  r = validate_response(make_response({a}, by_ca()), *r2, &issuer(), now_, kSkew);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResponseError::kMissingCertId);
}

TEST_F(OcspValidate, ResponderDroppingNullParamsStillMatches) {
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), pki().leaf.get(), pki().ca.get()));
  std::vector<uint8_t> der = testpki::to_der(id.get());
  // 30 L 30 09 06 05 <sha1> 05 00 ...: drop the NULL, fix the two lengths.
  ASSERT_EQ(der[2], 0x30);
  ASSERT_EQ(der[11], 0x05);
  der.erase(der.begin() + 11, der.begin() + 13);
  der[1] -= 2;
  der[3] -= 2;
  const unsigned char* p = der.data();
  OcspCertIdPtr bare(d2i_OCSP_CERTID(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_NE(bare, nullptr);
  SingleSpec s = leaf();
  s.id = bare.get();
  const auto resp = make_response({s}, by_ca());
  EXPECT_NE(std::search(resp.begin(), resp.end(), der.begin(), der.end()), resp.end());
  auto r = validate(resp);
  EXPECT_TRUE(r.ok()) << r.error().detail;
}

TEST_F(OcspValidate, WrongKeyUnderTheIssuersName) {
  // An impostor with the CA's name but its own key.
  EvpPkeyPtr key = testpki::make_key();
  X509Ptr impostor = testpki::make_cert("Test CA", key.get(), nullptr, key.get(), {.ca = true});
  EXPECT_EQ(error_of(make_response({leaf()}, {impostor.get(), key.get(), {}, OCSP_NOCERTS})),
            ResponseError::kBadSignature);
  EXPECT_EQ(error_of(make_response({leaf()}, {impostor.get(), key.get(), {}, 0})),
            ResponseError::kBadSignature);
  EXPECT_EQ(error_of(make_response({leaf()}, {impostor.get(), key.get(), {}, OCSP_RESPID_KEY})),
            ResponseError::kUnauthorizedSigner);
}

TEST_F(OcspValidate, TamperedSignature) {
  auto der = make_response({leaf()}, {pki().ca.get(), pki().ca_key.get(), {}, OCSP_NOCERTS});
  der.back() ^= 0x01;  // the signature is the last field without certs
  EXPECT_EQ(error_of(der), ResponseError::kBadSignature);
}

TEST_F(OcspValidate, DelegatedResponder) {
  const SignSpec ok{pki().signer.get(), pki().signer_key.get(), {}, 0};
  auto r = validate(make_response({leaf()}, ok));
  EXPECT_TRUE(r.ok()) << r.error().detail;
  SignSpec by_key = ok;
  by_key.flags = OCSP_RESPID_KEY;
  r = validate(make_response({leaf()}, by_key));
  EXPECT_TRUE(r.ok()) << r.error().detail;
}

TEST_F(OcspValidate, DelegatedResponderNotAuthorised) {
  EXPECT_EQ(
      error_of(make_response({leaf()}, {pki().noeku_signer.get(), pki().noeku_key.get(), {}, 0})),
      ResponseError::kUnauthorizedSigner);
  EXPECT_EQ(error_of(make_response({leaf()},
                                   {pki().foreign_signer.get(), pki().foreign_key.get(), {}, 0})),
            ResponseError::kUnauthorizedSigner);
  EXPECT_EQ(error_of(make_response(
                {leaf()}, {pki().expired_signer.get(), pki().expired_signer_key.get(), {}, 0})),
            ResponseError::kUnauthorizedSigner);
}

TEST_F(OcspValidate, ARememberedDelegateIsTrustedOnlyForItsIssuer) {
  const SignSpec ok{pki().signer.get(), pki().signer_key.get(), {}, 0};
  ASSERT_TRUE(validate(make_response({leaf()}, ok)).ok());
  // The same delegate presented for another CA's certificate.
  const Issuer other("Other CA", testpki::up_ref(pki().other_ca.get()), {});
  SingleSpec s{.leaf = pki().other_leaf.get(), .issuer = pki().other_ca.get()};
  const auto other_request = testpki::make_request({{pki().other_leaf.get(), pki().other_ca.get()}});
  auto decoded = decode_request(other_request);
  ASSERT_TRUE(decoded.ok());
  auto r = validate_response(make_response({s}, ok), *decoded, &other, now_, kSkew);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResponseError::kUnauthorizedSigner);
}

// A delegate's certificate is checked against the issuer once, then known
// by its hash; the response's signature is still checked each time.
TEST_F(OcspValidate, DelegateIsCheckedOnceAndRemembered) {
  const Issuer ca("Test CA", testpki::up_ref(pki().ca.get()), {});
  auto check = [&](const std::vector<uint8_t>& der) {
    return validate_response(der, req_, &ca, now_, kSkew);
  };
  const SignSpec by_delegate{pki().signer.get(), pki().signer_key.get(), {}, 0};
  ASSERT_TRUE(check(make_response({leaf()}, by_delegate)).ok());
  EXPECT_EQ(ca.delegates().full_checks(), 1u);
  SingleSpec later = leaf();
  later.this_update = now_ - 5;
  ASSERT_TRUE(check(make_response({later}, by_delegate)).ok());
  EXPECT_EQ(ca.delegates().full_checks(), 1u) << "the second response did not re-check the delegate";
  EXPECT_EQ(ca.delegates().size(), 1u);

  // A response from the known delegate whose signed data was altered: one
  // digit of its thisUpdate (GeneralizedTime text inside ResponseData).
  SingleSpec other = leaf();
  other.this_update = now_ - 7;
  auto bad_der = make_response({other}, by_delegate);
  const std::string stamp = [&] {
    char buf[32];
    const time_t t = static_cast<time_t>(now_ - 7);
    struct tm tm_utc;
    gmtime_r(&t, &tm_utc);
    strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm_utc);
    return std::string(buf);
  }();
  auto at = std::search(bad_der.begin(), bad_der.end(), stamp.begin(), stamp.end());
  ASSERT_NE(at, bad_der.end());
  at[12] = at[12] == '0' ? '1' : '0';
  auto r = check(bad_der);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResponseError::kBadSignature)
      << "a known delegate's signature is still checked";

  // Other delegates are not let through by the one remembered.
  EXPECT_FALSE(check(make_response({leaf()}, {pki().expired_signer.get(),
                                              pki().expired_signer_key.get(), {}, 0}))
                   .ok());
  EXPECT_FALSE(check(make_response({leaf()}, {pki().foreign_signer.get(), pki().foreign_key.get(),
                                              {}, 0}))
                   .ok());
  EXPECT_FALSE(check(make_response({leaf()}, {pki().noeku_signer.get(), pki().noeku_key.get(),
                                              {}, 0}))
                   .ok());
  EXPECT_EQ(ca.delegates().full_checks(), 4u) << "each stranger was checked in full";
  EXPECT_EQ(ca.delegates().size(), 1u) << "and none was remembered";
  EXPECT_FALSE(check(make_response({leaf()}, {pki().expired_signer.get(),
                                              pki().expired_signer_key.get(), {}, 0}))
                   .ok());
  EXPECT_EQ(ca.delegates().full_checks(), 5u) << "a refused delegate is checked again, and refused";
}

// Remembered until its notAfter: past it the delegate is checked again and
// refused, although the cache still holds it.
TEST_F(OcspValidate, ARememberedDelegateExpiresWithItsCertificate) {
  const Issuer ca("Test CA", testpki::up_ref(pki().ca.get()), {});
  const SignSpec by_delegate{pki().signer.get(), pki().signer_key.get(), {}, 0};
  ASSERT_TRUE(validate_response(make_response({leaf()}, by_delegate), req_, &ca, now_, kSkew).ok());
  const int64_t not_after = *testpki_not_after(pki().signer.get());
  SingleSpec s = leaf();
  s.this_update = not_after + 10;
  s.next_update = not_after + 3600;
  auto r = validate_response(make_response({s}, by_delegate), req_, &ca, not_after + 60, kSkew);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, ResponseError::kUnauthorizedSigner);
  EXPECT_EQ(ca.delegates().full_checks(), 2u);
}

TEST_F(OcspValidate, DelegateCertificateMissing) {
  auto der =
      make_response({leaf()}, {pki().signer.get(), pki().signer_key.get(), {}, OCSP_NOCERTS});
  EXPECT_EQ(error_of(der), ResponseError::kSignerNotFound);
}

TEST_F(OcspValidate, NoIssuerSkipsSignatureChecks) {
  auto der = make_response({leaf()}, {pki().foreign_signer.get(), pki().foreign_key.get(), {}, 0});
  EXPECT_TRUE(validate(der, false).ok());
  SingleSpec s = leaf();
  s.next_update = now_ - 1;
  EXPECT_EQ(error_of(make_response({s}, by_ca()), false), ResponseError::kExpired);
}

TEST_F(OcspValidate, NotSuccessfulCarriesTheUpstreamCode) {
  for (ResponseCode c :
       {ResponseCode::kMalformedRequest, ResponseCode::kInternalError, ResponseCode::kTryLater,
        ResponseCode::kSigRequired, ResponseCode::kUnauthorized}) {
    const auto span = error_response_der(c);
    auto r = validate(std::vector<uint8_t>(span.begin(), span.end()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().error, ResponseError::kNotSuccessful);
    EXPECT_EQ(r.error().upstream_code, c);
  }
}

TEST_F(OcspValidate, GarbageAndNonBasic) {
  EXPECT_EQ(error_of({}), ResponseError::kNotDer);
  EXPECT_EQ(error_of({0x30, 0x03, 0x0A, 0x01}), ResponseError::kNotDer);
  auto der = make_response({leaf()}, by_ca());
  der.push_back(0);
  EXPECT_EQ(error_of(der), ResponseError::kNotDer);
  // responseBytes of a type other than id-pkix-ocsp-basic.
  const std::vector<uint8_t> other = {0x30, 0x16, 0x0A, 0x01, 0x00, 0xA0, 0x11, 0x30,
                                      0x0F, 0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05,
                                      0x07, 0x30, 0x01, 0x02, 0x04, 0x02, 0x30, 0x00};
  EXPECT_EQ(error_of(other), ResponseError::kNotBasic);
}

TEST(OcspErrorResponse, EachParsesWithItsStatus) {
  const std::pair<ResponseCode, int> cases[] = {
      {ResponseCode::kMalformedRequest, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST},
      {ResponseCode::kInternalError, OCSP_RESPONSE_STATUS_INTERNALERROR},
      {ResponseCode::kTryLater, OCSP_RESPONSE_STATUS_TRYLATER},
      {ResponseCode::kSigRequired, OCSP_RESPONSE_STATUS_SIGREQUIRED},
      {ResponseCode::kUnauthorized, OCSP_RESPONSE_STATUS_UNAUTHORIZED}};
  for (auto [code, status] : cases) {
    const auto der = error_response_der(code);
    ASSERT_EQ(der.size(), 5u);
    const unsigned char* p = der.data();
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(p, der.data() + der.size());
    EXPECT_EQ(OCSP_response_status(resp.get()), status);
    EXPECT_EQ(OcspBasicRespPtr(OCSP_response_get1_basic(resp.get())), nullptr);
  }
}

TEST(OcspResponseNames, ToString) {
  EXPECT_EQ(to_string(CertStatus::kGood), "good");
  EXPECT_EQ(to_string(CertStatus::kRevoked), "revoked");
  EXPECT_EQ(to_string(CertStatus::kUnknown), "unknown");
  EXPECT_EQ(to_string(ResponseError::kUnauthorizedSigner), "unauthorized_signer");
  EXPECT_EQ(to_string(ResponseError::kNotYetValid), "not_yet_valid");
}

}  // namespace
}  // namespace ocspcache::ocsp
