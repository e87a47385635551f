// The test PKI of scripts/make-test-pki.sh, built once and shared.
//
// ctest runs every test case in its own process, so "once per binary" would
// still mean once per test; the PKI is instead kept beside the test binary in
// a directory named after a hash of the script (a changed script makes a new
// one) and built under a file lock (ctest -j runs tests in parallel).
// OCSPCACHE_TEST_PKI_DIR overrides the location.
#pragma once

#include <filesystem>
#include <string>

namespace ocspcache::it {

class Pki {
 public:
  static const Pki& get();

  const std::filesystem::path& dir() const { return dir_; }
  // NAME.pem / NAME.key, e.g. cert("good"), key("ocsp-signer").
  std::filesystem::path cert(const std::string& name) const { return dir_ / (name + ".pem"); }
  std::filesystem::path key(const std::string& name) const { return dir_ / (name + ".key"); }

  std::filesystem::path root() const { return cert("root"); }
  std::filesystem::path intermediate() const { return cert("intermediate"); }
  std::filesystem::path signer() const { return cert("ocsp-signer"); }
  std::filesystem::path signer_key() const { return key("ocsp-signer"); }
  std::filesystem::path good() const { return cert("good"); }
  std::filesystem::path revoked() const { return cert("revoked"); }
  std::filesystem::path unknown() const { return cert("unknown"); }
  std::filesystem::path index() const { return dir_ / "index.txt"; }
  std::filesystem::path other_ca() const { return cert("other-ca"); }
  std::filesystem::path other_signer() const { return cert("other-signer"); }
  std::filesystem::path other_signer_key() const { return key("other-signer"); }
  std::filesystem::path other_leaf() const { return cert("other-leaf"); }
  std::filesystem::path other_index() const { return dir_ / "other-index.txt"; }

 private:
  explicit Pki(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace ocspcache::it
