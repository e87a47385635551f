// One asynchronous connection to Redis on an event loop (hiredis 0.14 and
// its libevent adapter), with what hiredis leaves to its user: a connect
// timeout and a timeout per command (on loop timers), login (AUTH, SELECT),
// and reconnection with exponential back-off and jitter.
//
// A command that times out takes the connection down with it: every
// command still waiting fails at once, and until the reconnect succeeds
// each new command fails without being sent. That is the breaker: a client
// request waits at most one redis.timeout for a Redis that stopped
// answering, and the ones after it do not wait at all.
//
// Loop thread only. Commands are pipelined: sent as they come, their
// replies matched in order by hiredis.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/cache/shared_store.h"
#include "ocspcache/redis/redis_commands.h"
#include "ocspcache/util/net_address.h"
#include "ocspcache/redis/sentinel_link.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/jitter.h"
#include "ocspcache/util/loop_timers.h"

struct event_base;
struct redisAsyncContext;
struct redisReply;

namespace ocspcache {

class RedisConnection final : public RedisCommands {
 public:
  struct Options {
    RedisEndpoint endpoint;
    Millis timeout{250};  // connect (and login), and each command
    Millis min_backoff{100};
    Millis max_backoff{5'000};
    // Sentinel mode (redis.sentinels + redis.master_name): the primary's
    // address is asked of the sentinels (in turn, the last one that
    // answered first) before every connect; `endpoint` then gives only the
    // password and db. A node that is not the primary at login, a
    // READONLY reply, a dropped connection (Sentinel kills the clients of
    // a demoted primary) or a "+switch-master" announcement on the
    // sentinel's channel (subscribed while up) leads to asking again.
    std::vector<RedisEndpoint> sentinels;
    std::string master_name;
    // Called on the loop each time the connection is up (logged in).
    std::function<void()> on_up;
  };

  RedisConnection(event_base* base, Options options, SharedStoreStats& stats, uint64_t seed);
  ~RedisConnection() override;
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts the first connect (once the loop runs, or now).
  void start() override;
  bool up() const { return state_ == State::kUp; }
  // What the server said it is at login (ROLE): "master", "slave", "".
  const std::string& role() const { return role_; }
  // The server in use (the primary found, in Sentinel mode).
  const RedisEndpoint& endpoint() const { return current_; }
  // Drops the connection and connects again (in Sentinel mode, asking
  // where the primary is first): a reply said this is not the server to use.
  void reset(std::string_view why) override;

  // `key` is not used: one server holds every key.
  void command(std::string_view key, std::span<const std::string_view> argv, Done done) override;
  using RedisCommands::command;
  // ASKING then `argv`, back to back on this connection (a cluster's ASK).
  void command_after_asking(std::span<const std::string_view> argv, Done done);

 private:
  enum class State { kDown, kConnecting, kUp };
  struct Cmd;
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);

  void connect();
  void connect_to(const RedisEndpoint& endpoint);
  void ask_sentinel(size_t tried);
  void watch_sentinel();
  void send(std::span<const std::string_view> argv, Done done, bool login);
  void logged_in();
  void lost(std::string_view why);  // drops the context; reconnects later
  void schedule_reconnect();
  void set_up(bool up);

  event_base* base_;
  Options options_;
  SharedStoreStats& stats_;
  Jitter jitter_;
  LoopTimers timers_;
  State state_ = State::kDown;
  redisAsyncContext* ac_ = nullptr;  // owned by hiredis once attached; freed via lost()
  bool counted_up_ = false;
  bool closing_ = false;
  bool ever_up_ = false;
  int login_pending_ = 0;
  Millis backoff_;
  LoopTimers::TimerId connect_timer_ = 0;
  LoopTimers::TimerId reconnect_timer_ = 0;
  std::string role_;
  RedisEndpoint current_;
  std::unique_ptr<SentinelLink> query_;
  uint64_t query_gen_ = 0;
  size_t sentinel_first_ = 0;  // the one that answered last is asked first
  LoopTimers::TimerId query_timer_ = 0;
  std::unique_ptr<SentinelLink> watch_;  // +switch-master, while up in Sentinel mode
};

}  // namespace ocspcache
