// [stapling].certs: the certificates the web servers staple, read from
// their PEM chain files (leaf first; the rest of the chain and a private
// key, as HAProxy bundles hold, are ignored). For each leaf: the issuer
// among the configured [[issuer]]s (the one that signed it), the OCSP
// request ocspcache sends for it (SHA-1 CertID, as nginx and HAProxy ask),
// its cache key, and where its staples go.
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
  // One line per chain file that could not be used, naming it and why
  // (unreadable, no certificate, no configured issuer signed its leaf).
  std::vector<std::string> problems;
};

Inventory load_inventory(const StaplingConfig& config, const ocsp::IssuerRegistry& issuers);

}  // namespace ocspcache
