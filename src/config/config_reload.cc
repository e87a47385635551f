// What a SIGHUP reload cannot apply: the keys whose value changed and whose
// schema row says they need a restart (sockets, threads, the cache's size,
// upstream clients are built once at start-up).
#include "schema.h"

namespace ocspcache {

std::vector<std::string> keys_needing_restart(const Config& running, const Config& next) {
  using namespace config_schema;
  std::vector<std::string> keys;
  for (const auto& row : global_keys()) {
    if (row.reload == Reload::kRestart && !row.field.same(running, next)) {
      keys.push_back(std::string(row.table) + "." + std::string(row.name));
    }
  }
  const size_t common = std::min(running.issuers.size(), next.issuers.size());
  for (const auto& row : issuer_keys()) {
    if (row.reload == Reload::kLive) continue;
    bool changed = running.issuers.size() != next.issuers.size();
    for (size_t i = 0; i < common && !changed; ++i) {
      changed = !row.field.same(running.issuers[i], next.issuers[i]);
    }
    if (changed) keys.push_back("issuer." + std::string(row.name));
  }
  return keys;
}

}  // namespace ocspcache
