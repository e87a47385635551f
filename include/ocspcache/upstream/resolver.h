// Responder host names to addresses, asynchronously and without blocking
// the loop: IP literals at once, then the DnsCache, then /etc/hosts, then
// evdns (A, and AAAA when there is no A record). Concurrent fetches for
// one name share one lookup; its answer is cached for the record's TTL
// (dns_cache.h), so a warm miss does no lookup.
//
// One Resolver per event loop, used only from that loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "ocspcache/upstream/dns_cache.h"
#include "ocspcache/util/clock.h"

struct event_base;
struct evdns_base;

namespace ocspcache {

class Resolver {
 public:
  // ok=false: the name does not resolve (or the lookup failed).
  using Callback = std::function<void(bool ok, const IpAddr& addr)>;

  enum class Status { kReady, kFailed, kPending };
  struct Result {
    Status status = Status::kFailed;
    IpAddr addr;             // kReady
    uint64_t ticket = 0;     // kPending: for cancel()
    bool sent_query = false;  // a DNS query went out for this call (counted by the caller)
  };

  Resolver(event_base* base, const Clock& clock, DnsPolicy policy = {},
           std::string hosts_path = "/etc/hosts");
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // kReady/kFailed: answered now, CB unused. kPending: CB runs once later
  // from the loop (never inside resolve()), unless cancel(ticket) first.
  Result resolve(const std::string& host, Callback cb);
  void cancel(uint64_t ticket);

  const DnsCache& cache() const { return cache_; }

 private:
  struct Lookup;
  static void on_answer(int result, char type, int count, int ttl, void* addresses, void* arg);
  bool send_query(Lookup& lookup, bool ipv6);
  void complete(const std::string& host, bool ok, const IpAddr& addr);

  const Clock& clock_;
  std::string hosts_path_;
  std::unique_ptr<evdns_base, void (*)(evdns_base*)> dns_;
  DnsCache cache_;
  uint64_t next_ticket_ = 1;
  std::unordered_map<std::string, std::unique_ptr<Lookup>> lookups_;  // by host
  std::unordered_map<uint64_t, std::string> tickets_;                 // ticket -> host
};

}  // namespace ocspcache
