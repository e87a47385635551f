// The small pure parts of the transport: proxy CONNECT framing and the
// stats object the metrics layer reads from another thread.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ocspcache/upstream/proxy_connect.h"
#include "ocspcache/upstream/transport_stats.h"

namespace ocspcache {
namespace {

TEST(ProxyConnect, RequestNamesTheResponderAuthority) {
  EXPECT_EQ(connect_request("ocsp.test", 443),
            "CONNECT ocsp.test:443 HTTP/1.1\r\nHost: ocsp.test:443\r\n\r\n");
  EXPECT_EQ(authority("::1", 8443), "[::1]:8443");
}

TEST(ProxyConnect, ReadsTheReplyStatus) {
  EXPECT_EQ(connect_reply_status("HTTP/1.1 200 Connection established\r\n\r\n"), 200);
  EXPECT_EQ(connect_reply_status("HTTP/1.0 403\r\n\r\n"), 403);
  EXPECT_EQ(connect_reply_status("HTTP/1.1 2000 x\r\n\r\n"), std::nullopt);
  EXPECT_EQ(connect_reply_status("SSH-2.0-x\r\n\r\n"), std::nullopt);
  EXPECT_EQ(connect_reply_status("HTTP/1.1 2x0 x\r\n\r\n"), std::nullopt);
}

TEST(TransportStats, OriginsAreStableAndSnapshotsAddUp) {
  TransportStats stats;
  TransportStats::Origin& a = stats.origin("http://a:80");
  EXPECT_EQ(&stats.origin("http://a:80"), &a);
  std::vector<std::thread> loops;
  for (int t = 0; t < 4; ++t) {
    loops.emplace_back([&stats] {
      for (int i = 0; i < 1000; ++i) {
        TransportStats::Origin& o = stats.origin(i % 2 ? "http://a:80" : "https://b:443");
        o.opened.fetch_add(1);
        o.busy.fetch_add(1);
        o.busy.fetch_sub(1);
        o.idle.fetch_add(1);
      }
    });
  }
  for (auto& t : loops) t.join();
  auto rows = stats.snapshot();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].origin, "http://a:80");
  EXPECT_EQ(rows[0].opened, 2000u);
  EXPECT_EQ(rows[0].busy, 0);
  EXPECT_EQ(rows[1].origin, "https://b:443");
  EXPECT_EQ(rows[1].idle, 2000);
}

}  // namespace
}  // namespace ocspcache
