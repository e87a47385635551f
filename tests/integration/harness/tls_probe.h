// What a TLS client that asks for OCSP status (openssl s_client -status) sees
// from a stapling server (nginx, HAProxy, Apache) on 127.0.0.1:PORT.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ocspcache::it {

// One handshake with SNI SERVERNAME: s_client's whole output (its "OCSP
// Response Status" and "Cert Status" lines say what was stapled).
std::string s_client_status(uint16_t port, std::string_view servername);

// Handshakes every 300 ms until DONE accepts one or TIMEOUT passes (stapling
// servers may fetch only after a client asked): the last handshake's output.
std::string wait_for_handshake(uint16_t port, std::string_view servername,
                               const std::function<bool(const std::string&)>& done,
                               std::chrono::milliseconds timeout);

// A staple was sent (any status).
bool stapled(const std::string& handshake);
// A staple was sent and it says good.
bool stapled_good(const std::string& handshake);

}  // namespace ocspcache::it
