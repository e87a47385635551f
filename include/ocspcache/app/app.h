// The running service: builds every part from a loaded config, starts them
// in dependency order on run(), and stops them in reverse. The main thread
// runs the control loop (control_loop.h): signals, reload, admin, timers.
//
//   util <- config <- ocsp <- cache <- metrics <- admin
//                          <- upstream  <-  http  <- app (everything)
//
// (docs/architecture.md has the full graph and the paths through it.)
#pragma once

#include <memory>

#include "ocspcache/config/config.h"
#include "ocspcache/ocsp/issuer.h"

namespace ocspcache {

class App {
 public:
  // Builds everything: binds the listeners, makes the workers (not started).
  // `issuers` is the registry `config` names, already loaded (main loads it
  // once for --check-config and start-up alike). Throws std::runtime_error
  // (or ConfigError) naming what failed.
  App(Config config, std::shared_ptr<const ocsp::IssuerRegistry> issuers);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts the parts, serves until SIGTERM/SIGINT has drained; the exit code.
  int run();

  struct Parts;  // every part, in dependency order (app.cc)

 private:
  void reload();
  void begin_shutdown(const char* signal_name);

  std::unique_ptr<Parts> p_;
};

}  // namespace ocspcache
