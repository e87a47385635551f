#include "harness/tls_probe.h"

#include "harness/ports.h"
#include "harness/process.h"

namespace ocspcache::it {

using namespace std::chrono_literals;

std::string s_client_status(uint16_t port, std::string_view servername) {
  return run_command({"sh", "-c",
                      "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                          " -servername " + std::string(servername) + " -status </dev/null 2>&1"},
                     20s)
      .out;
}

std::string wait_for_handshake(uint16_t port, std::string_view servername,
                               const std::function<bool(const std::string&)>& done,
                               std::chrono::milliseconds timeout) {
  std::string handshake;
  wait_until(
      [&] {
        handshake = s_client_status(port, servername);
        return done(handshake);
      },
      timeout, 300ms);
  return handshake;
}

bool stapled(const std::string& handshake) {
  return handshake.find("OCSP Response Status: successful") != std::string::npos;
}

bool stapled_good(const std::string& handshake) {
  return stapled(handshake) && handshake.find("Cert Status: good") != std::string::npos;
}

}  // namespace ocspcache::it
