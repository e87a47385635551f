#include "ocspcache/upstream/retry_after.h"

#include <algorithm>
#include <cctype>

#include "ocspcache/util/http_date.h"

namespace ocspcache {

int64_t retry_after_seconds(std::string_view value, int64_t now_unix) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return 0;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    // Digits past the cap are the cap: no overflow on "99999999999999999999".
    int64_t seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds >= kMaxRetryAfterSeconds) return kMaxRetryAfterSeconds;
    }
    return seconds;
  }
  auto when = parse_http_date(value);
  if (!when || *when <= now_unix) return 0;
  return std::min(*when - now_unix, kMaxRetryAfterSeconds);
}

}  // namespace ocspcache
