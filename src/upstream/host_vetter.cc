#include "ocspcache/upstream/host_vetter.h"

#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

namespace ocspcache {
namespace {

void free_dns(evdns_base* d) {
  if (d != nullptr) evdns_base_free(d, /*fail_requests=*/1);
}

}  // namespace

// Self-owned while evdns holds it: freed in its callback, which evdns runs
// exactly once (with EVUTIL_EAI_CANCEL when the base is freed first).
struct HostVetter::Lookup {
  HostVetter* owner = nullptr;  // null once the vetter is gone: call nobody
  Done done;

  static void on_result(int err, evutil_addrinfo* res, void* arg) {
    auto* self = static_cast<Lookup*>(arg);
    Result result;
    if (err != 0) {
      result.detail = evutil_gai_strerror(err);
    } else {
      result.verdict = Verdict::kPublic;
      bool any = false;
      for (const evutil_addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        auto address = from_sockaddr(ai->ai_addr);
        if (!address) continue;
        any = true;
        // Every address, not the first: the client may connect to any.
        if (self->owner != nullptr && !acceptable(*address, self->owner->allow_)) {
          result.verdict = Verdict::kPrivate;
          result.detail = address->to_string();
          break;
        }
      }
      if (!any) {
        result.verdict = Verdict::kNoAddress;
        result.detail = "no IPv4 or IPv6 address";
      }
    }
    if (res != nullptr) evutil_freeaddrinfo(res);
    HostVetter* owner = self->owner;
    Done done = std::move(self->done);
    if (owner != nullptr) owner->pending_.erase(self);
    delete self;  // NOLINT: self-owned libevent callback state
    if (owner != nullptr) done(std::move(result));
  }
};

HostVetter::HostVetter(event_base* base, const HostAllowList& allow, Millis timeout)
    : allow_(allow),
      dns_(evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                    EVDNS_BASE_DISABLE_WHEN_INACTIVE),
           free_dns) {
  if (!dns_) {
    // No usable resolv.conf: /etc/hosts names and literals still resolve.
    dns_.reset(evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE));
    if (dns_) evdns_base_load_hosts(dns_.get(), nullptr);
  }
  if (dns_) {
    // One try within upstream.timeout: the client waits for the lookup too.
    const std::string seconds = std::to_string(std::max<double>(0.1, timeout.count() / 1000.0));
    evdns_base_set_option(dns_.get(), "timeout:", seconds.c_str());
    evdns_base_set_option(dns_.get(), "attempts:", "1");
  }
}

HostVetter::~HostVetter() {
  for (Lookup* lookup : pending_) lookup->owner = nullptr;
  pending_.clear();
  dns_.reset();  // fails the pending lookups; their callbacks only free themselves
}

void HostVetter::vet(const std::string& host, Done done) {
  if (!dns_) {
    done(Result{Verdict::kNoAddress, "no resolver"});
    return;
  }
  auto* lookup = new Lookup{this, std::move(done)};  // NOLINT: freed in Lookup::on_result
  pending_.insert(lookup);
  evutil_addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  evdns_getaddrinfo(dns_.get(), host.c_str(), nullptr, &hints, &Lookup::on_result, lookup);
}

}  // namespace ocspcache
