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

}  // namespace
}  // namespace ocspcache
