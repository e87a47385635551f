// One OCSP responder: its URL and what its recent exchanges say about it.
// The place where per-responder policy lives: today its health window
// (ocspcache_responder_up, /status, /readyz); next its circuit breaker,
// request budget and connection pool (issue 10). Shared by every worker's
// fetcher and kept across reloads while the URL stays configured
// (ResponderSet), so health survives a SIGHUP.
//
// Rare path only (one call per upstream exchange), so a plain mutex.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ocspcache/util/net_address.h"

namespace ocspcache {

class Responder {
 public:
  // The error rate /status shows is over this many last exchanges: a count,
  // not a time window, so a rarely asked responder still shows a rate.
  static constexpr size_t kWindow = 100;

  struct Health {
    std::string url;
    std::vector<std::string> issuers;  // [[issuer]] names it was asked for
    bool up = false;                   // the last exchange gave a valid answer in time
    int64_t last_ok_at = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    size_t recent_exchanges = 0;  // <= kWindow; 0: never asked
    size_t recent_errors = 0;
  };

  explicit Responder(HttpUrl url) : url_(std::move(url)) { health_.url = url_.original; }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  const HttpUrl& url() const { return url_; }

  // One exchange for `issuer`: ok = a validated answer; else `error` says why.
  void record(std::string_view issuer, bool ok, std::string_view error, int64_t now);
  Health health() const;

 private:
  const HttpUrl url_;
  mutable std::mutex mu_;
  Health health_;
  std::bitset<kWindow> failed_;  // ring of the last kWindow outcomes
  size_t next_ = 0;
};

}  // namespace ocspcache
