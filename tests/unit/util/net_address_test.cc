#include "ocspcache/util/net_address.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

TEST(ParseHostPort, AcceptsNamesIpv4AndBracketedIpv6) {
  auto v4 = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_host_port("[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:8080");
  auto name = parse_host_port("localhost:80");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->to_string(), "localhost:80");
  // Port 0 = ephemeral, for tests that run many daemons.
  EXPECT_EQ(parse_host_port("127.0.0.1:0")->port, 0);
}

TEST(ParseHostPort, RejectsAmbiguousOrIncomplete) {
  for (const char* bad : {"", "127.0.0.1", ":8080", "::1:8080", "[::1]", "[::1]8080", "[nope]:80",
                          "host:65536", "host:-1", "host:80x", "host:", "ho st:80", "[::1:80"}) {
    EXPECT_EQ(parse_host_port(bad), std::nullopt) << bad;
  }
}

TEST(ParseHttpUrl, SplitsHostPortAndPath) {
  auto url = parse_http_url("http://ocsp.example.com");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->original, "http://ocsp.example.com");
  EXPECT_EQ(url->host, "ocsp.example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path, "/");

  url = parse_http_url("http://127.0.0.1:8888/ocsp/ca1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8888);
  EXPECT_EQ(url->path, "/ocsp/ca1");

  url = parse_http_url("HTTP://[::1]:81?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 81);
  EXPECT_EQ(url->path, "/?x=1");
  EXPECT_FALSE(url->https);
}

TEST(ParseHttpUrl, HttpsDefaultsToPort443) {
  auto url = parse_http_url("https://ocsp.example.com/ca");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->host, "ocsp.example.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/ca");
  url = parse_http_url("HTTPS://127.0.0.1:8443");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->port, 8443);
}

TEST(ParseHttpUrl, RejectsOtherSchemesAndBadAuthorities) {
  for (const char* bad :
       {"", "httpx://ocsp.example.com", "https://", "ftp://x", "ocsp.example.com", "http://", "http:///path",
        "http://host:0/", "http://host:99999/", "http://user:pw@host/", "http://host/a b",
        "http://host/#frag", "http://::1/"}) {
    EXPECT_EQ(parse_http_url(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace ocspcache
