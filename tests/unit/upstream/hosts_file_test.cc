#include "ocspcache/upstream/hosts_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace ocspcache {
namespace {

constexpr std::string_view kHosts =
    "# comment line\n"
    "127.0.0.1\tlocalhost\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "192.0.2.7 ocsp.pinned.test  OCSP2.Pinned.Test # trailing comment\n"
    "not-an-ip ocsp.bad.test\n"
    "#192.0.2.9 ocsp.commented.test\n"
    "192.0.2.8 ocsp.pinned.test\r\n";

TEST(HostsFile, FindsEveryAddressOfANameIpv4First) {
  auto addrs = hosts_lookup(kHosts, "localhost");
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[0].family, AF_INET);
  EXPECT_EQ(addrs[1].family, AF_INET6);
  addrs = hosts_lookup(kHosts, "ocsp.pinned.test");
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[0].bytes[3], 7);
  EXPECT_EQ(addrs[1].bytes[3], 8);
}

TEST(HostsFile, AliasesMatchCaseInsensitively) {
  auto addrs = hosts_lookup(kHosts, "ocsp2.pinned.test");
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(addrs[0].bytes[3], 7);
}

TEST(HostsFile, SkipsCommentsAndMalformedLines) {
  EXPECT_TRUE(hosts_lookup(kHosts, "ocsp.bad.test").empty());
  EXPECT_TRUE(hosts_lookup(kHosts, "ocsp.commented.test").empty());
  EXPECT_TRUE(hosts_lookup(kHosts, "comment").empty());
  EXPECT_TRUE(hosts_lookup(kHosts, "").empty());
  EXPECT_TRUE(hosts_lookup("", "localhost").empty());
}

}  // namespace
}  // namespace ocspcache
