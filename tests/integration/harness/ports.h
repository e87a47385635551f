// Loopback ports for the processes a test starts, and readiness checks that
// never connect. Connecting to `openssl ocsp` without sending a request makes
// it spin at 100% CPU and stop answering (DESIGN.md field notes), so a port is
// "ready" when the kernel lists it in LISTEN state in /proc/net/tcp{,6}.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ocspcache::it {

using namespace std::chrono_literals;

// A port the kernel just handed out for 127.0.0.1 and that nobody holds now.
// Racy: another test running in parallel may be handed the same port before
// our child binds it; prefer PortReservation.
uint16_t free_loopback_port();

// Holds a 127.0.0.1 port for a child process to listen on: bound with
// SO_REUSEADDR and SO_REUSEPORT but never listening, so the kernel hands it to
// no other bind(port 0) while the child (the daemon binds with SO_REUSEPORT,
// openssl with SO_REUSEADDR) can still bind it. Seen without it under
// ctest -j2: two daemons of two tests shared one port through SO_REUSEPORT
// and answered each other's clients. A reserved port nobody listens on is
// also the "dead responder" of failover tests: connecting gets a refusal.
class PortReservation {
 public:
  PortReservation();
  ~PortReservation();
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;

  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// True if some socket listens on PORT (any address, IPv4 or IPv6).
bool is_listening(uint16_t port);

// True if process PID itself holds a socket listening on PORT: tells our
// child apart from a stranger that took the same port meanwhile.
bool process_listens(int pid, uint16_t port);

// Polls is_listening until true or TIMEOUT has passed.
bool wait_listening(uint16_t port, std::chrono::milliseconds timeout);

// Polls CONDITION every few milliseconds until it holds or TIMEOUT passes;
// returns its last value. The replacement for sleeps in tests.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = 5ms);

}  // namespace ocspcache::it
