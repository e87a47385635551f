// Per-responder health from the upstream exchanges the Fetcher makes:
// ocspcache_responder_up{responder} and the responder part of /status and
// /readyz. A responder gets a row at its first exchange: before it we know
// nothing, and exporting 1 (or 0) would be a guess.
//
// Rare path only (one call per upstream exchange), so a plain mutex.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ocspcache {

class ResponderHealth {
 public:
  // The error rate /status shows is over this many last exchanges: a count,
  // not a time window, so a rarely asked responder still shows a rate.
  static constexpr size_t kWindow = 100;

  struct Row {
    std::string url;
    std::vector<std::string> issuers;  // [[issuer]] names it was asked for
    bool up = false;                   // the last exchange gave a valid answer in time
    int64_t last_ok_at = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    size_t recent_exchanges = 0;  // <= kWindow
    size_t recent_errors = 0;
  };

  // One exchange with `url` for `issuer`: ok = a validated answer.
  void record(std::string_view url, std::string_view issuer, bool ok, std::string_view error,
              int64_t now);

  std::vector<Row> snapshot() const;  // sorted by url

 private:
  struct State {
    Row row;
    std::bitset<kWindow> failed;  // ring of the last kWindow outcomes
    size_t next = 0;
  };
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, State> by_url_;
};

}  // namespace ocspcache
