// A connection to one Redis Sentinel carrying one command: the question
// "where is the primary of `master`?" (ask_primary) or the subscription to
// "+switch-master" (watch_switch_master). Short-lived or long, both need
// the same care with hiredis: the link is the command's privdata for the
// context's whole life (a subscription's callback runs once per message),
// and destroying the link ends it without calling anyone back. The owner
// must not destroy a link from inside one of its callbacks (hiredis is
// still in its own then), and bounds a question with its own timer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ocspcache/util/net_address.h"

struct event_base;
struct redisAsyncContext;
struct redisReply;

namespace ocspcache {

class SentinelLink {
 public:
  using OnReply = std::function<void(const redisReply& reply)>;  // each reply or message
  using OnEnd = std::function<void(std::string why)>;             // once: connect failed, link lost

  SentinelLink(event_base* base, const RedisEndpoint& sentinel, std::span<const std::string_view> argv,
               OnReply on_reply, OnEnd on_end);
  ~SentinelLink();
  SentinelLink(const SentinelLink&) = delete;
  SentinelLink& operator=(const SentinelLink&) = delete;

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);
  void end(std::string why);

  redisAsyncContext* ac_ = nullptr;
  OnReply on_reply_;
  OnEnd on_end_;
  bool ended_ = false;
  bool destroying_ = false;
};

struct SentinelPrimary {
  std::string host;
  uint16_t port = 0;
};

// SENTINEL get-master-addr-by-name `master`: `done` runs once, with the
// primary or nullopt and why not.
std::unique_ptr<SentinelLink> ask_primary(
    event_base* base, const RedisEndpoint& sentinel, const std::string& master,
    std::function<void(std::optional<SentinelPrimary> primary, std::string why)> done);

// SUBSCRIBE +switch-master: `on_switch` with the new primary of `master`
// at each failover announced; `on_lost` once if the subscription ends.
std::unique_ptr<SentinelLink> watch_switch_master(
    event_base* base, const RedisEndpoint& sentinel, std::string master,
    std::function<void(const SentinelPrimary& primary)> on_switch, std::function<void()> on_lost);

}  // namespace ocspcache
