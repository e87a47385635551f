// The Redis tier (SharedStore) of one event loop, on the layout of
// DESIGN.md: `<prefix>r:<hex>` holds the DER of the answer, expiring at its
// nextUpdate; `<prefix>lock:<hex>` is the fleet's fetch lock (SET NX PX).
//
// A lookup is a GET; on a miss it takes the lock, and when another
// instance holds it, polls for that instance's answer (every
// `poll`, at most `lock_wait`, less when the lock goes away first).
// A write is a script that keeps a stored answer with a later thisUpdate
// (newer_wins_script.h), then the lock is released if it is still ours.
// As the fleet's refresh coordinator (fleet_refresh.h) it also keeps
// `<prefix>due`, the sorted set of refresh times (score: unix seconds,
// member: the key's hex), pruned of times more than a day past.
// No operation spans two keys, so each works on one shard of a cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/cache/fleet_refresh.h"
#include "ocspcache/cache/shared_store.h"
#include "ocspcache/redis/redis_commands.h"
#include "ocspcache/redis/redis_connection.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/log_limiter.h"
#include "ocspcache/util/loop_timers.h"

struct event_base;

namespace ocspcache {

class RedisStore final : public SharedStore, public FleetRefresh {
 public:
  struct Options {
    RedisConnection::Options connection;
    std::vector<RedisEndpoint> cluster;  // seed nodes: Redis Cluster instead of one server
    std::string key_prefix = "ocspcache:";
    Millis lock_ttl{5'000};   // how long our fetch lock holds if we never release it
    Millis lock_wait{3'000};  // how long we wait for another instance's answer
    Millis poll{25};
  };

  // Runs a function on this store's loop; callable from any thread (the
  // owning worker's mailbox): how put() and release() reach the loop.
  using Post = std::function<void(std::function<void()>)>;

  // `base` must outlive this; `stats` is shared by the backend's stores.
  RedisStore(event_base* base, Post post, Options options, SharedStoreStats& stats, uint64_t seed);
  ~RedisStore() override;

  void start() { conn_->start(); }

  void lookup(const ocsp::CacheKey& key, std::function<void(SharedLookup)> done) override;
  void put(const ocsp::CacheKey& key, std::span<const uint8_t> der, int64_t next_update) override;
  void release(const ocsp::CacheKey& key) override;
  void report_invalid(const ocsp::CacheKey& key, std::string_view why) override;

  // FleetRefresh: the control loop's instance.
  void state(const ocsp::CacheKey& key, std::function<void(FleetState)> done) override;
  void claim(const ocsp::CacheKey& key, std::vector<uint8_t> seen,
             std::function<void(FleetClaim)> done) override;
  void stored(const ocsp::CacheKey& key, std::span<const uint8_t> der,
              int64_t next_update) override {
    put(key, der, next_update);
  }
  void abandon(const ocsp::CacheKey& key) override { release(key); }
  void schedule(const ocsp::CacheKey& key, int64_t due) override;

 private:
  struct Lookup;
  void take_lock(const std::shared_ptr<Lookup>& l);
  void poll(const std::shared_ptr<Lookup>& l);
  void finish(const std::shared_ptr<Lookup>& l, SharedLookup result, bool gave_up = false);
  void do_put(const std::string& hex, const std::vector<uint8_t>& der, int64_t next_update);
  void do_release(const std::string& hex);
  void do_schedule(const std::string& hex, int64_t due);

  Options options_;
  SharedStoreStats& stats_;
  std::string token_;  // this instance's lock value
  log::Limiter invalid_log_{Millis{10'000}};
  LoopTimers timers_;
  std::chrono::steady_clock::time_point next_prune_{};
  std::unique_ptr<RedisCommands> conn_;
  Post post_;
};

}  // namespace ocspcache
