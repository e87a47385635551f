// Logging is line-at-a-time with a single write(2) so lines from several
// worker threads never interleave.
#include "ocspcache/util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

namespace ocspcache::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool parse_level(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

namespace {

void append_escaped(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto b = static_cast<unsigned char>(c);
  switch (c) {
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    default: break;
  }
  if (b < 0x20 || b == 0x7f) {
    out.append("\\x").push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
    return;
  }
  out.push_back(c);
}

}  // namespace

std::string quoted(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    append_escaped(out, c);
  }
  out.push_back('"');
  return out;
}

void write(Level l, std::string_view event, std::string_view fields) {
  if (l < level()) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000);
  std::string line;
  line.reserve(64 + event.size() + fields.size());
  line.append("ts=").append(stamp).append(" level=").append(name(l)).append(" event=");
  line.append(event);
  if (!fields.empty()) {
    line.push_back(' ');
    for (char c : fields) append_escaped(line, c);
  }
  line.push_back('\n');
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace ocspcache::log
