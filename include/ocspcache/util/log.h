// One line per event on stderr, key=value, with a level filter.
#pragma once

#include <string>
#include <string_view>

namespace ocspcache::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level* out);

// A value for a field, in double quotes, with `"` and `\` escaped and
// control bytes written as \n, \r, \t or \xNN: text that came from a
// client, a responder or a file can then neither end the value early (and
// forge a field) nor start a line of its own.
std::string quoted(std::string_view value);

// `fields` is preformatted "k=v k=v" text; values from outside belong in
// quoted(). As a backstop, control bytes in `fields` are escaped too, so an
// event is always one line.
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
