#include "ocspcache/upstream/route_table.h"

#include <gtest/gtest.h>

#include "test_pki.h"

namespace ocspcache {
namespace {

using testpki::pki;

std::shared_ptr<const ocsp::IssuerRegistry> two_issuers() {
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()),
                       std::vector<HttpUrl>{*parse_http_url("http://a/"), *parse_http_url("http://shared/")});
  issuers.emplace_back("Other CA", testpki::up_ref(pki().other_ca.get()),
                       std::vector<HttpUrl>{*parse_http_url("http://shared/")});
  return std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers));
}

const Route* route_for(const RouteTable& t, const std::vector<testpki::ReqCert>& certs) {
  const auto der = testpki::make_request(certs);
  auto req = ocsp::decode_request(der);
  EXPECT_TRUE(req.ok());
  return t.find(*req);
}

TEST(RouteTable, RoutesByIssuerToItsRespondersInOrder) {
  ResponderSet set;
  RouteTable t(two_issuers(), set);
  const Route* r = route_for(t, {{pki().leaf.get(), pki().ca.get()}});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->issuer->name(), "Test CA");
  ASSERT_EQ(r->responders.size(), 2u);
  EXPECT_EQ(r->responders[0]->url().original, "http://a/");
  EXPECT_EQ(r->responders[1]->url().original, "http://shared/");
  const Route* other = route_for(t, {{pki().other_leaf.get(), pki().other_ca.get(), EVP_sha256()}});
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->issuer->name(), "Other CA");
  EXPECT_EQ(other->responders[0], r->responders[1]) << "one Responder object per URL";
}

TEST(RouteTable, EveryCertIdMustNameTheSameConfiguredIssuer) {
  ResponderSet set;
  RouteTable t(two_issuers(), set);
  EXPECT_NE(route_for(t, {{pki().leaf.get(), pki().ca.get()}, {pki().leaf2.get(), pki().ca.get()}}),
            nullptr);
  EXPECT_EQ(route_for(t, {{pki().leaf.get(), pki().ca.get()},
                          {pki().other_leaf.get(), pki().other_ca.get()}}),
            nullptr)
      << "one request, two issuers: no single issuer can verify the answer";
  RouteTable empty(std::make_shared<const ocsp::IssuerRegistry>(), set);
  EXPECT_EQ(route_for(empty, {{pki().leaf.get(), pki().ca.get()}}), nullptr);
}

TEST(ResponderSet, AForwardedResponderStopsBeingOneWhenConfigured) {
  ResponderSet set;
  const HttpUrl url = *parse_http_url("http://ocsp.example/");
  std::shared_ptr<Responder> forwarded = set.get_forwarded(url, 8);
  ASSERT_NE(forwarded, nullptr);
  EXPECT_TRUE(forwarded->forwarded());
  EXPECT_FALSE(set.get(*parse_http_url("http://configured.example/"))->forwarded());
  // A reload lists the same URL: the operator's word, no address check.
  EXPECT_EQ(set.get(url), forwarded);
  EXPECT_FALSE(forwarded->forwarded());
}

TEST(RouteTable, AReloadedTableKeepsTheResponderObjects) {
  ResponderSet set;
  RouteTable before(two_issuers(), set);
  route_for(before, {{pki().leaf.get(), pki().ca.get()}})->responders[0]->record("Test CA", UpstreamOutcome::kTimeout,
                                                                                   "timeout", 7, 0);
  RouteTable after(two_issuers(), set);  // SIGHUP with the same responders
  const Route* r = route_for(after, {{pki().leaf.get(), pki().ca.get()}});
  EXPECT_EQ(r->responders[0]->health().last_error_at, 7) << "health survives the reload";
}

}  // namespace
}  // namespace ocspcache
