#include "ocspcache/stapling/inventory.h"

#include <glob.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "ocspcache/ocsp/request.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspcache {
namespace {

std::vector<std::string> expand(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

// The first certificate of a PEM file (the leaf); keys and the rest of the
// chain are skipped without being parsed.
X509Ptr read_leaf(const std::string& path, std::string* why) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    *why = "cannot be read";
    return nullptr;
  }
  X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!leaf) *why = "holds no PEM certificate";
  return leaf;
}

std::string staple_name(const std::filesystem::path& chain) {
  std::string name = chain.filename().string();
  for (const char* ext : {".pem", ".crt"}) {
    if (name.size() > 4 && name.ends_with(ext)) {
      name.resize(name.size() - 4);
      break;
    }
  }
  return name;
}

std::vector<uint8_t> request_for(X509* leaf, X509* issuer) {
  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
  if (!req || id == nullptr || OCSP_request_add0_id(req.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    return {};
  }
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_REQUEST(req.get(), &der);
  if (n <= 0) return {};
  std::vector<uint8_t> out(der, der + n);
  OPENSSL_free(der);
  return out;
}

}  // namespace

Inventory load_inventory(const StaplingConfig& config, const ocsp::IssuerRegistry& issuers) {
  Inventory out;
  std::set<std::string> seen;
  for (const std::string& pattern : config.certs) {
    const std::vector<std::string> paths = expand(pattern);
    if (paths.empty()) out.problems.push_back("stapling.certs \"" + pattern + "\" matches no file");
    for (const std::string& path : paths) {
      if (!seen.insert(path).second) continue;
      std::string why;
      X509Ptr leaf = read_leaf(path, &why);
      if (!leaf) {
        out.problems.push_back(path + ": " + why);
        continue;
      }
      const ocsp::Issuer* issuer = nullptr;
      for (const ocsp::Issuer& candidate : issuers.issuers()) {
        if (X509_check_issued(candidate.cert(), leaf.get()) == X509_V_OK) {
          issuer = &candidate;
          break;
        }
      }
      if (issuer == nullptr) {
        out.problems.push_back(path + ": no [[issuer]] signed its certificate (add its CA)");
        continue;
      }
      StapledCert c;
      c.chain_path = path;
      if (config.ocsp_files) c.ocsp_path = path + ".ocsp";
      if (!config.dir.empty()) {
        c.der_path = (std::filesystem::path(config.dir) / (staple_name(path) + ".der")).string();
      }
      c.issuer = issuer->name();
      c.request_der = request_for(leaf.get(), issuer->cert());
      const auto decoded = ocsp::decode_request(c.request_der);
      if (!decoded.ok()) {
        out.problems.push_back(path + ": cannot build its OCSP request");
        continue;
      }
      c.key = ocsp::make_cache_key(*decoded);
      c.serial = ocsp::serial_hex(decoded->cert_ids().front().serial);
      out.certs.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace ocspcache
