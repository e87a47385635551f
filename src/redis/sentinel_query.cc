#include "ocspcache/redis/sentinel_query.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <charconv>

namespace ocspcache {

SentinelQuery::SentinelQuery(event_base* base, const RedisEndpoint& sentinel,
                             const std::string& master, Done done)
    : done_(std::move(done)) {
  redisAsyncContext* ac = redisAsyncConnect(sentinel.host.c_str(), sentinel.port);
  if (ac == nullptr || ac->err) {
    const std::string why = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);
    finish(std::nullopt, why);
    return;
  }
  ac->data = this;
  redisLibeventAttach(ac, base);
  redisAsyncSetConnectCallback(ac, &SentinelQuery::on_connect);
  redisAsyncSetDisconnectCallback(ac, &SentinelQuery::on_disconnect);
  ac_ = ac;
  const char* argv[] = {"SENTINEL", "get-master-addr-by-name", master.c_str()};
  const size_t lens[] = {8, 23, master.size()};
  if (redisAsyncCommandArgv(ac, &SentinelQuery::on_reply, this, 3, argv, lens) != REDIS_OK) {
    finish(std::nullopt, "could not queue the question");
  }
}

SentinelQuery::~SentinelQuery() {
  destroying_ = true;
  if (redisAsyncContext* ac = ac_) {
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

void SentinelQuery::finish(std::optional<Primary> primary, std::string why) {
  if (finished_ || destroying_) return;
  finished_ = true;
  done_(std::move(primary), std::move(why));
}

void SentinelQuery::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<SentinelQuery*>(ac->data);
  if (status == REDIS_OK) return;
  self->ac_ = nullptr;  // hiredis frees it after this callback
  self->finish(std::nullopt, ac->errstr);
}

void SentinelQuery::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<SentinelQuery*>(ac->data);
  if (self->ac_ == ac) self->ac_ = nullptr;
  self->finish(std::nullopt, "disconnected");
}

void SentinelQuery::on_reply(redisAsyncContext*, void* reply_ptr, void* privdata) {
  auto* self = static_cast<SentinelQuery*>(privdata);
  const auto* reply = static_cast<const redisReply*>(reply_ptr);
  if (reply == nullptr) {
    self->finish(std::nullopt, "no reply");
    return;
  }
  if (reply->type == REDIS_REPLY_NIL) {
    self->finish(std::nullopt, "the sentinel does not know this master_name");
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING) {
    self->finish(std::nullopt, reply->type == REDIS_REPLY_ERROR
                                   ? std::string(reply->str, reply->len)
                                   : "unexpected reply");
    return;
  }
  Primary p;
  p.host.assign(reply->element[0]->str, reply->element[0]->len);
  const char* port = reply->element[1]->str;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port, port + reply->element[1]->len, value);
  if (ec != std::errc() || end != port + reply->element[1]->len || value == 0 || value > 65535) {
    self->finish(std::nullopt, "bad port in the reply");
    return;
  }
  p.port = static_cast<uint16_t>(value);
  self->finish(std::move(p), {});
}

}  // namespace ocspcache
