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

// The certificates of a PEM file, leaf first; keys are skipped (the PEM
// reader passes over blocks that are not certificates).
constexpr size_t kMaxChain = 16;
std::vector<X509Ptr> read_chain(const std::string& path, std::string* why) {
  std::vector<X509Ptr> chain;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    *why = "cannot be read";
    return chain;
  }
  while (chain.size() < kMaxChain) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    chain.push_back(std::move(cert));
  }
  ERR_clear_error();
  if (chain.empty()) *why = "holds no PEM certificate";
  return chain;
}

// The leaf's OCSP responders from its authorityInfoAccess, in order; URLs
// that are not http(s) are left out.
std::vector<HttpUrl> aia_responders(X509* leaf) {
  std::vector<HttpUrl> out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(leaf);
  for (int i = 0; i < sk_OPENSSL_STRING_num(urls); ++i) {
    if (auto url = parse_http_url(sk_OPENSSL_STRING_value(urls, i))) out.push_back(std::move(*url));
  }
  X509_email_free(urls);  // the stack X509_get1_ocsp returns is freed so
  return out;
}

std::string common_name(X509* cert) {
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
    return cn;
  }
  char line[512] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
  return line;
}

// An issuer found in chain files, while the inventory is read.
struct ChainIssuer {
  X509Ptr cert;
  std::string name;
  std::vector<HttpUrl> responders;
};

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

// The issuer of chain[0] taken from the rest of its chain file: the one
// that signed it (names and signature checked), asked at the responders
// the leaf names. Issuers met in earlier files are reused (their responder
// lists grow by the URLs new leaves name). Null with `problem` set when
// the file holds no such issuer or the leaf names no responder.
ChainIssuer* chain_issuer(const std::vector<X509Ptr>& chain, const ocsp::IssuerRegistry& configured,
                          std::vector<ChainIssuer>& found, std::string* problem) {
  X509* leaf = chain.front().get();
  X509* signer = nullptr;
  for (size_t i = 1; i < chain.size() && signer == nullptr; ++i) {
    X509* candidate = chain[i].get();
    EVP_PKEY* key = X509_get0_pubkey(candidate);
    if (X509_check_issued(candidate, leaf) == X509_V_OK && key != nullptr &&
        X509_verify(leaf, key) == 1) {
      signer = candidate;
    }
  }
  ERR_clear_error();
  if (signer == nullptr) {
    *problem =
        "no [[issuer]] signed its certificate and the file holds no certificate that did "
        "(add its CA as an [[issuer]], or append it to the chain)";
    return nullptr;
  }
  std::vector<HttpUrl> urls = aia_responders(leaf);
  if (urls.empty()) {
    *problem =
        "its issuer is not an [[issuer]] and its certificate names no http(s) OCSP responder "
        "(authorityInfoAccess): add its CA as an [[issuer]] with responders";
    return nullptr;
  }
  for (ChainIssuer& ci : found) {
    if (X509_cmp(ci.cert.get(), signer) != 0) continue;
    for (HttpUrl& url : urls) {
      const bool known = std::any_of(ci.responders.begin(), ci.responders.end(),
                                     [&](const HttpUrl& u) { return u.original == url.original; });
      if (!known) ci.responders.push_back(std::move(url));
    }
    return &ci;
  }
  // The `issuer` label: its CN, told apart from configured names.
  std::string name = common_name(signer);
  const auto taken = [&](const std::string& n) {
    for (const ocsp::Issuer& i : configured.issuers()) {
      if (i.name() == n) return true;
    }
    for (const ChainIssuer& ci : found) {
      if (ci.name == n) return true;
    }
    return false;
  };
  const std::string base = name;
  for (int n = 2; taken(name); ++n) name = base + " #" + std::to_string(n);
  X509_up_ref(signer);
  found.push_back({X509Ptr(signer), std::move(name), std::move(urls)});
  return &found.back();
}

}  // namespace

Inventory load_inventory(const StaplingConfig& config, const ocsp::IssuerRegistry& issuers) {
  Inventory out;
  std::set<std::string> seen;
  std::vector<ChainIssuer> found_in_chains;
  for (const std::string& pattern : config.certs) {
    const std::vector<std::string> paths = expand(pattern);
    if (paths.empty()) out.problems.push_back("stapling.certs \"" + pattern + "\" matches no file");
    for (const std::string& path : paths) {
      if (!seen.insert(path).second) continue;
      std::string why;
      std::vector<X509Ptr> chain = read_chain(path, &why);
      if (chain.empty()) {
        out.problems.push_back(path + ": " + why);
        continue;
      }
      X509* leaf = chain.front().get();
      const ocsp::Issuer* configured = nullptr;
      for (const ocsp::Issuer& candidate : issuers.issuers()) {
        if (X509_check_issued(candidate.cert(), leaf) == X509_V_OK) {
          configured = &candidate;
          break;
        }
      }
      std::string issuer_name;
      X509* issuer_cert = nullptr;
      if (configured != nullptr) {
        issuer_name = configured->name();
        issuer_cert = configured->cert();
      } else {
        std::string problem;
        ChainIssuer* found = chain_issuer(chain, issuers, found_in_chains, &problem);
        if (found == nullptr) {
          out.problems.push_back(path + ": " + problem);
          continue;
        }
        issuer_name = found->name;
        issuer_cert = found->cert.get();
      }
      StapledCert c;
      c.chain_path = path;
      if (config.ocsp_files) c.ocsp_path = path + ".ocsp";
      if (!config.dir.empty()) {
        c.der_path = (std::filesystem::path(config.dir) / (staple_name(path) + ".der")).string();
      }
      c.issuer = issuer_name;
      c.request_der = request_for(leaf, issuer_cert);
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
  for (ChainIssuer& ci : found_in_chains) {
    out.chain_issuers.emplace_back(std::move(ci.name), std::move(ci.cert),
                                   std::move(ci.responders));
  }
  return out;
}

}  // namespace ocspcache
