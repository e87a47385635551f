// Log values that came from outside (a client's host name, a responder's
// error text, a config file) cannot forge a field or a line.
#include "ocspcache/util/log.h"

#include <gtest/gtest.h>

#include <string>

namespace ocspcache {
namespace {

TEST(LogQuoted, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(log::quoted("plain text"), "\"plain text\"");
  EXPECT_EQ(log::quoted(R"(a"b)"), R"("a\"b")");
  EXPECT_EQ(log::quoted(R"(back\slash)"), R"("back\\slash")");
  EXPECT_EQ(log::quoted("two\nlines\r\tand\x01"), R"("two\nlines\r\tand\x01")");
  EXPECT_EQ(log::quoted(std::string("nul\0byte", 8)), R"("nul\x00byte")");
  EXPECT_EQ(log::quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"") << "UTF-8 stays readable";
}

// Whatever the value, what quoted() returns is one field: it ends at the
// first unescaped quote, which is its last byte, and holds no line break.
TEST(LogQuoted, AForgedFieldStaysInsideTheValue) {
  const std::string forged = "x\" level=error event=forged\nts=0 level=error event=forged2 \\\"";
  const std::string q = log::quoted(forged);
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q.front(), '"');
  size_t end = 1;
  while (end < q.size() && q[end] != '"') end += q[end] == '\\' ? 2 : 1;
  EXPECT_EQ(end, q.size() - 1) << q;
  EXPECT_EQ(q.find('\n'), std::string::npos);
}

// A caller that forgot quoted(): the line still ends where the event does.
TEST(LogWrite, AnEventIsOneLineWhateverItsFields) {
  testing::internal::CaptureStderr();
  log::warn("test_event", "reason=\"a\nts=0 level=error event=forged\"");
  const std::string out = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_NE(out.find(R"(a\nts=0)"), std::string::npos) << out;
}

}  // namespace
}  // namespace ocspcache
