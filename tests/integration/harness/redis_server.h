// A real redis-server for a test: on a reserved loopback port, no
// persistence, in its own directory; killed with the test. `cli` runs
// redis-cli against it (binary values go through a file: redis-cli -x).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/ports.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {

class RedisServer {
 public:
  // Started, with `extra_args` added to redis-server's command line (e.g.
  // {"--replicaof", "127.0.0.1", "6379"}).
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const;  // redis://127.0.0.1:PORT/0

  void start();  // again, on the same port (a restarted Redis is empty)
  void kill();   // SIGKILL, as a crash
  void pause();  // SIGSTOP: up, but answering nothing
  void resume();

  // redis-cli -p PORT ARGS...: its stdout, trailing newline removed.
  std::string cli(const std::vector<std::string>& args) const;
  // SET key to exactly `value` (any bytes).
  void set_binary(const std::string& key, const std::string& value) const;
  // GET key, exact bytes ("" when absent).
  std::string get_binary(const std::string& key) const;
  // Keys matching `pattern` (SCAN).
  std::vector<std::string> keys(const std::string& pattern) const;

 private:
  TempDir dir_{"ocspcache-redis"};
  PortReservation reservation_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
  int starts_ = 0;
  std::vector<std::string> extra_args_;
};

// A redis-sentinel watching `master_name` at 127.0.0.1:`master_port`
// (quorum 2, down after 1 s), with its config file in its own directory
// (Sentinel rewrites it).
class RedisSentinel {
 public:
  RedisSentinel(uint16_t master_port, const std::string& master_name);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  uint16_t port() const { return port_; }
  std::string cli(const std::vector<std::string>& args) const;

 private:
  TempDir dir_{"ocspcache-sentinel"};
  PortReservation reservation_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ocspcache::it
