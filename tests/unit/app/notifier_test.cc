// The notify datagrams the unit's Type=notify relies on (sd_notify(3)):
// one state field and the STATUS= line systemctl shows. The real socket is
// exercised against the daemon in tests/integration/service_notify_test.cc.
#include "ocspcache/app/notifier.h"

#include <gtest/gtest.h>

namespace ocspcache {
namespace {

TEST(NotifyMessage, EachStateHasItsFieldAndTheStatusLine) {
  EXPECT_EQ(notify_message(ServiceState::kReady, "serving on 127.0.0.1:8080"),
            "READY=1\nSTATUS=serving on 127.0.0.1:8080");
  EXPECT_EQ(notify_message(ServiceState::kReloading, "reloading"), "RELOADING=1\nSTATUS=reloading");
  EXPECT_EQ(notify_message(ServiceState::kStopping, "draining"), "STOPPING=1\nSTATUS=draining");
  EXPECT_EQ(notify_message(ServiceState::kStatus, "x"), "STATUS=x");
}

TEST(NotifyMessage, ANewlineInTheStatusCannotForgeAField) {
  // A config error quoted into the status must not read as READY=1.
  EXPECT_EQ(notify_message(ServiceState::kStatus, "bad\nREADY=1\r"), "STATUS=bad READY=1 ");
}

}  // namespace
}  // namespace ocspcache
