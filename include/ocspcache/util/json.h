// The little JSON the admin endpoint writes (/status): string escaping that
// always yields valid JSON, and RFC 3339 UTC timestamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ocspcache::json {

// Appends `text` as a JSON string literal, quotes included. Control
// characters are \u-escaped and bytes that are not valid UTF-8 become
// U+FFFD, so whatever a responder or a config put into an error text, the
// document stays valid (RFC 8259 §7-8).
void append_string(std::string& out, std::string_view text);

// "2024-05-01T12:00:00Z" as a JSON string, or null for 0 (never happened).
void append_time(std::string& out, int64_t unix_seconds);

}  // namespace ocspcache::json
