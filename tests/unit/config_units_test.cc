// The value syntaxes of the config file (units.cc): what is accepted, and
// that everything ambiguous or out of range is refused rather than guessed.
#include <gtest/gtest.h>

#include "ocspcache/config/config.h"

namespace ocspcache {
namespace {

TEST(ParseDuration, AcceptsIntegerWithUnit) {
  EXPECT_EQ(parse_duration("250ms"), Millis{250});
  EXPECT_EQ(parse_duration("3s"), Millis{3000});
  EXPECT_EQ(parse_duration("5m"), Millis{300'000});
  EXPECT_EQ(parse_duration("1h"), Millis{3'600'000});
  EXPECT_EQ(parse_duration("1d"), Millis{86'400'000});
  EXPECT_EQ(parse_duration("0s"), Millis{0});
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (const char* bad :
       {"", "3", "s", "-3s", "+3s", "1.5s", "3 s", " 3s", "3s ", "3sec", "3 seconds", "3S", "3us",
        "1h30m", "99999999999999999999s", "9999999999999999d"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(ParseSize, AcceptsBytesAndBinaryUnits) {
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_EQ(parse_size("100B"), 100u);
  EXPECT_EQ(parse_size("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_size("512MiB"), 512u * 1024 * 1024);
  EXPECT_EQ(parse_size("1GiB"), size_t{1} << 30);
  EXPECT_EQ(parse_size("2TiB"), size_t{2} << 40);
}

TEST(ParseSize, RejectsDecimalUnitsAndGarbage) {
  // KB/MB/GB are 1000-multiples to SI but 1024-multiples to Redis and nginx:
  // refused so nobody gets the one they did not mean.
  for (const char* bad :
       {"", "KiB", "64KB", "64kb", "64K", "64k", "1MB", "1M", "1GB", "-1", "1.5MiB", "64 KiB",
        "64kib", "0x10", "99999999999TiB", "99999999999999999999"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
  }
}

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
}

TEST(ParseHttpUrl, RejectsOtherSchemesAndBadAuthorities) {
  for (const char* bad :
       {"", "https://ocsp.example.com", "ftp://x", "ocsp.example.com", "http://", "http:///path",
        "http://host:0/", "http://host:99999/", "http://user:pw@host/", "http://host/a b",
        "http://host/#frag", "http://::1/"}) {
    EXPECT_EQ(parse_http_url(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace ocspcache
