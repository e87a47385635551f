#include "ocspcache/redis/redis_store.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "newer_wins_script.h"
#include "ocspcache/redis/redis_cluster.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {

// A client's miss (done) or a refresh's claim (claimed, seen).
struct RedisStore::Lookup {
  std::string hex;
  std::function<void(SharedLookup)> done;
  std::function<void(FleetClaim)> claimed;
  // A claim: the value stored when the refresh began. Only another value
  // is an answer: the old one is what we are refreshing.
  std::vector<uint8_t> seen;
  std::chrono::steady_clock::time_point wait_until{};
  bool waited = false;  // another instance held the lock
};

namespace {

std::unique_ptr<RedisCommands> make_commands(event_base* base, const RedisStore::Options& o,
                                             SharedStoreStats& stats, uint64_t seed) {
  if (o.cluster.empty()) return std::make_unique<RedisConnection>(base, o.connection, stats, seed);
  return std::make_unique<RedisCluster>(base, RedisCluster::Options{o.cluster, o.connection}, stats,
                                        seed);
}

}  // namespace

RedisStore::RedisStore(event_base* base, Post post, Options options, SharedStoreStats& stats,
                       uint64_t seed)
    : options_(std::move(options)),
      stats_(stats),
      token_(std::to_string(::getpid()) + ":" + std::to_string(seed) + ":" +
             std::to_string(system_clock().monotonic_ms())),
      timers_(base, system_clock()),
      conn_(make_commands(base, options_, stats, seed)),
      post_(std::move(post)) {}

RedisStore::~RedisStore() = default;

void RedisStore::finish(const std::shared_ptr<Lookup>& l, SharedLookup result, bool gave_up) {
  if (l->claimed) {
    FleetClaim claim;
    switch (result.status) {
      case SharedLookup::Status::kHit:
        claim = {FleetClaim::Status::kAnswered, std::move(result.der)};
        break;
      case SharedLookup::Status::kMiss:
        claim.status = gave_up ? FleetClaim::Status::kHeld : FleetClaim::Status::kOurs;
        break;
      case SharedLookup::Status::kUnavailable:
        claim.status = FleetClaim::Status::kUnavailable;
        break;
    }
    auto claimed = std::move(l->claimed);
    claimed(std::move(claim));
    return;
  }
  switch (result.status) {
    case SharedLookup::Status::kHit:
      stats_.bump(stats_.hits);
      break;
    case SharedLookup::Status::kMiss:
      stats_.bump(stats_.misses);
      break;
    case SharedLookup::Status::kUnavailable:
      stats_.bump(stats_.unavailable);
      break;
  }
  if (l->waited) {
    stats_.bump(result.status == SharedLookup::Status::kHit ? stats_.lock_waits_answered
                                                            : stats_.lock_waits_gave_up);
  }
  auto done = std::move(l->done);
  done(std::move(result));
}

namespace {

// A reply that says this server must not be used for writes any more: the
// primary became a replica (a failover), or a replica lost its primary.
bool wrong_server(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return false;
  const std::string_view text(reply->str, reply->len);
  return text.starts_with("READONLY") || text.starts_with("MASTERDOWN");
}

bool same(const redisReply* reply, const std::vector<uint8_t>& value) {
  return !value.empty() && reply->len == value.size() &&
         std::equal(value.begin(), value.end(), reinterpret_cast<const uint8_t*>(reply->str));
}

FleetState unavailable_state() {
  FleetState st;
  st.available = false;
  return st;
}

SharedLookup hit(const redisReply* reply) {
  SharedLookup r{SharedLookup::Status::kHit, {}};
  r.der.assign(reinterpret_cast<const uint8_t*>(reply->str),
               reinterpret_cast<const uint8_t*>(reply->str) + reply->len);
  return r;
}

}  // namespace

void RedisStore::lookup(const ocsp::CacheKey& key, std::function<void(SharedLookup)> done) {
  auto l = std::make_shared<Lookup>();
  l->hex = key.hex();
  l->done = std::move(done);
  const std::string rkey = options_.key_prefix + "r:" + l->hex;
  conn_->command(rkey, {"GET", rkey}, [this, l](const redisReply* reply) {
    if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
      if (reply != nullptr) stats_.bump(stats_.errors_reply);
      finish(l, {SharedLookup::Status::kUnavailable, {}});
      return;
    }
    if (reply->type == REDIS_REPLY_STRING) {
      finish(l, hit(reply));
      return;
    }
    take_lock(l);
  });
}

void RedisStore::take_lock(const std::shared_ptr<Lookup>& l) {
  const std::string lkey = options_.key_prefix + "lock:" + l->hex;
  const std::string ttl = std::to_string(options_.lock_ttl.count());
  conn_->command(lkey, {"SET", lkey, token_, "NX", "PX", ttl}, [this, l](const redisReply* reply) {
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      if (reply != nullptr) stats_.bump(stats_.errors_reply);
      if (wrong_server(reply)) conn_->reset("READONLY: no longer the primary");
      finish(l, {SharedLookup::Status::kUnavailable, {}});
      return;
    }
    if (reply->type != REDIS_REPLY_NIL) {  // +OK: ours, we fetch
      finish(l, {SharedLookup::Status::kMiss, {}});
      return;
    }
    // Another instance is fetching this answer: wait for it to appear.
    l->waited = true;
    l->wait_until = std::chrono::steady_clock::now() + options_.lock_wait;
    timers_.after(options_.poll, [this, l] { poll(l); });
  });
}

void RedisStore::poll(const std::shared_ptr<Lookup>& l) {
  const std::string rkey = options_.key_prefix + "r:" + l->hex;
  conn_->command(rkey, {"GET", rkey}, [this, l](const redisReply* reply) {
    if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
      finish(l, {SharedLookup::Status::kUnavailable, {}});
      return;
    }
    if (reply->type == REDIS_REPLY_STRING && !same(reply, l->seen)) {
      finish(l, hit(reply));
      return;
    }
    if (std::chrono::steady_clock::now() >= l->wait_until) {
      if (l->claimed) {  // the holder's refresh is slow: ours comes round again
        finish(l, {SharedLookup::Status::kMiss, {}}, /*gave_up=*/true);
        return;
      }
      log::info("redis_lock_wait_ended", "key=" + l->hex.substr(0, 16) + " waited_ms=" +
                                             std::to_string(options_.lock_wait.count()) +
                                             " answer=\"fetching ourselves\"");
      finish(l, {SharedLookup::Status::kMiss, {}});
      return;
    }
    // The holder released the lock without an answer (its fetch failed):
    // take it ourselves rather than wait out lock_wait.
    const std::string lkey = options_.key_prefix + "lock:" + l->hex;
    conn_->command(lkey, {"EXISTS", lkey}, [this, l](const redisReply* exists) {
      if (exists == nullptr || exists->type != REDIS_REPLY_INTEGER) {
        finish(l, {SharedLookup::Status::kUnavailable, {}});
        return;
      }
      if (exists->integer == 0) {
        take_lock(l);
        return;
      }
      timers_.after(options_.poll, [this, l] { poll(l); });
    });
  });
}

void RedisStore::put(const ocsp::CacheKey& key, std::span<const uint8_t> der, int64_t next_update) {
  post_([this, hex = key.hex(), der = std::vector<uint8_t>(der.begin(), der.end()), next_update] {
    do_put(hex, der, next_update);
  });
}

void RedisStore::release(const ocsp::CacheKey& key) {
  post_([this, hex = key.hex()] { do_release(hex); });
}

void RedisStore::report_invalid(const ocsp::CacheKey& key, std::string_view why) {
  stats_.bump(stats_.invalid);
  invalid_log_.warn("redis_invalid", "redis_value_invalid",
                    "key=" + options_.key_prefix + "r:" + key.hex() +
                        " reason=" + log::quoted(why) +
                        " answer=\"fetched from the responders; the value will be overwritten\"");
}

void RedisStore::do_put(const std::string& hex, const std::vector<uint8_t>& der,
                        int64_t next_update) {
  const std::string rkey = options_.key_prefix + "r:" + hex;
  const std::string expire_at = std::to_string(next_update);
  const std::string_view value(reinterpret_cast<const char*>(der.data()), der.size());
  conn_->command(rkey, {"EVAL", redis_scripts::kNewerWins, "1", rkey, value, expire_at},
                 [this](const redisReply* reply) {
                   if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
                     if (reply != nullptr) {
                       stats_.bump(stats_.errors_reply);
                       if (wrong_server(reply)) conn_->reset("READONLY: no longer the primary");
                       if (reply->type == REDIS_REPLY_ERROR) {
                         log::warn("redis_write_failed", "reason=" + log::quoted(std::string_view(
                                                                         reply->str, reply->len)));
                       }
                     }
                     stats_.bump(stats_.writes_failed);
                     return;
                   }
                   if (reply->integer == 1)
                     stats_.bump(stats_.writes_stored);
                   else if (reply->integer == 0)
                     stats_.bump(stats_.writes_kept_newer);
                   else
                     stats_.bump(stats_.writes_failed);
                 });
  do_release(hex);
}

void RedisStore::do_release(const std::string& hex) {
  const std::string lkey = options_.key_prefix + "lock:" + hex;
  conn_->command(lkey, {"EVAL", redis_scripts::kReleaseLock, "1", lkey, token_},
                 [](const redisReply*) {});
}

void RedisStore::state(const ocsp::CacheKey& key, std::function<void(FleetState)> done) {
  auto hex = key.hex();
  const std::string dkey = options_.key_prefix + "due";
  conn_->command(dkey, {"ZSCORE", dkey, hex},
                 [this, hex, done = std::move(done)](const redisReply* score) mutable {
                   if (score == nullptr ||
                       (score->type != REDIS_REPLY_STRING && score->type != REDIS_REPLY_NIL)) {
                     if (score != nullptr) stats_.bump(stats_.errors_reply);
                     done(unavailable_state());
                     return;
                   }
                   FleetState st;
                   if (score->type == REDIS_REPLY_STRING) {
                     // A score is a double as text; whole seconds are all we write.
                     const std::string text(score->str, score->len);
                     char* end = nullptr;
                     const double v = std::strtod(text.c_str(), &end);
                     if (end != text.c_str() && v > 0 && v < 1e12) st.due = static_cast<int64_t>(v);
                   }
                   const std::string rkey = options_.key_prefix + "r:" + hex;
                   conn_->command(rkey, {"GET", rkey},
                                  [this, st = std::move(st),
                                   done = std::move(done)](const redisReply* reply) mutable {
                                    if (reply == nullptr || (reply->type != REDIS_REPLY_STRING &&
                                                             reply->type != REDIS_REPLY_NIL)) {
                                      if (reply != nullptr) stats_.bump(stats_.errors_reply);
                                      done(unavailable_state());
                                      return;
                                    }
                                    if (reply->type == REDIS_REPLY_STRING) st.der = hit(reply).der;
                                    done(std::move(st));
                                  });
                 });
}

void RedisStore::claim(const ocsp::CacheKey& key, std::vector<uint8_t> seen,
                       std::function<void(FleetClaim)> done) {
  auto l = std::make_shared<Lookup>();
  l->hex = key.hex();
  l->claimed = std::move(done);
  l->seen = std::move(seen);
  take_lock(l);
}

void RedisStore::schedule(const ocsp::CacheKey& key, int64_t due) {
  post_([this, hex = key.hex(), due] { do_schedule(hex, due); });
}

void RedisStore::do_schedule(const std::string& hex, int64_t due) {
  const std::string dkey = options_.key_prefix + "due";
  conn_->command(dkey, {"ZADD", dkey, std::to_string(due), hex}, [this](const redisReply* reply) {
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) stats_.bump(stats_.errors_reply);
  });
  // Times more than a day past belong to answers the fleet let go (nobody
  // asked, or their issuer went): dropped so the set stays as large as the
  // fleet's working set. Every instance prunes, at most every 10 minutes.
  const auto now = std::chrono::steady_clock::now();
  if (now < next_prune_) return;
  next_prune_ = now + std::chrono::minutes(10);
  const int64_t before = system_clock().unix_seconds() - 86'400;
  conn_->command(dkey, {"ZREMRANGEBYSCORE", dkey, "-inf", "(" + std::to_string(before)},
                 [](const redisReply*) {});
}

}  // namespace ocspcache
