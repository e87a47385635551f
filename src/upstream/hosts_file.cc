#include "ocspcache/upstream/hosts_file.h"

#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <strings.h>

namespace ocspcache {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits LINE at blanks into its first field and the rest.
std::string_view next_field(std::string_view& line) {
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end);
  return field;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::vector<IpAddr> hosts_lookup(std::string_view text, std::string_view name) {
  std::vector<IpAddr> out;
  if (name.empty()) return out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    IpAddr addr;
    if (!IpAddr::parse(next_field(line), &addr)) continue;
    for (std::string_view alias = next_field(line); !alias.empty(); alias = next_field(line)) {
      if (iequals(alias, name) && std::find(out.begin(), out.end(), addr) == out.end()) {
        out.push_back(addr);
      }
    }
  }
  std::stable_partition(out.begin(), out.end(), [](const IpAddr& a) { return a.family == AF_INET; });
  return out;
}

std::string read_hosts_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ocspcache
