// The outbound proxy's side of the protocol (upstream.http_proxy): plain
// http:// responders are asked with an absolute-URI request line (RFC 9112
// §3.2.2); https:// ones through a `CONNECT host:port` tunnel (RFC 9110
// §9.3.6) with TLS inside, so the proxy never sees the exchange.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocspcache {

// "host:port" as CONNECT and Host want it ("[::1]:443" for IPv6).
std::string authority(std::string_view host, uint16_t port);

// The CONNECT request for HOST:PORT.
std::string connect_request(std::string_view host, uint16_t port);

// The status of a complete CONNECT reply head ("HTTP/1.1 200 ...\r\n...\r\n\r\n"),
// or nullopt when it is not an HTTP status line.
std::optional<int> connect_reply_status(std::string_view head);

}  // namespace ocspcache
