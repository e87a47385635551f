// The real upstream: `openssl ocsp` as a responder for the test PKI's
// intermediate CA on a free port. Readiness is read from /proc/net/tcp, never
// probed by connecting (see ports.h). It speaks HTTP/1.0, answers POST and
// GET at '/', one connection at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "harness/ports.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {

struct ResponderOptions {
  // Empty paths take the Pki defaults: index.txt, intermediate, ocsp-signer.
  std::filesystem::path index{};
  std::filesystem::path ca{};
  std::filesystem::path signer{};
  std::filesystem::path signer_key{};
  int ndays = 1;                      // nextUpdate = now + ndays ...
  std::optional<int> nmin;            // ... or now + nmin minutes when set
  bool include_intermediate = false;  // -rother intermediate.pem
  uint16_t port = 0;                  // 0: a free port

  // The other CA's signer signs for our intermediate: a "wrong key" responder.
  static ResponderOptions wrong_signer();
};

class OpensslResponder {
 public:
  explicit OpensslResponder(ResponderOptions options = {});
  ~OpensslResponder();

  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT/"
  bool running() const { return process_ != nullptr; }

  void stop();
  // Again, on the same port. In a parallel suite another test may have
  // taken the port since stop(): to take a responder down and bring it
  // back, put a FaultServer in front and switch it instead.
  void start();
  std::string log() const;

 private:
  ResponderOptions options_;
  PortReservation reservation_;  // held while the responder object lives (see ports.h)
  uint16_t port_;
  TempDir dir_{"ocspcache-responder"};
  int starts_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ocspcache::it
