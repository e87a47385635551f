#include "ocspcache/util/http_date.h"

#include <cstring>
#include <ctime>
#include <string>

namespace ocspcache {
namespace {
constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}


// Civil date from days since 1970-01-01 (H. Hinnant's algorithm): glibc's
// gmtime_r takes the global timezone lock, and this runs for every answer
// on every worker.
tm utc_tm(int64_t t) {
  int64_t days = t / 86400;
  int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  tm g{};
  g.tm_hour = static_cast<int>(secs / 3600);
  g.tm_min = static_cast<int>(secs / 60 % 60);
  g.tm_sec = static_cast<int>(secs % 60);
  g.tm_wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  g.tm_mday = static_cast<int>(d);
  g.tm_mon = static_cast<int>(m - 1);
  g.tm_year = static_cast<int>(y - 1900);
  return g;
}

}  // namespace

void format_http_date(int64_t unix_seconds, char* out) {
  const tm g = utc_tm(unix_seconds);
  int year = g.tm_year + 1900;
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  std::memcpy(out, kDays[g.tm_wday], 3);
  std::memcpy(out + 3, ", ", 2);
  put2(out + 5, g.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[g.tm_mon], 3);
  out[11] = ' ';
  put2(out + 12, year / 100);
  put2(out + 14, year % 100);
  out[16] = ' ';
  put2(out + 17, g.tm_hour);
  out[19] = ':';
  put2(out + 20, g.tm_min);
  out[22] = ':';
  put2(out + 23, g.tm_sec);
  std::memcpy(out + 25, " GMT", 4);
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  // strptime wants a NUL-terminated string; a stack copy keeps conditional
  // cache hits (If-Modified-Since) free of allocations.
  char s[65];
  if (text.size() >= sizeof s) return std::nullopt;
  std::memcpy(s, text.data(), text.size());
  s[text.size()] = '\0';
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                          "%a %b %e %H:%M:%S %Y"}) {
    tm t{};
    const char* end = strptime(s, fmt, &t);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&t));
  }
  return std::nullopt;
}

}  // namespace ocspcache
