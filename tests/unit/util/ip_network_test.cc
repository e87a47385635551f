#include "ocspcache/util/ip_network.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

IpAddress ip(std::string_view text) {
  auto a = parse_ip_literal(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

TEST(IpNetwork, ParsesRangesAndBareAddresses) {
  auto p = parse_ip_network("10.0.0.0/8");
  ASSERT_TRUE(p.network) << p.error;
  EXPECT_TRUE(p.network->contains(ip("10.255.1.2")));
  EXPECT_FALSE(p.network->contains(ip("11.0.0.1")));
  EXPECT_EQ(p.network->to_string(), "10.0.0.0/8");

  p = parse_ip_network("172.16.0.0/12");
  ASSERT_TRUE(p.network);
  EXPECT_TRUE(p.network->contains(ip("172.31.255.255")));
  EXPECT_FALSE(p.network->contains(ip("172.32.0.0")));

  p = parse_ip_network("192.0.2.7");
  ASSERT_TRUE(p.network);
  EXPECT_EQ(p.network->prefix, 32);
  EXPECT_TRUE(p.network->contains(ip("192.0.2.7")));
  EXPECT_FALSE(p.network->contains(ip("192.0.2.8")));

  p = parse_ip_network("2001:db8::/32");
  ASSERT_TRUE(p.network);
  EXPECT_TRUE(p.network->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(p.network->contains(ip("2001:db9::1")));
  EXPECT_FALSE(p.network->contains(ip("10.0.0.1"))) << "families never mix";

  p = parse_ip_network("0.0.0.0/0");
  ASSERT_TRUE(p.network);
  EXPECT_TRUE(p.network->contains(ip("203.0.113.9")));
  EXPECT_FALSE(p.network->contains(ip("::1")));
}

TEST(IpNetwork, ErrorsSayWhatIsWrong) {
  auto p = parse_ip_network("10.1.2.3/8");
  EXPECT_FALSE(p.network);
  EXPECT_NE(p.error.find("did you mean 10.0.0.0/8"), std::string::npos) << p.error;
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "example.com",
                          "", "/8", "[::1]/128", "10.0.0.0/-1", "10.0.0.0/8/8"}) {
    p = parse_ip_network(bad);
    EXPECT_FALSE(p.network) << bad;
    EXPECT_FALSE(p.error.empty()) << bad;
  }
}

// A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d.
TEST(IpNetwork, MappedAddressesAreJudgedAsTheirIpv4) {
  const IpNetworkList list = IpNetworkList::parse({"192.168.0.0/16"});
  EXPECT_TRUE(list.contains(ip("::ffff:192.168.4.5")));
  EXPECT_FALSE(list.contains(ip("::ffff:8.8.8.8")));
  EXPECT_EQ(client_key(ip("::ffff:192.0.2.1")), client_key(ip("192.0.2.1")));
}

TEST(IpNetwork, TheDefaultTrackedClientsAreLoopbackAndPrivate) {
  const IpNetworkList list = IpNetworkList::loopback_and_private();
  for (const char* in : {"127.0.0.1", "127.8.9.10", "10.1.1.1", "172.20.0.1", "192.168.1.1", "::1",
                         "fd00::5"}) {
    EXPECT_TRUE(list.contains(ip(in))) << in;
  }
  for (const char* out : {"8.8.8.8", "172.32.0.1", "100.64.0.1", "2001:db8::1", "::2"}) {
    EXPECT_FALSE(list.contains(ip(out))) << out;
  }
}

// One host is handed a whole IPv6 /64: it is one client.
TEST(IpNetwork, ClientKeysGroupIpv6ByItsSlash64) {
  EXPECT_EQ(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:2:ffff::9")));
  EXPECT_NE(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:3::1")));
  EXPECT_NE(client_key(ip("10.0.0.1")), client_key(ip("10.0.0.2")));
  EXPECT_NE(client_key(ip("0.0.0.1")), client_key(ip("::1"))) << "families never share a key";
}

}  // namespace
}  // namespace ocspcache
