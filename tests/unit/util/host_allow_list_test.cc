#include "ocspcache/util/host_allow_list.h"

#include <gtest/gtest.h>

#include "ocspcache/util/ip_address.h"

namespace ocspcache {
namespace {

TEST(HostAllowList, ExactNamesMatchCaseInsensitivelyAndOnlyThemselves) {
  HostAllowList allow({"ocsp.example.com"});
  EXPECT_TRUE(allow.allows_name("ocsp.example.com"));
  EXPECT_TRUE(allow.allows_name("OCSP.Example.COM"));
  EXPECT_TRUE(allow.allows_name("ocsp.example.com."));  // absolute form
  EXPECT_FALSE(allow.allows_name("x.ocsp.example.com"));
  EXPECT_FALSE(allow.allows_name("example.com"));
  EXPECT_FALSE(allow.allows_name("ocsp.example.com.evil.net"));
  EXPECT_FALSE(allow.allows_name(""));
}

TEST(HostAllowList, WildcardMatchesOneOrMoreLabelsBelowNeverTheApex) {
  HostAllowList allow({"*.Example.com"});
  EXPECT_TRUE(allow.allows_name("ocsp.example.com"));
  EXPECT_TRUE(allow.allows_name("a.b.example.com"));
  EXPECT_FALSE(allow.allows_name("example.com"));
  EXPECT_FALSE(allow.allows_name("badexample.com"));
  EXPECT_FALSE(allow.allows_name(".example.com"));
  EXPECT_FALSE(allow.allows_name("a..example.com"));
  EXPECT_FALSE(allow.allows_name("a/b.example.com")) << "nothing odd reaches a URL";
  EXPECT_FALSE(allow.allows_name("a b.example.com"));
}

TEST(HostAllowList, AddressesAreListedAsAddressesNotAsNames) {
  HostAllowList allow({"127.0.0.1", "[::1]", "2001:db8::7"});
  EXPECT_TRUE(allow.lists(*parse_ip_literal("127.0.0.1")));
  EXPECT_TRUE(allow.lists(*parse_ip_literal("::1")));
  EXPECT_TRUE(allow.lists(*parse_ip_literal("[2001:db8:0::7]")));  // same address, other spelling
  EXPECT_FALSE(allow.lists(*parse_ip_literal("127.0.0.2")));
  EXPECT_FALSE(allow.allows_name("127.0.0.1"));
  EXPECT_FALSE(HostAllowList({"localhost"}).lists(*parse_ip_literal("127.0.0.1")));
}

TEST(HostAllowList, EntriesAreCheckedForTheConfig) {
  for (const char* good : {"ocsp.example.com", "*.example.com", "127.0.0.1", "::1", "[::1]",
                           "ocsp_x.example.com", "localhost"}) {
    EXPECT_EQ(host_pattern_problem(good), std::nullopt) << good;
  }
  for (const char* bad : {"", "*", "*.com", "a.*.example.com", "*example.com", "ocsp.example.com:80",
                          "http://ocsp.example.com", "-a.example.com", "a..b", "a b"}) {
    EXPECT_NE(host_pattern_problem(bad), std::nullopt) << bad;
  }
}

TEST(IpAddress, SpecialRangesAreRecognised) {
  for (const char* special :
       {"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1",
        "172.31.255.255", "192.168.1.1", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::",
        "::1", "fc00::1", "fd12::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "64:ff9b::a00:1"}) {
    auto a = parse_ip_literal(special);
    ASSERT_TRUE(a) << special;
    EXPECT_TRUE(is_special_address(*a)) << special;
  }
  for (const char* pub : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.2.1", "2001:db8::1",
                          "2606:4700::1", "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    auto a = parse_ip_literal(pub);
    ASSERT_TRUE(a) << pub;
    EXPECT_FALSE(is_special_address(*a)) << pub;
  }
}

TEST(IpAddress, LiteralsOnly) {
  for (const char* no : {"", "localhost", "1.2.3", "[1.2.3.4]", "1.2.3.4:80", "[::1", "::1]"}) {
    EXPECT_EQ(parse_ip_literal(no), std::nullopt) << no;
  }
  EXPECT_EQ(parse_ip_literal("[::1]")->to_string(), "::1");
  EXPECT_EQ(parse_ip_literal("192.0.2.1")->to_string(), "192.0.2.1");
}

}  // namespace
}  // namespace ocspcache
