#include "ocspcache/redis/sentinel_watch.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <sstream>

namespace ocspcache {

SentinelWatch::SentinelWatch(event_base* base, const RedisEndpoint& sentinel, std::string master,
                             std::function<void(const std::string&, uint16_t)> on_switch,
                             std::function<void()> on_lost)
    : master_(std::move(master)), on_switch_(std::move(on_switch)), on_lost_(std::move(on_lost)) {
  redisAsyncContext* ac = redisAsyncConnect(sentinel.host.c_str(), sentinel.port);
  if (ac == nullptr || ac->err) {
    if (ac) redisAsyncFree(ac);
    lost();
    return;
  }
  ac->data = this;
  redisLibeventAttach(ac, base);
  redisAsyncSetConnectCallback(ac, &SentinelWatch::on_connect);
  redisAsyncSetDisconnectCallback(ac, &SentinelWatch::on_disconnect);
  ac_ = ac;
  const char* argv[] = {"SUBSCRIBE", "+switch-master"};
  const size_t lens[] = {9, 14};
  // The subscription's callback lives as long as the context: `this` is
  // the privdata, not a per-command allocation.
  if (redisAsyncCommandArgv(ac, &SentinelWatch::on_message, this, 2, argv, lens) != REDIS_OK)
    lost();
}

SentinelWatch::~SentinelWatch() {
  destroying_ = true;
  if (redisAsyncContext* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

void SentinelWatch::lost() {
  if (lost_ || destroying_) return;
  lost_ = true;
  if (on_lost_) on_lost_();
}

void SentinelWatch::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<SentinelWatch*>(ac->data);
  if (status == REDIS_OK) return;
  self->ac_ = nullptr;  // hiredis frees it after this callback
  self->lost();
}

void SentinelWatch::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<SentinelWatch*>(ac->data);
  if (self->ac_ == ac) self->ac_ = nullptr;
  self->lost();
}

// ["message", "+switch-master", "<master> <old ip> <old port> <new ip> <new port>"]
void SentinelWatch::on_message(redisAsyncContext*, void* reply_ptr, void* privdata) {
  auto* self = static_cast<SentinelWatch*>(privdata);
  const auto* reply = static_cast<const redisReply*>(reply_ptr);
  if (reply == nullptr || self->destroying_) return;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[2]->type != REDIS_REPLY_STRING ||
      std::string_view(reply->element[0]->str, reply->element[0]->len) != "message") {
    return;  // the subscribe confirmation, or something else
  }
  std::istringstream in(std::string(reply->element[2]->str, reply->element[2]->len));
  std::string name, old_host, old_port, host, port_text;
  if (!(in >> name >> old_host >> old_port >> host >> port_text) || name != self->master_) return;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return;
  self->on_switch_(host, static_cast<uint16_t>(port));
}

}  // namespace ocspcache
