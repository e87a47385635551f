// Redis Cluster (redis.cluster): hiredis 0.14 has no cluster support, so
// this is the client's part of the protocol. The slot map comes from
// CLUSTER SLOTS (asked of a seed, then of any node up); a key goes to the
// primary of its slot (CRC16/XMODEM of the key, or of its {hash tag}, mod
// 16384), over one RedisConnection per node on this loop; MOVED updates the
// map for that slot, resends to the node named (at most a few hops) and
// asks for a fresh map; ASK resends once to the node named, after ASKING,
// without touching the map (a slot being moved by a reshard).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/cache/shared_store.h"
#include "ocspcache/redis/redis_commands.h"
#include "ocspcache/redis/redis_connection.h"

struct event_base;

namespace ocspcache {

// Which of the 16384 slots `key` belongs to.
uint16_t cluster_slot(std::string_view key);

class RedisCluster final : public RedisCommands {
 public:
  struct Options {
    std::vector<RedisEndpoint> seeds;
    RedisConnection::Options node;  // timeout, back-off, password (endpoint host/port ignored)
  };
  RedisCluster(event_base* base, Options options, SharedStoreStats& stats, uint64_t seed);
  ~RedisCluster() override;

  void start() override;
  void command(std::string_view key, std::span<const std::string_view> argv, Done done) override;
  using RedisCommands::command;
  void reset(std::string_view why) override;

 private:
  static constexpr uint16_t kNoNode = 0xffff;
  static constexpr int kMaxRedirects = 3;
  size_t node(const std::string& host, uint16_t port);  // index; connects a new one
  void refresh();
  void on_slots(const redisReply* reply, const std::string& asked_host);
  void send(size_t node, std::vector<std::string> argv, Done done, int hops, bool asking);

  event_base* base_;
  Options options_;
  SharedStoreStats& stats_;
  uint64_t seed_;
  std::vector<std::unique_ptr<RedisConnection>> nodes_;
  std::vector<std::string> node_keys_;  // host:port of nodes_[i]
  std::array<uint16_t, 16384> slots_;
  bool mapped_ = false;
  bool refreshing_ = false;
};

}  // namespace ocspcache
