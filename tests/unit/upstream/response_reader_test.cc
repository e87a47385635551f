#include "ocspcache/upstream/response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ocspcache {
namespace {

using State = ResponseReader::State;

State feed_all(ResponseReader& r, std::string_view bytes, size_t* used_total = nullptr) {
  size_t used = 0;
  State s = r.feed(bytes.data(), bytes.size(), &used);
  if (used_total != nullptr) *used_total = used;
  return s;
}

TEST(ResponseReader, Http11AnswerKeepsTheConnection) {
  ResponseReader r(1024);
  EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"), State::kMore);
  EXPECT_EQ(feed_all(r, "c"), State::kDone);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(std::string(r.body().begin(), r.body().end()), "abc");
  EXPECT_TRUE(r.keep_alive());
}

TEST(ResponseReader, ConnectionCloseAndHttp10AreNotReused) {
  ResponseReader r(1024);
  EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_FALSE(r.keep_alive());
  r.reset();
  EXPECT_EQ(feed_all(r, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"), State::kDone);
  EXPECT_FALSE(r.keep_alive());
  r.reset();
  EXPECT_EQ(feed_all(r, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx"),
            State::kDone);
  EXPECT_TRUE(r.keep_alive());
}

TEST(ResponseReader, BodyToTheCloseEndsAtEof) {
  ResponseReader r(1024);
  EXPECT_EQ(feed_all(r, "HTTP/1.0 200 OK\r\n\r\nbody"), State::kMore);
  EXPECT_EQ(r.finish_eof(), State::kDone);
  EXPECT_EQ(std::string(r.body().begin(), r.body().end()), "body");
  EXPECT_FALSE(r.keep_alive());
}

TEST(ResponseReader, CutShortIsMalformedAndSaysBytesArrived) {
  ResponseReader r(1024);
  EXPECT_FALSE(r.bytes_seen());
  EXPECT_EQ(r.finish_eof(), State::kMalformed);  // nothing at all: closed
  EXPECT_FALSE(r.bytes_seen());
  r.reset();
  EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), State::kMore);
  EXPECT_EQ(r.finish_eof(), State::kMalformed);
  EXPECT_TRUE(r.bytes_seen());
}

TEST(ResponseReader, ChunkedAndRetryAfter) {
  ResponseReader r(1024);
  EXPECT_EQ(feed_all(r,
                     "HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nok\r\n0\r\n\r\n"),
            State::kDone);
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.retry_after(), "120");
  EXPECT_EQ(std::string(r.body().begin(), r.body().end()), "ok");
  EXPECT_TRUE(r.keep_alive());
}

TEST(ResponseReader, OverTheLimitIsRefused) {
  ResponseReader announced(4);
  EXPECT_EQ(feed_all(announced, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), State::kTooLarge);
  ResponseReader streamed(4);
  EXPECT_EQ(feed_all(streamed, "HTTP/1.0 200 OK\r\n\r\n12345"), State::kTooLarge);
}

TEST(ResponseReader, InterimAnswersAreSkippedAndStrayBytesLeftUnread) {
  ResponseReader r(1024);
  const std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
  size_t used = 0;
  EXPECT_EQ(feed_all(r, bytes, &used), State::kDone);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(bytes.substr(used), "EXTRA");
}

TEST(ResponseReader, GarbageIsMalformed) {
  ResponseReader r(1024);
  EXPECT_EQ(feed_all(r, "SSH-2.0-OpenSSH\r\n"), State::kMalformed);
}

}  // namespace
}  // namespace ocspcache
