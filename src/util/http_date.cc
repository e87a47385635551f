#include "ocspcache/http_date.h"

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
}  // namespace

void format_http_date(int64_t unix_seconds, char* out) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm g{};
  gmtime_r(&t, &g);
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
  if (text.size() > 64) return std::nullopt;
  std::string s(text);
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                          "%a %b %e %H:%M:%S %Y"}) {
    tm t{};
    const char* end = strptime(s.c_str(), fmt, &t);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&t));
  }
  return std::nullopt;
}

}  // namespace ocspcache
