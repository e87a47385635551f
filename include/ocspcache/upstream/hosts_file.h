// /etc/hosts, read the way the system resolver does ("files" before "dns"
// in nsswitch.conf), so a responder configured as http://localhost:PORT/ or
// a name pinned there works. evdns only consults its hosts table from
// evdns_getaddrinfo, which gives no TTL, so the resolver asks this first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/upstream/dns_cache.h"

namespace ocspcache {

// Every address listed for NAME (case-insensitive) in hosts-file TEXT, in
// file order: IPv4 first when both are listed, as connections try the
// first. Comments and malformed lines are skipped.
std::vector<IpAddr> hosts_lookup(std::string_view text, std::string_view name);

// The file's contents, or "" when unreadable.
std::string read_hosts_file(const std::string& path = "/etc/hosts");

}  // namespace ocspcache
