// Keep-alive connections to responders, per origin (scheme, host, port):
// a fetch takes the most recently parked connection of its origin (the
// least likely to have been closed by the server) or opens one; after a
// complete answer that allows it, the connection is parked again. Parked
// connections die on the server's close, after upstream.idle_timeout, or
// when upstream.max_idle are already parked for the origin.
//
// The pool owns every connection, busy or parked, so the client's
// destructor frees them all, and it keeps TransportStats current.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ocspcache/upstream/transport_stats.h"
#include "ocspcache/upstream/upstream_connection.h"
#include "ocspcache/util/duration.h"

namespace ocspcache {

struct PoolLimits {
  Millis idle_timeout{30'000};
  size_t max_idle = 16;  // per origin; 0 = no keep-alive
};

class ConnectionPool final : public UpstreamConnection::Parking {
 public:
  struct Origin {
    std::string key;  // "https://host:port", the stats label
    TransportStats::Origin* stats = nullptr;
    std::vector<UpstreamConnection*> parked;  // most recent last
  };

  ConnectionPool(PoolLimits limits, TransportStats& stats) : limits_(limits), stats_(stats) {}
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  Origin& origin(const std::string& key);

  // A parked connection of ORIGIN, now busy; null when none.
  UpstreamConnection* take(Origin& origin);
  // Adopts a new connection for ORIGIN as busy.
  UpstreamConnection* add(Origin& origin, std::unique_ptr<UpstreamConnection> conn);
  // After an exchange: parked when REUSABLE and there is room, else closed.
  void release(UpstreamConnection* conn, bool reusable);
  // Closes a connection (busy or parked) without any callback.
  void close(UpstreamConnection* conn);

  void on_parked_closed(UpstreamConnection& conn) override { close(&conn); }

  size_t open_connections() const { return conns_.size(); }

 private:
  struct Slot {
    std::unique_ptr<UpstreamConnection> conn;
    Origin* origin = nullptr;
    bool parked = false;
  };

  PoolLimits limits_;
  TransportStats& stats_;
  std::unordered_map<std::string, std::unique_ptr<Origin>> origins_;
  std::unordered_map<UpstreamConnection*, Slot> conns_;
};

}  // namespace ocspcache
