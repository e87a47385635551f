// judge_reply: what one responder's reply is worth, for every kind of reply
// DESIGN.md's outcome labels name.
#include "ocspcache/upstream/verdict.h"

#include <gtest/gtest.h>

#include <vector>

#include "fake_upstream.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using testing::FakeUpstreamClient;
using testpki::pki;

testpki::SignSpec by_ca() { return {pki().ca.get(), pki().ca_key.get(), {}, 0}; }

struct Case {
  const char* name;
  UpstreamReply reply;
  UpstreamOutcome want;
};

TEST(JudgeReply, MapsEveryKindOfReplyToItsOutcome) {
  const int64_t now = testpki::now();
  const auto req_der = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  const auto req = ocsp::decode_request(req_der);
  ASSERT_TRUE(req.ok());
  const ocsp::Issuer issuer("Test CA", testpki::up_ref(pki().ca.get()), {});
  auto signed_status = [&](int status) {
    return testpki::make_response({{.leaf = pki().leaf.get(),
                                    .issuer = pki().ca.get(),
                                    .status = status,
                                    .revoked_at = status == V_OCSP_CERTSTATUS_REVOKED ? now - 60 : 0}},
                                  by_ca());
  };
  auto bytes = [](std::span<const uint8_t> s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  const Case cases[] = {
      {"good", FakeUpstreamClient::ok(signed_status(V_OCSP_CERTSTATUS_GOOD)), UpstreamOutcome::kGood},
      {"revoked", FakeUpstreamClient::ok(signed_status(V_OCSP_CERTSTATUS_REVOKED)),
       UpstreamOutcome::kRevoked},
      {"unknown", FakeUpstreamClient::ok(signed_status(V_OCSP_CERTSTATUS_UNKNOWN)),
       UpstreamOutcome::kUnknown},
      {"tryLater", FakeUpstreamClient::ok(bytes(ocsp::error_response_der(ocsp::ResponseCode::kTryLater))),
       UpstreamOutcome::kTryLater},
      {"unauthorized",
       FakeUpstreamClient::ok(bytes(ocsp::error_response_der(ocsp::ResponseCode::kUnauthorized))),
       UpstreamOutcome::kUnauthorized},
      {"malformedRequest",
       FakeUpstreamClient::ok(bytes(ocsp::error_response_der(ocsp::ResponseCode::kMalformedRequest))),
       UpstreamOutcome::kMalformed},
      {"internalError",
       FakeUpstreamClient::ok(bytes(ocsp::error_response_der(ocsp::ResponseCode::kInternalError))),
       UpstreamOutcome::kInvalid},
      {"garbage", FakeUpstreamClient::ok({1, 2, 3}), UpstreamOutcome::kInvalid},
      {"HTTP 404", FakeUpstreamClient::ok(signed_status(V_OCSP_CERTSTATUS_GOOD), 404),
       UpstreamOutcome::kHttpError},
      {"timeout", FakeUpstreamClient::failed(TransportStatus::kTimeout), UpstreamOutcome::kTimeout},
      {"connect", FakeUpstreamClient::failed(TransportStatus::kConnectError),
       UpstreamOutcome::kConnectError},
      {"bad HTTP", FakeUpstreamClient::failed(TransportStatus::kHttpError),
       UpstreamOutcome::kHttpError},
  };
  for (const Case& c : cases) {
    const Verdict v = judge_reply(c.reply, *req, issuer, now, 300);
    EXPECT_EQ(to_label(v.outcome), to_label(c.want)) << c.name << ": " << v.why;
    const bool answered = c.want == UpstreamOutcome::kGood || c.want == UpstreamOutcome::kRevoked ||
                          c.want == UpstreamOutcome::kUnknown;
    EXPECT_EQ(v.answer.has_value(), answered) << c.name;
    EXPECT_EQ(v.why.empty(), answered) << c.name;
  }
}

// Forward-proxy mode for an issuer that is not configured: no key to check
// the signature with, every other check still applies.
TEST(JudgeReply, WithoutAnIssuerEveryCheckButTheSignatureApplies) {
  const int64_t now = testpki::now();
  const auto req_der = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  const auto req = ocsp::decode_request(req_der);
  ASSERT_TRUE(req.ok());
  const testpki::SignSpec by_other{pki().other_ca.get(), pki().other_ca_key.get(), {}, 0};
  auto answer = [&](testpki::SignSpec signer, int64_t next_update) {
    return testpki::make_response({{.leaf = pki().leaf.get(),
                                    .issuer = pki().ca.get(),
                                    .status = V_OCSP_CERTSTATUS_GOOD,
                                    .next_update = next_update}},
                                  signer);
  };
  const Verdict unsigned_check =
      judge_reply(FakeUpstreamClient::ok(answer(by_other, now + 3600)), *req, nullptr, now, 300);
  EXPECT_EQ(unsigned_check.outcome, UpstreamOutcome::kGood) << unsigned_check.why;
  const ocsp::Issuer issuer("Test CA", testpki::up_ref(pki().ca.get()), {});
  EXPECT_EQ(judge_reply(FakeUpstreamClient::ok(answer(by_other, now + 3600)), *req, &issuer, now, 300)
                .outcome,
            UpstreamOutcome::kInvalid)
      << "with the issuer configured the foreign signature fails";
  const Verdict expired =
      judge_reply(FakeUpstreamClient::ok(answer(by_other, now - 60)), *req, nullptr, now, 300);
  EXPECT_EQ(expired.outcome, UpstreamOutcome::kInvalid) << expired.why;
  const Verdict other_cert = judge_reply(
      FakeUpstreamClient::ok(testpki::make_response(
          {{.leaf = pki().other_leaf.get(), .issuer = pki().other_ca.get(),
            .status = V_OCSP_CERTSTATUS_GOOD}},
          by_other)),
      *req, nullptr, now, 300);
  EXPECT_EQ(other_cert.outcome, UpstreamOutcome::kInvalid) << "no SingleResponse for the asked CertID";
}

TEST(UpstreamOutcome, LabelsAreDesignMdsOutcomeList) {
  const char* want[] = {"good",      "revoked", "unknown", "try_later",  "unauthorized",
                        "malformed", "invalid", "timeout", "http_error", "connect_error"};
  for (size_t i = 0; i < kUpstreamOutcomes; ++i) {
    EXPECT_EQ(to_label(static_cast<UpstreamOutcome>(i)), want[i]);
  }
}

}  // namespace
}  // namespace ocspcache
