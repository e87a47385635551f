// load_config: read the file, parse TOML, check structure (known tables and
// keys, from the schema), check each value (config_values.cc), then the
// rules that span keys (unique issuer names, no listen address used twice).
// The first problem found is thrown; --check-config and SIGHUP reload both
// call this, and a reload keeps the old config when it throws.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ocspcache/util/net_address.h"
#include "values.h"

namespace ocspcache {
namespace {

using namespace config_schema;

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  return std::move(text).str();
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'server.threads'?)" for a near miss within the table, for
// the same name in another table (a key under the wrong header), or at the
// top level for a misspelt table name.
std::string suggestion(std::string_view table, std::string_view name) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, name.size() / 4) + 1;
  auto consider = [&](size_t distance, std::string candidate) {
    if (distance < best_distance) {
      best_distance = distance;
      best = std::move(candidate);
    }
  };
  auto consider_row = [&](std::string_view row_table, std::string_view row_name) {
    std::string full = std::string(row_table) + "." + std::string(row_name);
    if (row_table == table) consider(edit_distance(name, row_name), full);
    if (row_table != table && row_name == name) consider(1, full);
  };
  for (const auto& row : global_keys()) consider_row(row.table, row.name);
  for (const auto& row : issuer_keys()) consider_row(row.table, row.name);
  if (table.empty()) {
    for (std::string_view known : table_names())
      consider(edit_distance(name, known), std::string(known));
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

template <class Target>
Value default_value(const LoadContext& ctx, const KeySpec<Target>& row) {
  std::string text = "v = " + std::string(row.default_toml);
  toml::table parsed = toml::parse(std::string_view(text), std::string_view("<schema>"));
  return convert(ctx, *parsed.get("v"), row.name, KeyRules::of(row));
}

// Applies every key of one TOML table to `target` through the rows of
// `table_name`; `prefix` is the dotted key shown in messages ("issuer[1]").
template <class Target>
void apply_table(const LoadContext& ctx, const toml::table& table, std::string_view table_name,
                 const std::string& prefix, std::span<const KeySpec<Target>> rows, Target& target) {
  for (const auto& [toml_key, node] : table) {
    std::string_view name = toml_key.str();
    std::string key = prefix + "." + std::string(name);
    const KeySpec<Target>* row = nullptr;
    for (const auto& candidate : rows) {
      if (candidate.table == table_name && candidate.name == name) row = &candidate;
    }
    if (!row) {
      fail_at(ctx, node.source(), "unknown key '" + key + "'" + suggestion(table_name, name));
    }
    Value value = convert(ctx, node, key, KeyRules::of(*row));
    if (row->required && row->kind == Kind::kString && std::get<std::string>(value).empty()) {
      fail(ctx, node.source(), key, "must not be empty");
    }
    if (!row->not_yet.empty() && value != default_value(ctx, *row)) {
      fail(ctx, node.source(), key,
           "not yet supported (" + std::string(row->not_yet) + "); remove it or set it to " +
               std::string(row->default_toml));
    }
    row->field.set(target, std::move(value));
  }
  for (const auto& row : rows) {
    if (row.table == table_name && row.required && !table.contains(row.name)) {
      fail(ctx, table.source(), prefix + "." + std::string(row.name), "missing (required)");
    }
  }
}

void load_issuers(const LoadContext& ctx, const toml::node& node, Config& config) {
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables()) {
    fail(ctx, node.source(), "issuer",
         "expected [[issuer]] tables (an array of tables), got " + std::string(type_name(node)));
  }
  std::map<std::string, size_t, std::less<>> index_by_name;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table& table = *array->get(i)->as_table();
    std::string prefix = "issuer[" + std::to_string(i) + "]";
    IssuerConfig issuer;
    issuer.line = static_cast<int>(table.source().begin.line);
    apply_table(ctx, table, "issuer", prefix, issuer_keys(), issuer);
    auto [it, inserted] = index_by_name.emplace(issuer.name, i);
    if (!inserted) {
      const auto& first = config.issuers[it->second];
      fail(ctx, table["name"].node()->source(), prefix + ".name",
           "\"" + issuer.name + "\" is already the name of issuer[" + std::to_string(it->second) +
               "] (line " + std::to_string(first.line) +
               "); names label metrics and must be unique");
    }
    config.issuers.push_back(std::move(issuer));
  }
}

// Two servers cannot bind one address; port 0 is exempt since each bind of
// it gets its own ephemeral port.
void check_listen_conflicts(const LoadContext& ctx, const toml::table& root, const Config& config) {
  if (!config.admin.listen || config.admin.listen->port == 0) return;
  for (const auto& address : config.server.listen) {
    if (address == *config.admin.listen) {
      const toml::node* node = root.at_path("admin.listen").node();
      if (!node) node = root.at_path("server.listen").node();
      fail(ctx, node ? node->source() : toml::source_region{}, "admin.listen",
           address.to_string() + " is also in server.listen; they need different addresses");
    }
  }
}

// Sentinel mode needs both keys; sentinels and cluster seeds are "host:port";
// a cluster and sentinels exclude each other.
void check_sentinels(const LoadContext& ctx, const toml::table& root, const Config& config) {
  const RedisConfig& r = config.redis;
  auto where = [&](const char* key) {
    const toml::node* node = root.at_path(key).node();
    return node ? node->source() : toml::source_region{};
  };
  if (!r.sentinels.empty() && r.master_name.empty()) {
    fail(ctx, where("redis.sentinels"), "redis.sentinels", "needs redis.master_name, the master to follow");
  }
  if (r.sentinels.empty() && !r.master_name.empty()) {
    fail(ctx, where("redis.master_name"), "redis.master_name", "needs redis.sentinels to ask for it");
  }
  for (const auto& [list, name] : {std::pair{&r.sentinels, "redis.sentinels"}, std::pair{&r.cluster, "redis.cluster"}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      auto hp = parse_host_port((*list)[i]);
      if (!hp || hp->port == 0) {
        fail(ctx, where(name), std::string(name) + "[" + std::to_string(i) + "]",
             "\"" + (*list)[i] + "\" is not \"host:port\"");
      }
    }
  }
  if (!r.cluster.empty() && !r.sentinels.empty()) {
    fail(ctx, where("redis.cluster"), "redis.cluster",
         "and redis.sentinels are two ways to find Redis: use one (a cluster fails over by itself)");
  }
}

// cache.snapshot is for the memory backend, and its directory must exist
// now: the first write comes only at snapshot_interval or at shutdown,
// far too late to learn of a typo (the previous run's answers then lost).
void check_snapshot(const LoadContext& ctx, const toml::table& root, const Config& config) {
  const std::string& path = config.cache.snapshot;
  if (path.empty()) return;
  const toml::node* node = root.at_path("cache.snapshot").node();
  const toml::source_region where = node ? node->source() : toml::source_region{};
  if (config.cache.backend != "memory") {
    fail(ctx, where, "cache.snapshot",
         "is for the memory backend; with backend = \"redis\" the fleet's Redis keeps the cache "
         "warm");
  }
  const std::filesystem::path file(path);
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    fail(ctx, where, "cache.snapshot", "directory \"" + dir.string() + "\" does not exist");
  }
  if (std::filesystem::is_directory(file, ec)) {
    fail(ctx, where, "cache.snapshot", "\"" + path + "\" is a directory, not a file");
  }
}

}  // namespace

Config load_config(const std::string& path) {
  LoadContext ctx{path, std::filesystem::absolute(path).parent_path()};
  std::string text = read_whole_file(path);
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(path));
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(path + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                      ": " + std::string(e.description()));
  }

  Config config;
  config.path = path;
  for (const auto& [toml_key, node] : root) {
    std::string_view name = toml_key.str();
    if (name == "issuer") {
      load_issuers(ctx, node, config);
      continue;
    }
    bool known = std::find(table_names().begin(), table_names().end(), name) != table_names().end();
    if (!known) {
      std::string what = node.is_table() ? "unknown table '" : "unknown key '";
      fail_at(ctx, node.source(), what + std::string(name) + "'" + suggestion("", name));
    }
    const auto* table = node.as_table();
    if (!table) {
      fail(ctx, node.source(), name,
           "expected a table ([" + std::string(name) + "]), got " + std::string(type_name(node)));
    }
    apply_table(ctx, *table, name, std::string(name), global_keys(), config);
  }
  check_listen_conflicts(ctx, root, config);
  check_sentinels(ctx, root, config);
  check_snapshot(ctx, root, config);
  return config;
}

}  // namespace ocspcache
