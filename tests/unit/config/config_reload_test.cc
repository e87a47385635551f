// What a SIGHUP can apply is derived from the schema rows (Reload::kLive),
// never from a hand-kept list: these pin the derivation, not the list.
#include <gtest/gtest.h>

#include "ocspcache/config/config.h"

namespace ocspcache {
namespace {

TEST(ConfigReload, NothingChangedNothingToRestart) {
  EXPECT_TRUE(keys_needing_restart(Config{}, Config{}).empty());
}

TEST(ConfigReload, LiveKeysNeverNeedARestart) {
  Config next;
  next.metrics.max_series = 5;
  next.metrics.track_idle = Millis{60'000};
  next.log.level = "debug";
  next.log.upstream_error_interval = Millis{0};
  next.issuers.push_back({.name = "New CA", .cert_path = "/x.pem", .responders = {}, .line = 3});
  EXPECT_TRUE(keys_needing_restart(Config{}, next).empty());
}

TEST(ConfigReload, EachChangedStartUpKeyIsNamed) {
  Config next;
  next.server.threads = 7;
  next.cache.max_bytes = 1 << 20;
  next.upstream.max_response_bytes = 1 << 20;
  next.upstream.timeout = Millis{1'000};  // live: not listed
  next.admin.listen.reset();
  next.log.level = "warn";  // live: not listed
  EXPECT_EQ(keys_needing_restart(Config{}, next),
            (std::vector<std::string>{"server.threads", "admin.listen", "cache.max_bytes",
                                      "upstream.max_response"}));
}

}  // namespace
}  // namespace ocspcache
