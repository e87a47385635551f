#include "ocspcache/redis/sentinel_link.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <sstream>
#include <vector>

namespace ocspcache {

SentinelLink::SentinelLink(event_base* base, const RedisEndpoint& sentinel,
                           std::span<const std::string_view> argv, OnReply on_reply, OnEnd on_end)
    : on_reply_(std::move(on_reply)), on_end_(std::move(on_end)) {
  redisAsyncContext* ac = redisAsyncConnect(sentinel.host.c_str(), sentinel.port);
  if (ac == nullptr || ac->err) {
    const std::string why = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);
    end(why);
    return;
  }
  ac->data = this;
  redisLibeventAttach(ac, base);
  redisAsyncSetConnectCallback(ac, &SentinelLink::on_connect);
  redisAsyncSetDisconnectCallback(ac, &SentinelLink::on_disconnect);
  ac_ = ac;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAsyncCommandArgv(ac, &SentinelLink::on_reply_cb, this, static_cast<int>(ptrs.size()),
                            ptrs.data(), lens.data()) != REDIS_OK) {
    end("could not queue the command");
  }
}

SentinelLink::~SentinelLink() {
  destroying_ = true;
  if (redisAsyncContext* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

void SentinelLink::end(std::string why) {
  if (ended_ || destroying_) return;
  ended_ = true;
  on_end_(std::move(why));
}

void SentinelLink::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<SentinelLink*>(ac->data);
  if (status == REDIS_OK) return;
  self->ac_ = nullptr;  // hiredis frees it after this callback
  self->end(ac->errstr);
}

void SentinelLink::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<SentinelLink*>(ac->data);
  if (self->ac_ == ac) self->ac_ = nullptr;
  self->end("disconnected");
}

void SentinelLink::on_reply_cb(redisAsyncContext*, void* reply, void* privdata) {
  auto* self = static_cast<SentinelLink*>(privdata);
  if (self->destroying_ || self->ended_) return;
  if (reply == nullptr) {
    self->end("no reply");
    return;
  }
  self->on_reply_(*static_cast<const redisReply*>(reply));
}

namespace {

std::optional<uint16_t> port_of(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

std::unique_ptr<SentinelLink> ask_primary(
    event_base* base, const RedisEndpoint& sentinel, const std::string& master,
    std::function<void(std::optional<SentinelPrimary> primary, std::string why)> done) {
  // One answer, whichever comes first: the reply or the end of the link.
  auto once = std::make_shared<decltype(done)>(std::move(done));
  auto finish = [once](std::optional<SentinelPrimary> primary, std::string why) {
    if (!*once) return;
    auto fn = std::move(*once);
    *once = nullptr;
    fn(std::move(primary), std::move(why));
  };
  const std::string_view argv[] = {"SENTINEL", "get-master-addr-by-name", master};
  return std::make_unique<SentinelLink>(
      base, sentinel, argv,
      [finish](const redisReply& reply) {
        if (reply.type == REDIS_REPLY_NIL) {
          finish(std::nullopt, "the sentinel does not know this master_name");
          return;
        }
        if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2 ||
            reply.element[0]->type != REDIS_REPLY_STRING ||
            reply.element[1]->type != REDIS_REPLY_STRING) {
          finish(std::nullopt, reply.type == REDIS_REPLY_ERROR ? std::string(reply.str, reply.len)
                                                               : "unexpected reply");
          return;
        }
        const auto port = port_of({reply.element[1]->str, reply.element[1]->len});
        if (!port) {
          finish(std::nullopt, "bad port in the reply");
          return;
        }
        finish(SentinelPrimary{std::string(reply.element[0]->str, reply.element[0]->len), *port}, {});
      },
      [finish](std::string why) { finish(std::nullopt, std::move(why)); });
}

std::unique_ptr<SentinelLink> watch_switch_master(
    event_base* base, const RedisEndpoint& sentinel, std::string master,
    std::function<void(const SentinelPrimary& primary)> on_switch, std::function<void()> on_lost) {
  const std::string_view argv[] = {"SUBSCRIBE", "+switch-master"};
  return std::make_unique<SentinelLink>(
      base, sentinel, argv,
      // ["message", "+switch-master", "<master> <old ip> <old port> <new ip> <new port>"];
      // the subscribe confirmation and anything else are passed over.
      [master = std::move(master), on_switch = std::move(on_switch)](const redisReply& reply) {
        if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3 ||
            reply.element[0]->type != REDIS_REPLY_STRING ||
            reply.element[2]->type != REDIS_REPLY_STRING ||
            std::string_view(reply.element[0]->str, reply.element[0]->len) != "message") {
          return;
        }
        std::istringstream in(std::string(reply.element[2]->str, reply.element[2]->len));
        std::string name, old_host, old_port, host, port_text;
        if (!(in >> name >> old_host >> old_port >> host >> port_text) || name != master) return;
        if (const auto port = port_of(port_text)) on_switch(SentinelPrimary{host, *port});
      },
      [on_lost = std::move(on_lost)](std::string) { on_lost(); });
}

}  // namespace ocspcache
