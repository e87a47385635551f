// [stapling].certs: the certificates the web servers staple, read from
// their PEM chain files (leaf first, then its chain; a private key, as
// HAProxy bundles hold, is ignored). For each leaf: its issuer, the OCSP
// request ocspcache sends for it (SHA-1 CertID, as nginx and HAProxy ask),
// its cache key, and where its staples go.
//
// The issuer is the configured [[issuer]] that signed the leaf, with that
// issuer's responders; failing that, the certificate in the chain file
// that signed it (signature checked), asked at the responders the leaf's
// authorityInfoAccess names (what nginx and HAProxy would ask). Such chain
// issuers join the issuer registry (app.cc), so their answers are checked
// against them, their series labelled with them (the issuer's CN), and
// clients asking ocspcache for those certificates answered too.
#pragma once

#include <string>
#include <vector>

#include "ocspcache/config/config.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/issuer.h"

namespace ocspcache {

struct StapledCert {
  std::string chain_path;  // as the glob found it
  std::string ocsp_path;   // <chain file>.ocsp (HAProxy); "" when stapling.ocsp_files = false
  std::string der_path;    // <stapling.dir>/<name without .pem/.crt>.der (nginx); "" without a dir
  std::string issuer;      // the [[issuer]] name: the `issuer` label
  std::string serial;      // serial_hex: the `serial` label
  std::vector<uint8_t> request_der;
  ocsp::CacheKey key;
};

struct Inventory {
  std::vector<StapledCert> certs;
  // Issuers found in chain files, not among the [[issuer]]s (see above).
  std::vector<ocsp::Issuer> chain_issuers;
  // One line per chain file that could not be used, naming it and why
  // (unreadable, no certificate, no configured issuer signed its leaf).
  std::vector<std::string> problems;
};

Inventory load_inventory(const StaplingConfig& config, const ocsp::IssuerRegistry& issuers);

}  // namespace ocspcache
