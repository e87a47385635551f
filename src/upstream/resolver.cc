#include "ocspcache/upstream/resolver.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>
#include <vector>

#include "ocspcache/upstream/hosts_file.h"

namespace ocspcache {
namespace {

// /etc/hosts has no TTL; re-reading it once a minute picks up edits.
constexpr int64_t kHostsTtlSeconds = 60;

void free_dns(evdns_base* d) {
  // 0: pending queries are dropped without calling back; their Lookup
  // state is owned (and freed) by the Resolver.
  if (d != nullptr) evdns_base_free(d, 0);
}

}  // namespace

struct Resolver::Lookup {
  Resolver* owner = nullptr;
  std::string host;
  bool ipv6 = false;  // the query in flight is AAAA
  std::unordered_map<uint64_t, Callback> waiters;
};

Resolver::Resolver(event_base* base, const Clock& clock, DnsPolicy policy, std::string hosts_path)
    : clock_(clock),
      hosts_path_(std::move(hosts_path)),
      dns_(evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                    EVDNS_BASE_DISABLE_WHEN_INACTIVE),
           free_dns),
      cache_(policy) {
  // No resolv.conf: literals and /etc/hosts still work, names fail.
  if (!dns_) dns_.reset(evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE));
}

Resolver::~Resolver() = default;

Resolver::Result Resolver::resolve(const std::string& host, Callback cb) {
  Result r;
  if (IpAddr::parse(host, &r.addr)) {
    r.status = Status::kReady;
    return r;
  }
  const int64_t now = clock_.monotonic_ms();
  DnsCache::Answer cached = cache_.find(host, now);
  if (cached.state == DnsCache::State::kHit) {
    r.status = Status::kReady;
    r.addr = cached.addrs->front();
    return r;
  }
  if (cached.state == DnsCache::State::kFailed) return r;
  if (auto it = lookups_.find(host); it != lookups_.end()) {
    r.status = Status::kPending;
    r.ticket = next_ticket_++;
    it->second->waiters.emplace(r.ticket, std::move(cb));
    tickets_.emplace(r.ticket, host);
    return r;
  }
  if (std::vector<IpAddr> listed = hosts_lookup(read_hosts_file(hosts_path_), host);
      !listed.empty()) {
    r.status = Status::kReady;
    r.addr = listed.front();
    cache_.store(host, std::move(listed), kHostsTtlSeconds, now);
    return r;
  }
  auto lookup = std::make_unique<Lookup>();
  lookup->owner = this;
  lookup->host = host;
  if (!dns_ || !send_query(*lookup, /*ipv6=*/false)) {
    cache_.store_failure(host, now);
    return r;
  }
  r.status = Status::kPending;
  r.sent_query = true;
  r.ticket = next_ticket_++;
  lookup->waiters.emplace(r.ticket, std::move(cb));
  tickets_.emplace(r.ticket, host);
  lookups_.emplace(host, std::move(lookup));
  return r;
}

void Resolver::cancel(uint64_t ticket) {
  auto t = tickets_.find(ticket);
  if (t == tickets_.end()) return;
  // The query itself runs on: its answer is cached for the next fetch.
  if (auto it = lookups_.find(t->second); it != lookups_.end()) it->second->waiters.erase(ticket);
  tickets_.erase(t);
}

bool Resolver::send_query(Lookup& lookup, bool ipv6) {
  lookup.ipv6 = ipv6;
  // NO_SEARCH: a responder URL names a host fully; search domains would
  // turn one failing name into several queries.
  evdns_request* q =
      ipv6 ? evdns_base_resolve_ipv6(dns_.get(), lookup.host.c_str(), DNS_QUERY_NO_SEARCH,
                                     &Resolver::on_answer, &lookup)
           : evdns_base_resolve_ipv4(dns_.get(), lookup.host.c_str(), DNS_QUERY_NO_SEARCH,
                                     &Resolver::on_answer, &lookup);
  return q != nullptr;
}

void Resolver::on_answer(int result, char type, int count, int ttl, void* addresses, void* arg) {
  auto* lookup = static_cast<Lookup*>(arg);
  Resolver* self = lookup->owner;
  const int64_t now = self->clock_.monotonic_ms();
  std::vector<IpAddr> addrs;
  if (result == DNS_ERR_NONE && addresses != nullptr && count > 0) {
    for (int i = 0; i < count; ++i) {
      IpAddr a;
      if (type == DNS_IPv4_A) {
        a.family = AF_INET;
        std::memcpy(a.bytes.data(), static_cast<const uint8_t*>(addresses) + 4 * i, 4);
      } else if (type == DNS_IPv6_AAAA) {
        a.family = AF_INET6;
        std::memcpy(a.bytes.data(), static_cast<const uint8_t*>(addresses) + 16 * i, 16);
      } else {
        continue;
      }
      addrs.push_back(a);
    }
  }
  if (!addrs.empty()) {
    const IpAddr first = addrs.front();
    self->cache_.store(lookup->host, std::move(addrs), ttl, now);
    self->complete(lookup->host, true, first);
    return;
  }
  // No A record (or none reachable): an IPv6-only responder still works.
  if (!lookup->ipv6 && result != DNS_ERR_SHUTDOWN && self->send_query(*lookup, true)) return;
  self->cache_.store_failure(lookup->host, now);
  self->complete(lookup->host, false, IpAddr{});
}

void Resolver::complete(const std::string& host, bool ok, const IpAddr& addr) {
  auto it = lookups_.find(host);
  if (it == lookups_.end()) return;
  // Detached before calling back: a waiter may resolve() again or cancel.
  std::unique_ptr<Lookup> lookup = std::move(it->second);
  lookups_.erase(it);
  for (const auto& [ticket, cb] : lookup->waiters) tickets_.erase(ticket);
  for (auto& [ticket, cb] : lookup->waiters) cb(ok, addr);
}

}  // namespace ocspcache
