// A 503's Retry-After (RFC 9110 §10.2.3) as whole seconds from now, for
// UpstreamReply::retry_after_s. Either form is accepted: delta-seconds, or
// an HTTP-date made relative to `now_unix`. Anything else, a date in the
// past, and an absent header give 0 (no hint); huge values are capped at a
// day so a bad header cannot park a responder for years.
#pragma once

#include <cstdint>
#include <string_view>

namespace ocspcache {

constexpr int64_t kMaxRetryAfterSeconds = 86'400;

int64_t retry_after_seconds(std::string_view value, int64_t now_unix);

}  // namespace ocspcache
