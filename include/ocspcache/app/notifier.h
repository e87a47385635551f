// What the service manager hears: systemd's notify protocol (sd_notify(3),
// Type=notify in packaging/ocspcache.service). READY=1 once every listener
// accepts, RELOADING=1 then READY=1 around a SIGHUP reload (the unit's
// ExecReload; systemd 252 has no Type=notify-reload, so RELOADING=1 carries
// no MONOTONIC_USEC), STOPPING=1 when a drain begins; each with a STATUS=
// line that `systemctl status` shows. Outside systemd (NOTIFY_SOCKET unset)
// nothing is sent.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ocspcache {

enum class ServiceState { kReady, kReloading, kStopping, kStatus };

// The datagram for STATE: "READY=1\nSTATUS=<status>" (kStatus: the STATUS=
// line alone). Newlines in STATUS become spaces: one line per field.
std::string notify_message(ServiceState state, std::string_view status);

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void notify(ServiceState state, std::string_view status) = 0;

  void ready(std::string_view status) { notify(ServiceState::kReady, status); }
  void reloading(std::string_view status) { notify(ServiceState::kReloading, status); }
  void stopping(std::string_view status) { notify(ServiceState::kStopping, status); }
  void status(std::string_view status) { notify(ServiceState::kStatus, status); }
};

// libsystemd's sd_notify: a no-op when NOTIFY_SOCKET is unset; a failed send
// is logged once and never stops the service.
std::unique_ptr<Notifier> make_systemd_notifier();

}  // namespace ocspcache
