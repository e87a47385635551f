#include "ocspcache/util/host_allow_list.h"

#include <algorithm>
#include <cctype>

namespace ocspcache {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// RFC 1123 host name: dot-separated labels of letters, digits and '-', not
// starting or ending with '-'; '_' accepted (seen in real CA host names).
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> host_pattern_problem(std::string_view entry) {
  if (entry.empty()) return "empty entry";
  if (parse_ip_literal(entry)) return std::nullopt;
  std::string_view name = entry;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.find('*') != std::string_view::npos) {
    return "a wildcard is only allowed as the whole first label (\"*.example.com\")";
  }
  if (name.find(':') != std::string_view::npos) {
    return "no port or scheme: list the host only (IPv6 as \"2001:db8::1\")";
  }
  if (!is_dns_name(name)) return "not a host name, \"*.\" wildcard or IP address";
  if (entry.starts_with("*.") && name.find('.') == std::string_view::npos) {
    return "a wildcard needs at least two labels after \"*.\" (\"*.example.com\", not \"*.com\")";
  }
  return std::nullopt;
}

HostAllowList::HostAllowList(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) {
    if (host_pattern_problem(entry)) continue;
    if (auto ip = parse_ip_literal(entry)) {
      addresses_.push_back(*ip);
    } else if (entry.starts_with("*.")) {
      suffixes_.push_back(to_lower(std::string_view(entry).substr(1)));
    } else {
      names_.push_back(to_lower(entry));
    }
  }
}

bool HostAllowList::allows_name(std::string_view host) const {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (!is_dns_name(host)) return false;  // nothing odd reaches a URL or the resolver
  for (const std::string& name : names_) {
    if (iequals(host, name)) return true;
  }
  for (const std::string& suffix : suffixes_) {
    // At least one whole label before the suffix: "a.example.com", never
    // "example.com" or "badexample.com".
    if (host.size() > suffix.size() && iequals(host.substr(host.size() - suffix.size()), suffix) &&
        host[host.size() - suffix.size() - 1] != '.') {
      return true;
    }
  }
  return false;
}

bool HostAllowList::lists(const IpAddress& address) const {
  return std::find(addresses_.begin(), addresses_.end(), address) != addresses_.end();
}

}  // namespace ocspcache
