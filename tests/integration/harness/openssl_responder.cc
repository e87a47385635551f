#include "harness/openssl_responder.h"

#include <stdexcept>

#include "harness/pki.h"
#include "harness/ports.h"

namespace ocspcache::it {

ResponderOptions ResponderOptions::wrong_signer() {
  ResponderOptions o;
  o.signer = Pki::get().other_signer();
  o.signer_key = Pki::get().other_signer_key();
  return o;
}

OpensslResponder::OpensslResponder(ResponderOptions options)
    : options_(std::move(options)),
      port_(options_.port != 0 ? options_.port : reservation_.port()) {
  const Pki& pki = Pki::get();
  if (options_.index.empty()) options_.index = pki.index();
  if (options_.ca.empty()) options_.ca = pki.intermediate();
  if (options_.signer.empty()) options_.signer = pki.signer();
  if (options_.signer_key.empty()) options_.signer_key = pki.signer_key();
  start();
}

OpensslResponder::~OpensslResponder() {
  stop();
}

std::string OpensslResponder::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

void OpensslResponder::start() {
  if (process_) return;
  std::vector<std::string> argv = {"openssl",  "ocsp",
                                   "-index",   options_.index.string(),
                                   "-port",    std::to_string(port_),
                                   "-CA",      options_.ca.string(),
                                   "-rsigner", options_.signer.string(),
                                   "-rkey",    options_.signer_key.string()};
  if (options_.nmin) {
    argv.insert(argv.end(), {"-nmin", std::to_string(*options_.nmin)});
  } else {
    argv.insert(argv.end(), {"-ndays", std::to_string(options_.ndays)});
  }
  if (options_.include_intermediate) {
    argv.insert(argv.end(), {"-rother", Pki::get().intermediate().string()});
  }
  auto process = std::make_unique<Process>(SpawnOptions{argv, {}, {}}, dir_.path(),
                                           "responder-" + std::to_string(++starts_));
  bool up = wait_until(
      [&] { return process_listens(process->pid(), port_) || !process->running(); }, 10s);
  if (!up || !process->running()) {
    std::string err = process->stderr_text();
    process->stop();
    throw std::runtime_error("openssl ocsp responder did not listen on port " +
                             std::to_string(port_) + ": " + err);
  }
  process_ = std::move(process);
}

void OpensslResponder::stop() {
  if (!process_) return;
  process_->stop();
  process_.reset();
}

std::string OpensslResponder::log() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) {
    all += read_file(dir_ / ("responder-" + std::to_string(i) + ".stderr"));
  }
  return all;
}

}  // namespace ocspcache::it
