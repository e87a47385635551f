#include "ocspcache/http/forward_target.h"

#include <gtest/gtest.h>

#include <vector>

#include "ocspcache/http/forwarder.h"

namespace ocspcache {
namespace {

class ForwardTargetTest : public ::testing::Test {
 protected:
  HostAllowList allow{{"ocsp.example.com", "*.ca.example", "192.0.2.7", "::1"}};
  std::vector<HostPort> listen{{"ocspcache.internal", 8080}};
  SelfAddress self{*parse_ip_literal("10.0.0.5"), 8080, listen};
  ForwardDecision decide(std::string_view target, std::string_view host = "") {
    return decide_forward(target, host, allow, self);
  }
};

TEST_F(ForwardTargetTest, AbsoluteUriForAListedHostIsForwarded) {
  auto d = decide("http://OCSP.example.com:8888/path/x?q=1");
  ASSERT_TRUE(d.forward);
  EXPECT_EQ(d.target.host, "OCSP.example.com");
  EXPECT_EQ(d.target.port, 8888);
  EXPECT_EQ(d.target.path, "/path/x?q=1");
  EXPECT_FALSE(d.target.literal);
  auto bare = decide("HTTP://a.b.ca.example");
  ASSERT_TRUE(bare.forward);
  EXPECT_EQ(bare.target.port, 80);
  EXPECT_EQ(bare.target.path, "/");
}

TEST_F(ForwardTargetTest, AbsoluteUriForAnythingElseIsRefused) {
  EXPECT_EQ(decide("http://evil.example.net/").refusal, ForwardRefusal::kNotAllowed);
  EXPECT_EQ(decide("http://ca.example/").refusal, ForwardRefusal::kNotAllowed) << "apex";
  EXPECT_EQ(decide("http://user@ocsp.example.com/").refusal, ForwardRefusal::kNotAllowed);
  EXPECT_EQ(decide("http://ocsp.example.com:99999/").refusal, ForwardRefusal::kNotAllowed);
  EXPECT_EQ(decide("http://192.0.2.8/").refusal, ForwardRefusal::kIpLiteral);
  EXPECT_EQ(decide("http://[::2]:80/").refusal, ForwardRefusal::kIpLiteral);
  EXPECT_EQ(decide("https://ocsp.example.com/").refusal, ForwardRefusal::kHttps);
}

TEST_F(ForwardTargetTest, ListedLiteralsAreForwarded) {
  auto v4 = decide("http://192.0.2.7:81/");
  ASSERT_TRUE(v4.forward);
  EXPECT_TRUE(v4.target.literal);
  auto v6 = decide("http://[::1]:81/");
  ASSERT_TRUE(v6.forward);
  EXPECT_EQ(v6.target.host, "::1");
  EXPECT_EQ(Forwarder::responder_url(v6.target, "/").original, "http://[::1]:81/");
}

TEST_F(ForwardTargetTest, HostHeaderOnTheListIsForwardedOtherwiseIssuerRouting) {
  auto d = decide("/ocsp/MEow", "ocsp.example.com");
  ASSERT_TRUE(d.forward);
  EXPECT_EQ(d.target.path, "/ocsp/MEow");
  EXPECT_EQ(d.target.port, 80);
  // Names clients reach ocspcache by: not refused, routed by issuer.
  for (const char* host : {"ocspcache.example.org", "10.0.0.5:8080", "192.0.2.8", "", "bad host"}) {
    auto other = decide("/", host);
    EXPECT_FALSE(other.forward) << host;
    EXPECT_EQ(other.refusal, ForwardRefusal::kNone) << host;
  }
}

TEST_F(ForwardTargetTest, OurOwnAddressIsNeverForwarded) {
  HostAllowList everything{{"10.0.0.5", "localhost", "ocspcache.internal"}};
  for (const char* host : {"10.0.0.5:8080", "localhost:8080", "ocspcache.internal:8080"}) {
    EXPECT_FALSE(decide_forward("/", host, everything, self).forward) << host;
    EXPECT_FALSE(decide_forward(std::string("http://") + host + "/", "", everything, self).forward)
        << host;
  }
  // Without a port: us (openssl ocsp leaves the port out of Host).
  EXPECT_FALSE(decide_forward("/", "10.0.0.5", everything, self).forward);
  // The same host at another port is another server.
  EXPECT_TRUE(decide_forward("/", "10.0.0.5:9999", everything, self).forward);
}

TEST_F(ForwardTargetTest, OffWhenTheListIsEmpty) {
  HostAllowList none;
  EXPECT_FALSE(decide_forward("http://evil.example.net/", "", none, self).forward);
  EXPECT_EQ(decide_forward("https://x/", "", none, self).refusal, ForwardRefusal::kNone);
}

TEST(ForwarderUrl, LowerCasesTheHostAndKeepsThePath) {
  ForwardTarget t{"OCSP.Example.COM.", 80, "/x", false};
  const HttpUrl url = Forwarder::responder_url(t, "/ocsp");
  EXPECT_EQ(url.original, "http://ocsp.example.com/ocsp");
  EXPECT_EQ(url.host, "ocsp.example.com");
  EXPECT_EQ(url.path, "/ocsp");
  EXPECT_EQ(Forwarder::responder_url({"h", 8080, "/", false}, "").original, "http://h:8080/");
}

}  // namespace
}  // namespace ocspcache
