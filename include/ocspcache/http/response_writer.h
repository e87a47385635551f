// Serialises HTTP answers straight into a connection's output buffer: no
// allocation once the buffer has grown to its working size, one write(2)
// for a whole pipelined batch. Headers follow RFC 5019 §6 for OCSP answers.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/ocsp/response.h"

namespace ocspcache {

struct ReplyContext {
  int64_t now = 0;
  int64_t max_age_cap = 86400;  // seconds
  bool keep_alive = true;
  bool http10 = false;  // client spoke HTTP/1.0: say "Connection: keep-alive" explicitly
  bool head = false;    // HEAD: headers only
};

// 200 with the cached DER, Cache-Control max-age = min(nextUpdate - now, cap).
void append_ocsp_hit(std::vector<char>& out, const CachedResponse& e, const ReplyContext& ctx);

// 304 for a matching If-None-Match / If-Modified-Since.
void append_not_modified(std::vector<char>& out, const CachedResponse& e, const ReplyContext& ctx);

// 200 carrying an OCSPResponse with only a status (malformedRequest,
// tryLater, unauthorized, internalError); never cacheable.
void append_ocsp_error(std::vector<char>& out, ocsp::ResponseCode code, const ReplyContext& ctx);

// 200 with a validated answer that belongs to one client (nonce
// passthrough): Cache-Control: no-store, so no shared HTTP cache hands this
// client's nonce to another.
void append_ocsp_uncached(std::vector<char>& out, std::span<const uint8_t> der,
                          const ReplyContext& ctx);

// An HTTP error whose body says why in one line (forward-proxy refusals).
void append_http_refusal(std::vector<char>& out, int status, std::string_view text,
                         const ReplyContext& ctx, std::string_view extra_headers = {});

// A plain HTTP error for non-OCSP misuse (400, 405, 408, 413, 431, 503).
void append_http_error(std::vector<char>& out, int status, const ReplyContext& ctx,
                       std::string_view extra_headers = {});

// True when If-None-Match lists the entry's ETag (or "*").
bool etag_matches(std::string_view if_none_match, const CachedResponse& e);

// Whether a GET with these validators (either may be empty) gets 304 for e:
// If-None-Match decides when present (RFC 9110 §13.2.2), else
// If-Modified-Since against thisUpdate. No allocation.
bool not_modified(std::string_view if_none_match, std::string_view if_modified_since,
                  const CachedResponse& e);

}  // namespace ocspcache
