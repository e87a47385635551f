#include "ocspcache/redis/redis_connection.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <vector>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {
namespace {

// One line per reason per 10 s for all connections: a Redis outage is seen
// by every worker at once.
log::Limiter& redis_log() {
  static log::Limiter limiter{Millis{10'000}};
  return limiter;
}

void warn_limited(std::string_view event, std::string fields) {
  redis_log().warn(event, event, std::move(fields));
}

using SteadyClock = std::chrono::steady_clock;

}  // namespace

// Handed to hiredis as a command's privdata; hiredis calls on_reply exactly
// once for it (with a null reply when the context goes away first).
struct RedisConnection::Cmd {
  RedisConnection* conn;
  Done done;
  bool login;
  SteadyClock::time_point sent;
  LoopTimers::TimerId timer = 0;
};

RedisConnection::RedisConnection(event_base* base, Options options, SharedStoreStats& stats,
                                 uint64_t seed)
    : base_(base),
      options_(std::move(options)),
      stats_(stats),
      jitter_(seed),
      timers_(base, system_clock()),
      backoff_(options_.min_backoff),
      current_(options_.endpoint) {
  stats_.connections.fetch_add(1, std::memory_order_relaxed);
}

RedisConnection::~RedisConnection() {
  closing_ = true;  // the callbacks hiredis makes while freeing call no one
  set_up(false);
  stats_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (redisAsyncContext* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

void RedisConnection::start() {
  connect();
}

void RedisConnection::set_up(bool up) {
  if (up == counted_up_) return;
  counted_up_ = up;
  stats_.connections_up.fetch_add(up ? 1 : -1, std::memory_order_relaxed);
}

void RedisConnection::connect() {
  reconnect_timer_ = 0;
  if (options_.sentinels.empty()) {
    connect_to(options_.endpoint);
  } else {
    ask_sentinel(0);
  }
}

void RedisConnection::ask_sentinel(size_t tried) {
  const size_t n = options_.sentinels.size();
  if (tried == n) {
    stats_.bump(stats_.errors_connect);
    schedule_reconnect();
    return;
  }
  const size_t index = (sentinel_first_ + tried) % n;
  const RedisEndpoint& sentinel = options_.sentinels[index];
  const uint64_t gen = ++query_gen_;
  // Each way the question ends moves on once: the answer, a failure, or
  // the timer, whichever comes first (the others see a newer generation).
  auto next = [this, gen, tried, index](std::optional<SentinelPrimary> primary,
                                        std::string why) {
    if (gen != query_gen_) return;
    ++query_gen_;
    if (query_timer_ != 0) timers_.cancel(query_timer_);
    query_timer_ = 0;
    // Not from inside the query's hiredis callback: on the next turn.
    timers_.after(
        Millis{0}, [this, tried, index, primary = std::move(primary), why = std::move(why)] {
          const RedisEndpoint& asked = options_.sentinels[index];
          query_.reset();
          if (!primary) {
            warn_limited("redis_sentinel_failed",
                         "sentinel=" + log::quoted(asked.address()) + " master_name=" +
                             log::quoted(options_.master_name) + " reason=" + log::quoted(why));
            ask_sentinel(tried + 1);
            return;
          }
          sentinel_first_ = index;
          RedisEndpoint ep = options_.endpoint;  // password and db
          ep.host = primary->host;
          ep.port = primary->port;
          ep.unix_path.clear();
          connect_to(ep);
        });
  };
  query_timer_ = timers_.after(options_.timeout, [next] { next(std::nullopt, "timeout"); });
  query_ = ask_primary(base_, sentinel, options_.master_name, next);
}

void RedisConnection::watch_sentinel() {
  watch_ = watch_switch_master(
      base_, options_.sentinels[sentinel_first_], options_.master_name,
      [this](const SentinelPrimary& primary) {
        if (primary.host == current_.host && primary.port == current_.port) return;
        log::info("redis_switch_master",
                  "from=" + log::quoted(current_.address()) + " to=" +
                      log::quoted(primary.host + ":" + std::to_string(primary.port)));
        reset("+switch-master");
      },
      [this] {
        // Lost the subscription: another sentinel, a second later, while up.
        timers_.after(Millis{1'000}, [this] {
          watch_.reset();
          sentinel_first_ = (sentinel_first_ + 1) % options_.sentinels.size();
          if (state_ == State::kUp) watch_sentinel();
        });
      });
}

void RedisConnection::reset(std::string_view why) {
  if (state_ == State::kDown) return;
  warn_limited("redis_reset",
               "address=" + log::quoted(current_.address()) + " reason=" + log::quoted(why));
  lost(why);
}

void RedisConnection::connect_to(const RedisEndpoint& endpoint) {
  current_ = endpoint;
  stats_.set_address(current_.address());
  const RedisEndpoint& ep = current_;
  // hiredis resolves a host name with a blocking getaddrinfo: use an
  // address (or a name /etc/hosts answers) in redis.url.
  redisAsyncContext* ac = ep.unix_path.empty() ? redisAsyncConnect(ep.host.c_str(), ep.port)
                                               : redisAsyncConnectUnix(ep.unix_path.c_str());
  if (ac == nullptr || ac->err) {
    stats_.bump(stats_.errors_connect);
    warn_limited("redis_connect_failed", "address=" + log::quoted(ep.address()) + " reason=" +
                                             log::quoted(ac ? ac->errstr : "out of memory"));
    if (ac) redisAsyncFree(ac);
    schedule_reconnect();
    return;
  }
  ac->data = this;
  redisLibeventAttach(ac, base_);
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect);
  ac_ = ac;
  state_ = State::kConnecting;
  role_.clear();
  // Login is pipelined behind the connect; hiredis sends it once connected.
  login_pending_ = 0;
  if (!ep.password.empty()) {
    ++login_pending_;
    const std::string_view auth[] = {"AUTH", ep.password};
    send(auth, nullptr, true);
  }
  if (ep.db != 0) {
    ++login_pending_;
    const std::string db = std::to_string(ep.db);
    const std::string_view select[] = {"SELECT", db};
    send(select, nullptr, true);
  }
  ++login_pending_;
  const std::string_view role[] = {"ROLE"};
  send(role, nullptr, true);
  connect_timer_ = timers_.after(options_.timeout, [this] {
    connect_timer_ = 0;
    if (state_ == State::kConnecting) {
      stats_.bump(stats_.errors_connect);
      lost("connect timeout");
    }
  });
}

void RedisConnection::command(std::string_view, std::span<const std::string_view> argv, Done done) {
  if (state_ != State::kUp) {
    done(nullptr);  // the breaker: no waiting on a Redis that is not there
    return;
  }
  send(argv, std::move(done), false);
}

void RedisConnection::command_after_asking(std::span<const std::string_view> argv, Done done) {
  if (state_ != State::kUp) {
    done(nullptr);
    return;
  }
  const std::string_view asking[] = {"ASKING"};
  send(asking, nullptr, false);
  send(argv, std::move(done), false);
}

void RedisConnection::send(std::span<const std::string_view> argv, Done done, bool login) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto cmd = std::make_unique<Cmd>(Cmd{this, std::move(done), login, SteadyClock::now()});
  if (redisAsyncCommandArgv(ac_, &RedisConnection::on_reply, cmd.get(),
                            static_cast<int>(ptrs.size()), ptrs.data(), lens.data()) != REDIS_OK) {
    // Not queued (the context is going away): hiredis will not call back.
    if (cmd->done) cmd->done(nullptr);
    return;
  }
  Cmd* raw = cmd.release();  // hiredis holds it until on_reply
  if (!login) {
    raw->timer = timers_.after(options_.timeout, [this] {
      stats_.bump(stats_.errors_timeout);
      warn_limited("redis_timeout", "address=" + log::quoted(current_.address()) +
                                        " timeout_ms=" + std::to_string(options_.timeout.count()));
      lost("command timeout");
    });
  }
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply_ptr, void* privdata) {
  std::unique_ptr<Cmd> cmd(static_cast<Cmd*>(privdata));
  RedisConnection* self = cmd->conn;
  if (self->closing_) return;
  if (cmd->timer != 0) self->timers_.cancel(cmd->timer);
  const auto* reply = static_cast<const redisReply*>(reply_ptr);
  if (cmd->login) {
    if (reply == nullptr) return;  // lost while logging in: lost() reconnects
    if (reply->type == REDIS_REPLY_ERROR) {
      self->stats_.bump(self->stats_.errors_reply);
      warn_limited("redis_login_failed",
                   "address=" + log::quoted(self->current_.address()) +
                       " reason=" + log::quoted(std::string_view(reply->str, reply->len)));
      self->lost("login refused");
      return;
    }
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {  // ROLE
      self->role_.assign(reply->element[0]->str, reply->element[0]->len);
    }
    if (--self->login_pending_ == 0) self->logged_in();
    return;
  }
  if (reply != nullptr) {
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - cmd->sent).count();
    self->stats_.observe(seconds);
  }
  if (cmd->done) cmd->done(reply);
}

void RedisConnection::logged_in() {
  if (connect_timer_ != 0) timers_.cancel(connect_timer_);
  connect_timer_ = 0;
  if (!options_.sentinels.empty() && role_ != "master") {
    // Sentinel named a node that is no longer (or not yet) the primary.
    warn_limited("redis_not_primary",
                 "address=" + log::quoted(current_.address()) + " role=" + role_);
    lost("not the primary");
    return;
  }
  state_ = State::kUp;
  backoff_ = options_.min_backoff;
  set_up(true);
  if (ever_up_) stats_.bump(stats_.reconnects);
  ever_up_ = true;
  stats_.role.store(role_ == "master" ? 1 : role_ == "slave" ? 2 : 0, std::memory_order_relaxed);
  if (!options_.sentinels.empty() && !watch_) watch_sentinel();
  if (options_.on_up) options_.on_up();
  log::info("redis_connected", "address=" + log::quoted(current_.address()) +
                                   " role=" + (role_.empty() ? std::string("unknown") : role_));
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status == REDIS_OK || self->closing_) return;
  // hiredis frees the context after this callback.
  self->stats_.bump(self->stats_.errors_connect);
  warn_limited("redis_connect_failed", "address=" + log::quoted(self->current_.address()) +
                                           " reason=" + log::quoted(ac->errstr));
  if (self->ac_ == ac) self->ac_ = nullptr;
  self->lost("connect failed");
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self->closing_) return;
  // The context is being freed by hiredis (server closed, error, or our
  // own redisAsyncFree in lost()).
  const bool ours = self->ac_ == ac;
  if (ours) self->ac_ = nullptr;
  if (ours && status != REDIS_OK) {
    warn_limited("redis_disconnected", "address=" + log::quoted(self->current_.address()) +
                                           " reason=" + log::quoted(ac->errstr));
  }
  if (ours) self->lost("disconnected");
}

void RedisConnection::lost(std::string_view) {
  const bool was_up = state_ == State::kUp;
  state_ = State::kDown;
  set_up(false);
  if (connect_timer_ != 0) timers_.cancel(connect_timer_);
  connect_timer_ = 0;
  if (redisAsyncContext* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);  // every waiting command fails now (null reply)
  }
  if (was_up) {
    warn_limited("redis_down", "address=" + log::quoted(current_.address()) +
                                   " answer=\"served without Redis until it is back\"");
  }
  schedule_reconnect();
}

void RedisConnection::schedule_reconnect() {
  if (closing_ || reconnect_timer_ != 0) return;
  const Millis delay{jitter_.spread(backoff_.count(), 0.2)};
  backoff_ = std::min(options_.max_backoff, backoff_ * 2);
  reconnect_timer_ = timers_.after(delay, [this] { connect(); });
}

}  // namespace ocspcache
