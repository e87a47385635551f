// A subscription to one Sentinel's "+switch-master" channel: `on_switch`
// runs (on the loop) with the new primary's address whenever Sentinel
// announces a failover of `master`. What lets a connection move as soon as
// the sentinels decide, not only when its old primary drops it or refuses
// a write. `on_lost` runs once if the subscription ends (the owner may
// start another; not from inside the callback).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ocspcache/util/net_address.h"

struct event_base;
struct redisAsyncContext;

namespace ocspcache {

class SentinelWatch {
 public:
  SentinelWatch(event_base* base, const RedisEndpoint& sentinel, std::string master,
                std::function<void(const std::string& host, uint16_t port)> on_switch,
                std::function<void()> on_lost);
  ~SentinelWatch();
  SentinelWatch(const SentinelWatch&) = delete;
  SentinelWatch& operator=(const SentinelWatch&) = delete;

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_message(redisAsyncContext* ac, void* reply, void* privdata);
  void lost();

  redisAsyncContext* ac_ = nullptr;
  std::string master_;
  std::function<void(const std::string&, uint16_t)> on_switch_;
  std::function<void()> on_lost_;
  bool destroying_ = false;
  bool lost_ = false;
};

}  // namespace ocspcache
