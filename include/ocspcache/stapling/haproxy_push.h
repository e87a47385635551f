// stapling.haproxy_sockets: a new staple handed to a running HAProxy over
// its runtime API (`set ssl ocsp-response <base64>`), so it staples the
// newer answer without a reload. HAProxy 2.6 only takes it for a
// certificate that had a <crt>.ocsp file when it started (DESIGN.md field
// notes): the files are written first, then pushed, so the two agree and a
// reload (which re-reads the files) changes nothing.
//
// One short blocking exchange per socket, bounded by `timeout` for the
// connect, the write and the answer: the caller is the control loop, never
// a worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ocspcache {

// "unix:/run/haproxy/admin.sock" or "host:port"; nullopt (with *why) otherwise.
struct HaproxySocket {
  std::string unix_path;  // set for unix:
  std::string host;       // else host and port
  uint16_t port = 0;
  std::string text;       // as configured, for logs
};
std::optional<HaproxySocket> parse_haproxy_socket(const std::string& text, std::string* why);

// Empty on success ("OCSP Response updated!"), else what went wrong (the
// connection, or HAProxy's own answer).
std::string push_ocsp_response(const HaproxySocket& socket, std::span<const uint8_t> der,
                               std::chrono::milliseconds timeout);

}  // namespace ocspcache
