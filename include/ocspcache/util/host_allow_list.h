// upstream.allow_hosts: which responder hosts forward-proxy mode may ask
// on a client's word. An entry is an exact host name ("ocsp.example.com",
// matched case-insensitively), a wildcard ("*.example.com": one or more
// labels below example.com, never example.com itself) or an IP literal
// ("192.0.2.7", "2001:db8::7", "[2001:db8::7]"). Matching allocates
// nothing: the front end asks on every request that names a host.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/util/ip_address.h"

namespace ocspcache {

// nullopt when `entry` is a valid allow_hosts entry, else why not. Shared by
// the config loader, so a bad entry is a config error naming the key.
std::optional<std::string> host_pattern_problem(std::string_view entry);

class HostAllowList {
 public:
  HostAllowList() = default;
  // Entries must pass host_pattern_problem (the config loader saw to it);
  // one that does not is ignored.
  explicit HostAllowList(const std::vector<std::string>& entries);

  bool empty() const { return names_.empty() && suffixes_.empty() && addresses_.empty(); }
  // A host name (not a literal) matches an exact entry or a wildcard. One
  // trailing dot (the absolute form) is ignored; a malformed name matches
  // nothing.
  bool allows_name(std::string_view host) const;
  // An IP literal, or an address a name resolved to, is listed as such.
  bool lists(const IpAddress& address) const;

 private:
  std::vector<std::string> names_;     // lower case
  std::vector<std::string> suffixes_;  // ".example.com" of "*.example.com", lower case
  std::vector<IpAddress> addresses_;
};

}  // namespace ocspcache
