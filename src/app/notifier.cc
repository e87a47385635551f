#include "ocspcache/app/notifier.h"

#include <systemd/sd-daemon.h>

#include <cstring>

#include "ocspcache/util/log.h"

namespace ocspcache {

std::string notify_message(ServiceState state, std::string_view status) {
  std::string out;
  switch (state) {
    case ServiceState::kReady:
      out = "READY=1\n";
      break;
    case ServiceState::kReloading:
      out = "RELOADING=1\n";
      break;
    case ServiceState::kStopping:
      out = "STOPPING=1\n";
      break;
    case ServiceState::kStatus:
      break;
  }
  out += "STATUS=";
  for (char c : status) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

namespace {

class SystemdNotifier final : public Notifier {
 public:
  void notify(ServiceState state, std::string_view status) override {
    const std::string message = notify_message(state, status);
    // 0: keep NOTIFY_SOCKET in the environment (after_update commands run
    // by /bin/sh inherit it, harmlessly: systemd takes the main PID's only).
    const int rc = sd_notify(0, message.c_str());
    if (rc < 0 && !warned_) {
      warned_ = true;
      log::warn("notify_failed", "reason=" + log::quoted(std::strerror(-rc)));
    }
  }

 private:
  bool warned_ = false;
};

}  // namespace

std::unique_ptr<Notifier> make_systemd_notifier() {
  return std::make_unique<SystemdNotifier>();
}

}  // namespace ocspcache
