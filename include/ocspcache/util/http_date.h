// RFC 9110 §5.6.7 IMF-fixdate, formatted without allocation for headers
// (Date, Last-Modified, Expires) and parsed for If-Modified-Since.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ocspcache {

constexpr size_t kHttpDateLen = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

// Writes exactly kHttpDateLen bytes to out (no terminator).
void format_http_date(int64_t unix_seconds, char* out);

// Accepts IMF-fixdate, and the obsolete RFC 850 and asctime forms that
// RFC 9110 says recipients must accept.
std::optional<int64_t> parse_http_date(std::string_view text);

}  // namespace ocspcache
