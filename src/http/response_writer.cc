#include "ocspcache/http/response_writer.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "ocspcache/util/http_date.h"

namespace ocspcache {
namespace {

// Date changes once a second; each worker thread formats it once per second.
struct DateCache {
  int64_t second = -1;
  char text[kHttpDateLen];
};
thread_local DateCache t_date;

void put(std::vector<char>& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

void put_uint(std::vector<char>& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.insert(out.end(), buf, end);
}

void put_date(std::vector<char>& out, int64_t t) {
  char buf[kHttpDateLen];
  format_http_date(t, buf);
  out.insert(out.end(), buf, buf + kHttpDateLen);
}

void put_etag(std::vector<char>& out, uint64_t etag) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[18];
  buf[0] = '"';
  for (int i = 0; i < 16; ++i) buf[1 + i] = kHex[(etag >> (60 - 4 * i)) & 0xf];
  buf[17] = '"';
  out.insert(out.end(), buf, buf + sizeof buf);
}

void put_status_and_common(std::vector<char>& out, std::string_view status_line,
                           const ReplyContext& ctx) {
  put(out, status_line);
  if (t_date.second != ctx.now) {
    format_http_date(ctx.now, t_date.text);
    t_date.second = ctx.now;
  }
  put(out, "Date: ");
  out.insert(out.end(), t_date.text, t_date.text + kHttpDateLen);
  put(out, "\r\nServer: ocspcache\r\n");
  if (!ctx.keep_alive) {
    put(out, "Connection: close\r\n");
  } else if (ctx.http10) {
    put(out, "Connection: keep-alive\r\n");
  }
}

void put_validators(std::vector<char>& out, const CachedResponse& e, const ReplyContext& ctx) {
  const int64_t left = e.next_update() - ctx.now;
  const int64_t max_age = std::max<int64_t>(0, std::min(left, ctx.max_age_cap));
  put(out, "Cache-Control: max-age=");
  put_uint(out, static_cast<uint64_t>(max_age));
  put(out, ", public, no-transform, must-revalidate\r\nLast-Modified: ");
  put_date(out, e.this_update());
  put(out, "\r\nExpires: ");
  put_date(out, e.next_update());
  put(out, "\r\nETag: ");
  put_etag(out, e.etag());
  put(out, "\r\n");
}

std::string_view reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

}  // namespace

void append_ocsp_hit(std::vector<char>& out, const CachedResponse& e, const ReplyContext& ctx) {
  put_status_and_common(out, "HTTP/1.1 200 OK\r\n", ctx);
  put(out, "Content-Type: application/ocsp-response\r\nContent-Length: ");
  put_uint(out, e.der().size());
  put(out, "\r\n");
  put_validators(out, e, ctx);
  put(out, "\r\n");
  if (!ctx.head) out.insert(out.end(), e.der().begin(), e.der().end());
}

void append_not_modified(std::vector<char>& out, const CachedResponse& e, const ReplyContext& ctx) {
  put_status_and_common(out, "HTTP/1.1 304 Not Modified\r\n", ctx);
  put_validators(out, e, ctx);
  put(out, "\r\n");
}

void append_ocsp_error(std::vector<char>& out, ocsp::ResponseCode code, const ReplyContext& ctx) {
  const auto der = ocsp::error_response_der(code);
  put_status_and_common(out, "HTTP/1.1 200 OK\r\n", ctx);
  put(out, "Content-Type: application/ocsp-response\r\nCache-Control: no-store\r\nContent-Length: ");
  put_uint(out, der.size());
  put(out, "\r\n\r\n");
  if (!ctx.head) out.insert(out.end(), der.begin(), der.end());
}

void append_ocsp_uncached(std::vector<char>& out, std::span<const uint8_t> der,
                          const ReplyContext& ctx) {
  put_status_and_common(out, "HTTP/1.1 200 OK\r\n", ctx);
  put(out, "Content-Type: application/ocsp-response\r\nCache-Control: no-store\r\nContent-Length: ");
  put_uint(out, der.size());
  put(out, "\r\n\r\n");
  if (!ctx.head) out.insert(out.end(), der.begin(), der.end());
}

void append_http_refusal(std::vector<char>& out, int status, std::string_view text,
                         const ReplyContext& ctx, std::string_view extra_headers) {
  const std::string_view why = reason(status);
  char line[64];
  const int n = std::snprintf(line, sizeof line, "HTTP/1.1 %d %.*s\r\n", status,
                              static_cast<int>(why.size()), why.data());
  put_status_and_common(out, std::string_view(line, static_cast<size_t>(n)), ctx);
  put(out, extra_headers);
  put(out, "Content-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: ");
  put_uint(out, text.size() + 1);
  put(out, "\r\n\r\n");
  if (!ctx.head) {
    put(out, text);
    put(out, "\n");
  }
}

void append_http_error(std::vector<char>& out, int status, const ReplyContext& ctx,
                       std::string_view extra_headers) {
  const std::string_view why = reason(status);
  char line[64];
  const int n = std::snprintf(line, sizeof line, "HTTP/1.1 %d %.*s\r\n", status,
                              static_cast<int>(why.size()), why.data());
  put_status_and_common(out, std::string_view(line, static_cast<size_t>(n)), ctx);
  put(out, extra_headers);
  put(out, "Content-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: ");
  put_uint(out, why.size() + 1);
  put(out, "\r\n\r\n");
  if (!ctx.head) {
    put(out, why);
    put(out, "\n");
  }
}

bool not_modified(std::string_view if_none_match, std::string_view if_modified_since,
                  const CachedResponse& e) {
  if (!if_none_match.empty()) return etag_matches(if_none_match, e);
  if (!if_modified_since.empty()) {
    auto since = parse_http_date(if_modified_since);
    return since && e.this_update() <= *since;
  }
  return false;
}

bool etag_matches(std::string_view inm, const CachedResponse& e) {
  // Hex of our tag on the stack: a conditional hit must not allocate either.
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[16];
  for (int i = 0; i < 16; ++i) hex[i] = kHex[(e.etag() >> (60 - 4 * i)) & 0xf];
  const std::string_view want(hex, sizeof hex);
  size_t pos = 0;
  while (pos < inm.size()) {
    size_t comma = inm.find(',', pos);
    if (comma == std::string_view::npos) comma = inm.size();
    std::string_view item = inm.substr(pos, comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison (RFC 9110 §13.1.2)
    if (item.size() == 18 && item.front() == '"' && item.back() == '"' &&
        item.substr(1, 16) == want) {
      return true;
    }
    pos = comma + 1;
  }
  return false;
}

}  // namespace ocspcache
