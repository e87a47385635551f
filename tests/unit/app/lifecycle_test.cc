#include "ocspcache/app/lifecycle.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ocspcache {
namespace {

struct Journal {
  std::vector<std::string> lines;
  Lifecycle::Part part(const std::string& name, bool fail = false) {
    return {name,
            [this, name, fail] {
              if (fail) throw std::runtime_error(name + " cannot start");
              lines.push_back("start " + name);
            },
            [this, name] { lines.push_back("stop " + name); }};
  }
};

TEST(Lifecycle, StartsInOrderStopsInReverseOnce) {
  Journal j;
  {
    Lifecycle l;
    l.add(j.part("store"));
    l.add(j.part("workers"));
    l.add(j.part("admin"));
    l.start_all();
    EXPECT_EQ(l.started(), 3u);
    l.stop_all();
    l.stop_all();  // idempotent; the destructor adds nothing either
  }
  EXPECT_EQ(j.lines, (std::vector<std::string>{"start store", "start workers", "start admin",
                                               "stop admin", "stop workers", "stop store"}));
}

TEST(Lifecycle, AFailedStartStopsWhatHadStarted) {
  Journal j;
  Lifecycle l;
  l.add(j.part("store"));
  l.add(j.part("workers"));
  l.add(j.part("admin", /*fail=*/true));
  l.add(j.part("timers"));
  EXPECT_THROW(l.start_all(), std::runtime_error);
  EXPECT_EQ(j.lines, (std::vector<std::string>{"start store", "start workers", "stop workers",
                                               "stop store"}));
  EXPECT_EQ(l.started(), 0u);
}

TEST(Lifecycle, TheDestructorStopsWhatRuns) {
  Journal j;
  {
    Lifecycle l;
    l.add(j.part("a"));
    l.add({"no-op", nullptr, nullptr});
    l.start_all();
  }
  EXPECT_EQ(j.lines, (std::vector<std::string>{"start a", "stop a"}));
}

}  // namespace
}  // namespace ocspcache
