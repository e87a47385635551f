// Forward-proxy mode's check of where a client-named responder lives: its
// name is resolved (evdns, on the worker's loop) and every address it
// resolves to must be public, or listed itself in upstream.allow_hosts.
// Without it a wildcard entry would let anyone who controls a name below
// it point ocspcache at loopback, the private network or a cloud metadata
// endpoint.
//
// The check runs before the responder is asked, so a client is told 403 with
// a reason. The upstream client resolves the name again and checks the
// address it connects to by the same rule (AddressPolicy::kPublicOnly in
// client.h), so a name whose answer changes between the two lookups (DNS
// rebinding with a zero TTL) reaches no private address either.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "ocspcache/util/duration.h"
#include "ocspcache/util/host_allow_list.h"

struct event_base;
struct evdns_base;

namespace ocspcache {

class HostVetter {
 public:
  enum class Verdict : uint8_t {
    kPublic,      // every address is public or listed: ask it
    kPrivate,     // an address is special-purpose and not listed: refuse
    kNoAddress,   // the name did not resolve (or timed out)
  };
  struct Result {
    Verdict verdict = Verdict::kNoAddress;
    std::string detail;  // the offending address, or the resolver's error
  };
  using Done = std::function<void(Result)>;

  // `allow` must outlive the vetter; `timeout` bounds one lookup.
  HostVetter(event_base* base, const HostAllowList& allow, Millis timeout);
  ~HostVetter();
  HostVetter(const HostVetter&) = delete;
  HostVetter& operator=(const HostVetter&) = delete;

  // `done` runs once, on the loop; possibly before vet() returns (a name
  // from /etc/hosts). Never after the vetter is gone.
  void vet(const std::string& host, Done done);

  // Pure part, for tests: the verdict on one resolved address.
  static bool acceptable(const IpAddress& address, const HostAllowList& allow) {
    return allow.lists(address) || !is_special_address(address);
  }

 private:
  struct Lookup;
  const HostAllowList& allow_;
  std::unique_ptr<evdns_base, void (*)(evdns_base*)> dns_;
  std::unordered_set<Lookup*> pending_;
};

}  // namespace ocspcache
