#include "ocspcache/util/result.h"

#include <gtest/gtest.h>

#include <string>


namespace ocspcache {
namespace {

enum class E { kBad };

Result<std::string, E> half(int x) {
  if (x % 2) return Err{E::kBad};
  return std::to_string(x / 2);
}

TEST(Result, CarriesValueOrError) {
  auto a = half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "2");
  auto b = half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), E::kBad);
}

}  // namespace
}  // namespace ocspcache
