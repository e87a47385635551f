#include "harness/redis_server.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ocspcache::it {

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : port_(reservation_.port()), extra_args_(std::move(extra_args)) {
  start();
}

RedisServer::~RedisServer() {
  if (process_) {
    process_->signal(SIGCONT);
    process_->stop(2s);
  }
}

std::string RedisServer::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
}

void RedisServer::start() {
  if (process_ && process_->running()) return;
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path().string(),
                                   "--protected-mode",
                                   "no"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  auto process = std::make_unique<Process>(SpawnOptions{argv, {}, {}}, dir_.path(),
                                           "redis-" + std::to_string(++starts_));
  bool up = wait_until(
      [&] { return process_listens(process->pid(), port_) || !process->running(); }, 10s);
  if (!up || !process->running()) {
    std::string err = process->stdout_text() + process->stderr_text();
    process->stop();
    throw std::runtime_error("redis-server did not listen on port " + std::to_string(port_) + ": " +
                             err);
  }
  process_ = std::move(process);
}

void RedisServer::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_exit(5s);
  process_.reset();
}

void RedisServer::pause() {
  if (process_) process_->signal(SIGSTOP);
}

void RedisServer::resume() {
  if (process_) process_->signal(SIGCONT);
}

namespace {

// redis-cli -p PORT ARGS...: its stdout, trailing newline removed.
std::string cli_at(uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, 10s);
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

std::string RedisServer::cli(const std::vector<std::string>& args) const { return cli_at(port_, args); }

void RedisServer::set_binary(const std::string& key, const std::string& value) const {
  const std::filesystem::path file = dir_.write("value.bin", value);
  CommandResult r = run_command(
      {"sh", "-c",
       "redis-cli -p " + std::to_string(port_) + " -x SET '" + key + "' < '" + file.string() + "'"},
      10s);
  if (r.exit_code != 0) throw std::runtime_error("redis-cli SET failed: " + r.err);
}

std::string RedisServer::get_binary(const std::string& key) const {
  // --no-raw would quote; -raw prints the bytes and a newline after them.
  CommandResult r =
      run_command({"redis-cli", "-p", std::to_string(port_), "--raw", "GET", key}, 10s);
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<std::string> RedisServer::keys(const std::string& pattern) const {
  std::istringstream in(cli({"--scan", "--pattern", pattern}));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}


RedisSentinel::RedisSentinel(uint16_t master_port, const std::string& master_name)
    : port_(reservation_.port()) {
  const std::string conf =
      "port " + std::to_string(port_) + "\nbind 127.0.0.1\nprotected-mode no\ndir " +
      dir_.path().string() + "\nsentinel monitor " + master_name + " 127.0.0.1 " +
      std::to_string(master_port) + " 2\nsentinel down-after-milliseconds " + master_name +
      " 1000\nsentinel failover-timeout " + master_name + " 5000\n";
  const std::filesystem::path file = dir_.write("sentinel.conf", conf);
  process_ = std::make_unique<Process>(SpawnOptions{{"redis-sentinel", file.string()}, {}, {}},
                                       dir_.path(), "sentinel");
  if (!wait_until([&] { return process_listens(process_->pid(), port_) || !process_->running(); },
                  10s) ||
      !process_->running()) {
    throw std::runtime_error("redis-sentinel did not listen on port " + std::to_string(port_) +
                             ": " + process_->stdout_text());
  }
}

RedisSentinel::~RedisSentinel() {
  if (process_) process_->stop(2s);
}

std::string RedisSentinel::cli(const std::vector<std::string>& args) const {
  return cli_at(port_, args);
}

}  // namespace ocspcache::it
