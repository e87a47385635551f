// One connection to a responder (or to the outbound proxy on its behalf),
// on bufferevents: TCP connect, then optionally `CONNECT host:port` through
// the proxy (proxy_connect.h), then optionally TLS, then any number of
// exchanges one at a time (no pipelining). Between exchanges it is parked
// in the ConnectionPool, watching for the server's close or the idle
// timeout.
//
// Results go to the Exchange that sent the request, once, as the last thing
// a libevent callback does: the receiver may destroy the connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/upstream/dns_cache.h"
#include "ocspcache/upstream/response_reader.h"
#include "ocspcache/util/duration.h"

struct event_base;
struct bufferevent;

namespace ocspcache {

class TlsContext;

struct ConnectTarget {
  IpAddr addr;               // where the socket goes: the responder, or the proxy
  uint16_t port = 0;
  std::string host;          // the responder's name: SNI, certificate check, CONNECT
  uint16_t host_port = 0;
  bool tls = false;          // https:// responder
  bool tunnel = false;       // CONNECT through the proxy before TLS
};

enum class ConnError : uint8_t {
  kNone,
  kConnect,    // TCP connect failed
  kProxy,      // the proxy refused the CONNECT
  kTls,        // handshake failed (certificate, name, protocol)
  kClosed,     // closed or reset before a complete answer
  kMalformed,  // not HTTP
  kTooLarge,   // body over upstream.max_response
};

struct ConnResult {
  ConnError error = ConnError::kNone;
  int status = 0;
  std::vector<uint8_t> body;
  std::string retry_after;  // the header's value, if any
  bool keep_alive = false;  // may carry another exchange
  bool bytes_seen = false;  // any byte of an answer arrived
  std::string detail;       // for the log: TLS verify error, proxy status
};

class UpstreamConnection {
 public:
  class Exchange {
   public:
    virtual void on_result(UpstreamConnection& conn, ConnResult result) = 0;

   protected:
    ~Exchange() = default;
  };
  // The pool, told when a parked connection dies (closed by the server,
  // or idle too long).
  class Parking {
   public:
    virtual void on_parked_closed(UpstreamConnection& conn) = 0;

   protected:
    ~Parking() = default;
  };

  UpstreamConnection(event_base* base, const TlsContext* tls, ConnectTarget target,
                     size_t max_body, Parking& parking);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Connects (if not yet) and sends REQUEST; the answer goes to EX. Only
  // when idle or new. False when the connection cannot even be started
  // (no callback then).
  bool send(std::string request, Exchange* ex);
  // Between exchanges: any byte or close from the server, or IDLE_TIMEOUT
  // without use, ends it (Parking is told).
  void park(Millis idle_timeout);

  size_t exchanges() const { return exchanges_; }  // answers completed on it

 private:
  enum class Phase { kNew, kConnecting, kProxyConnect, kTlsHandshake, kWaiting, kParked, kDead };

  static void on_read(bufferevent* bev, void* arg);
  static void on_event(bufferevent* bev, short what, void* arg);
  bool start_connect();
  void connected();
  void read_proxy_reply();
  bool start_tunnelled_tls();
  void write_request();
  void read_answer();
  void fail(ConnError error, std::string detail = {});
  void deliver(ConnResult result);
  void set_callbacks();

  event_base* base_;
  const TlsContext* tls_;
  ConnectTarget target_;
  Parking& parking_;
  bufferevent* bev_ = nullptr;
  Phase phase_ = Phase::kNew;
  Exchange* exchange_ = nullptr;
  std::string request_;  // written once connected
  ResponseReader reader_;
  size_t exchanges_ = 0;
};

}  // namespace ocspcache
