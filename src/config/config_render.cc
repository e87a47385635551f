// Renders conf/ocspcache.toml and the key reference in
// docs/configuration.md from the schema rows, so the sample, the docs and
// the parser share one source (STYLE.md: one table drives all three).
// config_docs_test compares the checked-in files with this output.
#include <sstream>

#include "values.h"

namespace ocspcache {
namespace {

using namespace config_schema;

constexpr std::string_view kRegenerate =
    "OCSPCACHE_UPDATE_GOLDEN=1 ./build/tests/unit_tests --gtest_filter='ConfigDocs.*'";

template <class Target>
void sample_rows(std::ostringstream& out, std::string_view table,
                 std::span<const KeySpec<Target>> rows) {
  for (const auto& row : rows) {
    if (row.table != table) continue;
    out << "# " << row.doc << (row.required ? " (required)" : "")
        << (row.not_yet.empty() ? "" : " (not yet supported)") << "\n"
        << row.name << " = " << row.default_toml << "\n";
  }
}

// The packaged config: every key with its meaning and reload policy,
// commented out at its default, so the installed file loads to the
// built-in defaults and a new key reaches it by regeneration. Where a
// production install would point a key into the package's directories
// (/var/lib/ocspcache is the unit's StateDirectory), an "e.g." line shows
// the value. The [[issuer]] example stays commented: the package trusts no
// CA until the operator names one.
struct PackagedExample {
  std::string_view key;    // "table.name"
  std::string_view value;  // TOML text of the example shown (commented)
};
constexpr PackagedExample kPackagedExamples[] = {
    {"cache.snapshot", "\"/var/lib/ocspcache/cache.snapshot\""},
    {"stapling.certs", "[\"/etc/ssl/ocspcache/*.pem\"]"},
    {"stapling.dir", "\"/var/lib/ocspcache/staples\""},
    {"issuer.name", "\"Example CA\""},
    {"issuer.cert", "\"/etc/ocspcache/issuers/example-ca.pem\""},
    {"issuer.responders", "[\"http://ocsp.example.com/\"]"},
};

template <class Target>
void packaged_rows(std::ostringstream& out, std::string_view table,
                   std::span<const KeySpec<Target>> rows) {
  for (const auto& row : rows) {
    if (row.table != table) continue;
    const std::string key = std::string(table) + "." + std::string(row.name);
    std::string_view example;
    for (const auto& e : kPackagedExamples) {
      if (e.key == key) example = e.value;
    }
    out << "# " << row.doc << (row.required ? " (required)" : "")
        << (row.not_yet.empty() ? "" : " (not yet supported)")
        << (row.reload == Reload::kLive ? "" : " [restart]") << "\n";
    if (table == "issuer") {
      out << "#" << row.name << " = " << (example.empty() ? row.default_toml : example) << "\n";
      continue;
    }
    if (!example.empty()) out << "# e.g. " << row.name << " = " << example << "\n";
    out << "#" << row.name << " = " << row.default_toml << "\n";
  }
}

// Markdown table cells: '|' ends a cell and '<x>' reads as an HTML tag.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string bounds(uint64_t min, uint64_t max, std::string (*format)(uint64_t)) {
  if (max == std::numeric_limits<uint64_t>::max()) return ", at least " + format(min);
  return ", " + format(min) + " to " + format(max);
}

template <class Target>
std::string type_text(const KeySpec<Target>& row) {
  switch (row.kind) {
    case Kind::kBool:
      return "boolean";
    case Kind::kUInt:
      return "integer" + bounds(row.min, row.max, [](uint64_t v) { return std::to_string(v); });
    case Kind::kFraction:
      return "float, 0 < x < 1";
    case Kind::kString:
      return "string";
    case Kind::kChoice: {
      std::string out = "one of";
      std::string_view rest = row.choices;
      while (!rest.empty()) {
        auto choice = rest.substr(0, rest.find('|'));
        out += " `\"" + std::string(choice) + "\"`";
        rest.remove_prefix(std::min(rest.size(), choice.size() + 1));
      }
      return out;
    }
    case Kind::kPath:
      return "path";
    case Kind::kReadableFile:
      return "path of a readable file";
    case Kind::kOptionalFile:
      return "path of a readable file, or `\"\"`";
    case Kind::kStringList:
      return "array of strings";
    case Kind::kHostPatternList:
      return "array of host names, `\"*.domain\"` wildcards and IP addresses";
    case Kind::kCidrList:
      return "array of `\"address/prefix\"` ranges and IP addresses";
    case Kind::kDuration:
      return "duration" + bounds(row.min, row.max, format_duration);
    case Kind::kSize:
      return "size" + bounds(row.min, row.max, format_size);
    case Kind::kListenList:
      return "array of `\"host:port\"` (or one string)";
    case Kind::kOptionalListen:
      return "`\"host:port\"` or `\"\"`";
    case Kind::kHttpUrlList:
      return "array of http:// or https:// URLs, at least one";
    case Kind::kProxyUrl:
      return "`\"http://host:port\"` or `\"\"`";
    case Kind::kRedisUrl:
      return "Redis URL";
  }
  return "";
}

template <class Target>
void reference_rows(std::ostringstream& out, std::string_view table,
                    std::span<const KeySpec<Target>> rows) {
  out << "| Key | Type | Default | On SIGHUP | Meaning |\n|---|---|---|---|---|\n";
  for (const auto& row : rows) {
    if (row.table != table) continue;
    std::string fallback = row.required ? "required, e.g. `" + std::string(row.default_toml) + "`"
                                        : "`" + std::string(row.default_toml) + "`";
    out << "| `" << row.name << "` | " << cell(type_text(row)) << " | " << cell(fallback) << " | "
        << (row.reload == Reload::kLive ? "applied" : "restart") << " | " << cell(row.doc)
        << (row.not_yet.empty() ? "" : ". *Not yet supported: only the default is accepted.*")
        << " |\n";
  }
}

// Every table in schema order, each under its doc line: ISSUER_HEAD opens
// the [[issuer]] table, "[name]" the others, and ROWS(out, table, keys)
// writes a table's keys. The sample and the packaged config differ only in
// those two.
template <class Rows>
void each_table(std::ostringstream& out, std::string_view issuer_head, const Rows& rows) {
  for (std::string_view table : table_names()) {
    out << "\n# " << table_doc(table) << "\n";
    if (table == "issuer") {
      out << issuer_head;
      rows(out, table, issuer_keys());
    } else {
      out << "[" << table << "]\n";
      rows(out, table, global_keys());
    }
  }
}

}  // namespace

std::string render_sample_config() {
  std::ostringstream out;
  out << "# ocspcache sample configuration: every key, set to its default.\n"
         "# Reference: docs/configuration.md. Check a config: ocspcache --check-config FILE\n"
         "# Durations: \"250ms\" \"3s\" \"5m\" \"1h\" \"1d\". Sizes: bytes, or \"64KiB\" "
         "\"512MiB\" \"1GiB\".\n"
         "#\n"
         "# Generated from src/config/config_schema.cc; after changing the schema run\n"
         "#   "
      << kRegenerate << "\n";
  each_table(out,
             "# This one is the demo CA that scripts/demo.sh creates under .demo/pki/.\n"
             "[[issuer]]\n",
             [](std::ostringstream& o, std::string_view table, auto keys) {
               sample_rows(o, table, keys);
             });
  return out.str();
}

std::string render_packaged_config() {
  std::ostringstream out;
  out << "# /etc/ocspcache/ocspcache.toml, as the ocspcache package installs it.\n"
         "#\n"
         "# A production start: the memory backend, the OCSP front end and the admin\n"
         "# endpoint (/metrics) on loopback only, and no [[issuer]] yet: until you add\n"
         "# one per CA, every request is answered \"unauthorized\". Every key is listed\n"
         "# with its meaning, commented out at its default; uncomment a line to change\n"
         "# it. /var/lib/ocspcache (owned by the ocspcache user) is the place for the\n"
         "# warm-restart snapshot (cache.snapshot) and nginx staples (stapling.dir).\n"
         "#\n"
         "# Check a change: ocspcache --check-config /etc/ocspcache/ocspcache.toml\n"
         "# Apply it: systemctl reload ocspcache (keys marked [restart] apply only at\n"
         "# start-up: systemctl restart ocspcache). A file that does not load is\n"
         "# refused on reload and the running config kept (journalctl -u ocspcache).\n"
         "# Durations: \"250ms\" \"3s\" \"5m\" \"1h\" \"1d\". Sizes: bytes, or \"64KiB\" "
         "\"512MiB\" \"1GiB\".\n"
         "# Reference: ocspcache(8) and docs/configuration.md of the source.\n"
         "#\n"
         "# Generated from src/config/config_schema.cc (packaging/ocspcache.toml); after\n"
         "# changing the schema run\n"
         "#   "
      << kRegenerate << "\n";
  each_table(out,
             "# For each CA: its certificate (PEM) and its responders, from the\n"
             "# \"OCSP - URI\" of its certificates' Authority Information Access.\n"
             "#[[issuer]]\n",
             [](std::ostringstream& o, std::string_view table, auto keys) {
               packaged_rows(o, table, keys);
             });
  return out.str();
}

std::string render_config_reference() {
  std::ostringstream out;
  out << "<!-- Generated from src/config/config_schema.cc; refresh with\n     " << kRegenerate
      << " -->\n";
  for (std::string_view table : table_names()) {
    bool issuer = table == "issuer";
    out << "\n### " << (issuer ? "[[issuer]]" : "[" + std::string(table) + "]") << "\n\n"
        << table_doc(table) << "\n\n";
    if (issuer) {
      reference_rows(out, table, issuer_keys());
    } else {
      reference_rows(out, table, global_keys());
    }
  }
  out << "\n";  // a blank line ends the last Markdown table before the end marker
  return out.str();
}

}  // namespace ocspcache
