// One question to one Redis Sentinel: where is the primary of `master`
// (SENTINEL get-master-addr-by-name)? A short-lived connection on the loop;
// `done` runs once with the address, or nullopt and why not. The owner
// bounds it with its own timer (destroying the query ends it) and must not
// destroy it from inside `done` (hiredis is still in its callback then).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ocspcache/util/net_address.h"

struct event_base;
struct redisAsyncContext;

namespace ocspcache {

class SentinelQuery {
 public:
  struct Primary {
    std::string host;
    uint16_t port = 0;
  };
  using Done = std::function<void(std::optional<Primary> primary, std::string why)>;

  SentinelQuery(event_base* base, const RedisEndpoint& sentinel, const std::string& master,
                Done done);
  ~SentinelQuery();
  SentinelQuery(const SentinelQuery&) = delete;
  SentinelQuery& operator=(const SentinelQuery&) = delete;

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  void finish(std::optional<Primary> primary, std::string why);

  redisAsyncContext* ac_ = nullptr;
  Done done_;
  bool finished_ = false;
  bool destroying_ = false;
};

}  // namespace ocspcache
