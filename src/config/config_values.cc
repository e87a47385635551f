// Checks one config value against its schema row: TOML type, syntax (via
// units.cc), bounds, and for files that they can be read. Every failure
// names the file, the line of the offending node and the full key, because
// an operator fixing a config at 3 a.m. should not have to guess which
// "timeout" was meant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "ocspcache/util/host_allow_list.h"
#include "ocspcache/util/ip_network.h"
#include "values.h"

namespace ocspcache::config_schema {
namespace {

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

[[noreturn]] void wrong_type(const LoadContext& ctx, const toml::node& node, std::string_view key,
                             std::string_view expected) {
  fail(ctx, node.source(), key,
       "expected " + std::string(expected) + ", got " + std::string(type_name(node)));
}

const std::string& as_string(const LoadContext& ctx, const toml::node& node, std::string_view key) {
  const auto* value = node.as_string();
  if (!value) wrong_type(ctx, node, key, "a string");
  return value->get();
}

// Accepts one string as a one-element list where that reads naturally
// (listen = "127.0.0.1:8080").
std::vector<const toml::node*> elements(const LoadContext& ctx, const toml::node& node,
                                        std::string_view key, bool allow_single_string) {
  std::vector<const toml::node*> out;
  if (allow_single_string && node.is_string()) {
    out.push_back(&node);
  } else if (const auto* array = node.as_array()) {
    for (const auto& element : *array) out.push_back(&element);
  } else {
    wrong_type(ctx, node, key,
               allow_single_string ? "an array of strings or a string" : "an array of strings");
  }
  return out;
}

std::string element_key(std::string_view key, const toml::node& list, size_t index) {
  if (!list.is_array()) return std::string(key);
  return std::string(key) + "[" + std::to_string(index) + "]";
}

std::string resolve_path(const LoadContext& ctx, const std::string& text) {
  if (text.empty()) return text;
  std::filesystem::path path(text);
  if (path.is_relative()) path = ctx.base_dir / path;
  return path.lexically_normal().string();
}

// Only readability is checked here; the OCSP module parses the PEM later and
// names the file if it is not a certificate.
void check_readable_file(const LoadContext& ctx, const toml::node& node, std::string_view key,
                         const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(ctx, node.source(), key, "cannot read " + in_quotes(path) + ": " + std::strerror(errno));
  }
  struct stat st {};
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) fail(ctx, node.source(), key, in_quotes(path) + " is not a regular file");
}

uint64_t check_bounds(const LoadContext& ctx, const toml::node& node, std::string_view key,
                      const KeyRules& rules, uint64_t value, std::string (*format)(uint64_t)) {
  if (value < rules.min || value > rules.max) {
    std::string range = rules.max == std::numeric_limits<uint64_t>::max()
                            ? "at least " + format(rules.min)
                            : "between " + format(rules.min) + " and " + format(rules.max);
    fail(ctx, node.source(), key, "must be " + range + ", got " + format(value));
  }
  return value;
}

std::string plain_number(uint64_t value) {
  return std::to_string(value);
}

Value convert_duration(const LoadContext& ctx, const toml::node& node, std::string_view key,
                       const KeyRules& rules) {
  if (node.is_integer()) {
    fail(ctx, node.source(), key,
         "a duration needs a unit: write e.g. \"" + std::to_string(node.value_or(int64_t{0})) +
             "s\" (units: ms, s, m, h, d)");
  }
  const std::string& text = as_string(ctx, node, key);
  auto ms = parse_duration(text);
  if (!ms) {
    fail(ctx, node.source(), key,
         "bad duration " + in_quotes(text) +
             " (use e.g. \"250ms\", \"3s\", \"5m\", \"1h\", \"1d\")");
  }
  check_bounds(ctx, node, key, rules, static_cast<uint64_t>(ms->count()), format_duration);
  return *ms;
}

Value convert_size(const LoadContext& ctx, const toml::node& node, std::string_view key,
                   const KeyRules& rules) {
  uint64_t bytes = 0;
  if (const auto* integer = node.as_integer()) {
    if (integer->get() < 0) fail(ctx, node.source(), key, "a size cannot be negative");
    bytes = static_cast<uint64_t>(integer->get());
  } else {
    if (!node.is_string()) wrong_type(ctx, node, key, "a size (bytes, or a string like \"64KiB\")");
    const std::string& text = as_string(ctx, node, key);
    auto parsed = parse_size(text);
    if (!parsed) {
      fail(ctx, node.source(), key,
           "bad size " + in_quotes(text) +
               " (use bytes or \"64KiB\", \"512MiB\", \"1GiB\"; KB/MB/GB are not accepted)");
    }
    bytes = *parsed;
  }
  check_bounds(ctx, node, key, rules, bytes, format_size);
  return static_cast<size_t>(bytes);
}

Value convert_listen_list(const LoadContext& ctx, const toml::node& node, std::string_view key) {
  std::vector<HostPort> out;
  std::set<std::pair<std::string, uint16_t>> seen;
  auto items = elements(ctx, node, key, /*allow_single_string=*/true);
  if (items.empty()) fail(ctx, node.source(), key, "must list at least one address");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item_key = element_key(key, node, i);
    const std::string& text = as_string(ctx, *items[i], item_key);
    auto address = parse_host_port(text);
    if (!address) {
      fail(ctx, items[i]->source(), item_key,
           "bad address " + in_quotes(text) + " (use \"host:port\", IPv6 as \"[::1]:8080\")");
    }
    // Port 0 asks for an ephemeral port, so repeating it is no conflict.
    if (address->port != 0 && !seen.emplace(address->host, address->port).second) {
      fail(ctx, items[i]->source(), item_key, address->to_string() + " is listed twice");
    }
    out.push_back(std::move(*address));
  }
  return out;
}

Value convert_url_list(const LoadContext& ctx, const toml::node& node, std::string_view key) {
  std::vector<HttpUrl> out;
  auto items = elements(ctx, node, key, /*allow_single_string=*/false);
  if (items.empty()) fail(ctx, node.source(), key, "must list at least one responder URL");
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item_key = element_key(key, node, i);
    const std::string& text = as_string(ctx, *items[i], item_key);
    auto url = parse_http_url(text);
    if (!url) {
      fail(ctx, items[i]->source(), item_key,
           "bad URL " + in_quotes(text) + " (use http://host[:port][/path] or https://...)");
    }
    out.push_back(std::move(*url));
  }
  return out;
}

}  // namespace

void fail_at(const LoadContext& ctx, const toml::source_region& where, std::string_view message) {
  std::string out = ctx.file;
  if (where.begin.line > 0) out += ":" + std::to_string(where.begin.line);
  throw ConfigError(out + ": " + std::string(message));
}

void fail(const LoadContext& ctx, const toml::source_region& where, std::string_view key,
          std::string_view reason) {
  fail_at(ctx, where, "key '" + std::string(key) + "': " + std::string(reason));
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Value convert(const LoadContext& ctx, const toml::node& node, std::string_view key,
              const KeyRules& rules) {
  switch (rules.kind) {
    case Kind::kBool: {
      const auto* value = node.as_boolean();
      if (!value) wrong_type(ctx, node, key, "a boolean (true or false)");
      return value->get();
    }
    case Kind::kUInt: {
      const auto* value = node.as_integer();
      if (!value) wrong_type(ctx, node, key, "an integer");
      if (value->get() < 0) fail(ctx, node.source(), key, "cannot be negative");
      check_bounds(ctx, node, key, rules, static_cast<uint64_t>(value->get()), plain_number);
      return value->get();
    }
    case Kind::kFraction: {
      if (!node.is_number()) wrong_type(ctx, node, key, "a number");
      double value = node.value_or(0.0);
      if (!(value > 0.0 && value < 1.0)) {
        fail(ctx, node.source(), key, "must be greater than 0 and less than 1");
      }
      return value;
    }
    case Kind::kString:
      return as_string(ctx, node, key);
    case Kind::kChoice: {
      const std::string& text = as_string(ctx, node, key);
      std::string_view rest = rules.choices;
      std::string listed;
      while (!rest.empty()) {
        auto choice = rest.substr(0, rest.find('|'));
        if (choice == text) return text;
        listed += (listed.empty() ? "" : ", ") + in_quotes(choice);
        rest.remove_prefix(std::min(rest.size(), choice.size() + 1));
      }
      fail(ctx, node.source(), key, "must be one of " + listed + ", got " + in_quotes(text));
    }
    case Kind::kPath:
      return resolve_path(ctx, as_string(ctx, node, key));
    case Kind::kReadableFile: {
      std::string path = resolve_path(ctx, as_string(ctx, node, key));
      if (path.empty()) fail(ctx, node.source(), key, "must name a file");
      check_readable_file(ctx, node, key, path);
      return path;
    }
    case Kind::kOptionalFile: {
      std::string path = resolve_path(ctx, as_string(ctx, node, key));
      if (!path.empty()) check_readable_file(ctx, node, key, path);
      return path;
    }
    case Kind::kStringList: {
      std::vector<std::string> out;
      auto items = elements(ctx, node, key, /*allow_single_string=*/false);
      for (size_t i = 0; i < items.size(); ++i) {
        out.push_back(as_string(ctx, *items[i], element_key(key, node, i)));
      }
      return out;
    }
    case Kind::kHostPatternList: {
      std::vector<std::string> out;
      auto items = elements(ctx, node, key, /*allow_single_string=*/false);
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string item_key = element_key(key, node, i);
        std::string entry = as_string(ctx, *items[i], item_key);
        if (auto problem = host_pattern_problem(entry)) {
          fail(ctx, items[i]->source(), item_key, "bad entry " + in_quotes(entry) + ": " + *problem);
        }
        out.push_back(std::move(entry));
      }
      return out;
    }
    case Kind::kCidrList: {
      std::vector<std::string> out;
      auto items = elements(ctx, node, key, /*allow_single_string=*/false);
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string item_key = element_key(key, node, i);
        std::string entry = as_string(ctx, *items[i], item_key);
        if (auto parsed = parse_ip_network(entry); !parsed.network) {
          fail(ctx, items[i]->source(), item_key, "bad entry " + in_quotes(entry) + ": " + parsed.error);
        }
        out.push_back(std::move(entry));
      }
      return out;
    }
    case Kind::kDuration:
      return convert_duration(ctx, node, key, rules);
    case Kind::kSize:
      return convert_size(ctx, node, key, rules);
    case Kind::kListenList:
      return convert_listen_list(ctx, node, key);
    case Kind::kOptionalListen: {
      const std::string& text = as_string(ctx, node, key);
      if (text.empty()) return std::optional<HostPort>{};
      auto address = parse_host_port(text);
      if (!address) {
        fail(ctx, node.source(), key,
             "bad address " + in_quotes(text) +
                 " (use \"host:port\", IPv6 as \"[::1]:9080\", or \"\" to disable)");
      }
      return address;
    }
    case Kind::kHttpUrlList:
      return convert_url_list(ctx, node, key);
    case Kind::kProxyUrl: {
      const std::string& text = as_string(ctx, node, key);
      if (text.empty()) return text;
      auto url = parse_http_url(text);
      if (!url || url->https || url->path != "/") {
        fail(ctx, node.source(), key,
             "bad proxy URL " + in_quotes(text) + " (use http://host:port, or \"\" for none)");
      }
      return text;
    }
    case Kind::kRedisUrl: {
      const std::string& text = as_string(ctx, node, key);
      if (auto url = parse_redis_url(text); !url.ok()) {
        fail(ctx, node.source(), key, "bad Redis URL " + in_quotes(text) + ": " + url.error());
      }
      return text;
    }
  }
  throw std::logic_error("config schema: unhandled kind");
}

}  // namespace ocspcache::config_schema
