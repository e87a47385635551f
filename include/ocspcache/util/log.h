// One line per event on stderr, key=value, with a level filter.
#pragma once

#include <string_view>

namespace ocspcache::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level* out);

// `fields` is preformatted "k=v k=v" text; msg is quoted if it has spaces.
void write(Level level, std::string_view event, std::string_view fields = {});

inline void debug(std::string_view event, std::string_view fields = {}) {
  if (level() <= Level::kDebug) write(Level::kDebug, event, fields);
}
inline void info(std::string_view event, std::string_view fields = {}) {
  write(Level::kInfo, event, fields);
}
inline void warn(std::string_view event, std::string_view fields = {}) {
  write(Level::kWarn, event, fields);
}
inline void error(std::string_view event, std::string_view fields = {}) {
  write(Level::kError, event, fields);
}

}  // namespace ocspcache::log
