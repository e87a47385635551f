#include "ocspcache/redis/redis_cluster.h"

#include <hiredis/hiredis.h>

#include <charconv>

#include "ocspcache/util/log.h"

namespace ocspcache {
namespace {

uint16_t crc16_xmodem(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c << 8);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381".
struct Redirect {
  bool ask = false;
  uint16_t slot = 0;
  std::string host;
  uint16_t port = 0;
};

std::optional<Redirect> parse_redirect(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return std::nullopt;
  std::string_view text(reply->str, reply->len);
  Redirect r;
  if (text.starts_with("MOVED ")) {
    text.remove_prefix(6);
  } else if (text.starts_with("ASK ")) {
    r.ask = true;
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const size_t space = text.find(' ');
  const size_t colon = text.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space)
    return std::nullopt;
  unsigned slot = 0, port = 0;
  if (std::from_chars(text.data(), text.data() + space, slot).ec != std::errc() || slot >= 16384) {
    return std::nullopt;
  }
  if (std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec != std::errc() ||
      port == 0 || port > 65535) {
    return std::nullopt;
  }
  r.slot = static_cast<uint16_t>(slot);
  r.host = std::string(text.substr(space + 1, colon - space - 1));
  r.port = static_cast<uint16_t>(port);
  return r;
}

}  // namespace

uint16_t cluster_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, if not empty.
  if (size_t open = key.find('{'); open != std::string_view::npos) {
    if (size_t close = key.find('}', open + 1);
        close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16_xmodem(key) & 16383;
}

RedisCluster::RedisCluster(event_base* base, Options options, SharedStoreStats& stats,
                           uint64_t seed)
    : base_(base), options_(std::move(options)), stats_(stats), seed_(seed) {
  slots_.fill(kNoNode);
}

RedisCluster::~RedisCluster() = default;

void RedisCluster::start() {
  for (const RedisEndpoint& s : options_.seeds) node(s.host, s.port);
}

size_t RedisCluster::node(const std::string& host, uint16_t port) {
  const std::string key = host + ":" + std::to_string(port);
  for (size_t i = 0; i < node_keys_.size(); ++i) {
    if (node_keys_[i] == key) return i;
  }
  RedisConnection::Options o = options_.node;
  o.endpoint.host = host;
  o.endpoint.port = port;
  o.endpoint.unix_path.clear();
  o.sentinels.clear();
  const size_t index = nodes_.size();
  // The first node up asks for the map; so does any node up while there is none.
  o.on_up = [this] {
    if (!mapped_) refresh();
  };
  nodes_.push_back(
      std::make_unique<RedisConnection>(base_, std::move(o), stats_, seed_ * 131 + index));
  node_keys_.push_back(key);
  nodes_.back()->start();
  return index;
}

void RedisCluster::refresh() {
  if (refreshing_) return;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->up()) continue;
    refreshing_ = true;
    const std::string host = nodes_[i]->endpoint().host;
    nodes_[i]->command({}, {"CLUSTER", "SLOTS"}, [this, host](const redisReply* reply) {
      refreshing_ = false;
      on_slots(reply, host);
    });
    return;
  }
}

void RedisCluster::on_slots(const redisReply* reply, const std::string& asked_host) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    if (reply != nullptr) stats_.bump(stats_.errors_reply);
    return;
  }
  std::array<uint16_t, 16384> next;
  next.fill(kNoNode);
  size_t covered = 0;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
        range->element[0]->type != REDIS_REPLY_INTEGER ||
        range->element[1]->type != REDIS_REPLY_INTEGER) {
      continue;
    }
    const redisReply* primary = range->element[2];
    if (primary->type != REDIS_REPLY_ARRAY || primary->elements < 2 ||
        primary->element[0]->type != REDIS_REPLY_STRING ||
        primary->element[1]->type != REDIS_REPLY_INTEGER) {
      continue;
    }
    const long long first = range->element[0]->integer, last = range->element[1]->integer;
    const long long port = primary->element[1]->integer;
    if (first < 0 || last > 16383 || first > last || port <= 0 || port > 65535) continue;
    std::string host(primary->element[0]->str, primary->element[0]->len);
    if (host.empty()) host = asked_host;  // "the node you asked"
    const size_t n = node(host, static_cast<uint16_t>(port));
    for (long long s = first; s <= last; ++s)
      next[static_cast<size_t>(s)] = static_cast<uint16_t>(n);
    covered += static_cast<size_t>(last - first + 1);
  }
  if (covered == 0) return;
  slots_ = next;
  if (!mapped_) {
    log::info("redis_cluster_mapped", "nodes=" + std::to_string(nodes_.size()) +
                                          " slots_covered=" + std::to_string(covered));
  }
  mapped_ = true;
}

void RedisCluster::command(std::string_view key, std::span<const std::string_view> argv,
                           Done done) {
  const uint16_t n = mapped_ ? slots_[cluster_slot(key)] : kNoNode;
  if (n == kNoNode) {
    done(nullptr);  // no map yet, or the slot is not served
    return;
  }
  send(n, std::vector<std::string>(argv.begin(), argv.end()), std::move(done), 0, false);
}

void RedisCluster::send(size_t n, std::vector<std::string> argv, Done done, int hops, bool asking) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  auto on_reply = [this, argv = std::move(argv), done = std::move(done),
                   hops](const redisReply* reply) mutable {
    const auto redirect = parse_redirect(reply);
    if (!redirect || hops >= kMaxRedirects) {
      done(reply);
      return;
    }
    const size_t target = node(redirect->host, redirect->port);
    if (!redirect->ask) {
      slots_[redirect->slot] = static_cast<uint16_t>(target);
      refresh();  // one slot moved: others may have too
    }
    send(target, std::move(argv), std::move(done), hops + 1, redirect->ask);
  };
  if (asking) {
    nodes_[n]->command_after_asking(views, std::move(on_reply));
  } else {
    nodes_[n]->command({}, views, std::move(on_reply));
  }
}

void RedisCluster::reset(std::string_view why) {
  // A primary turned replica: its slots have a new owner; the map says who.
  mapped_ = false;
  log::info("redis_cluster_remap", "reason=" + log::quoted(why));
  refresh();
}

}  // namespace ocspcache
