// What the Redis tier asks of "Redis": send a command about one key and get
// its reply on the loop. One server (RedisConnection, also behind Sentinel)
// or a cluster (RedisCluster, which routes by the key's slot and follows
// MOVED/ASK). Every command of the tier names exactly one key.
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
#include <string_view>

struct redisReply;

namespace ocspcache {

class RedisCommands {
 public:
  // `reply` is null when the command failed: no server up for it (at
  // once), timed out, or lost before its reply. An error reply is a reply.
  using Done = std::function<void(const redisReply* reply)>;

  virtual ~RedisCommands() = default;
  virtual void start() = 0;
  virtual void command(std::string_view key, std::span<const std::string_view> argv, Done done) = 0;
  void command(std::string_view key, std::initializer_list<std::string_view> argv, Done done) {
    command(key, std::span<const std::string_view>(argv.begin(), argv.size()), std::move(done));
  }
  // A reply said the server that sent it must not be used (READONLY): drop
  // it and find the right one again.
  virtual void reset(std::string_view why) = 0;
};

}  // namespace ocspcache
