// Issuers from [[issuer]]: their certificate (for routing by issuerKeyHash
// and for signature checks) and their responders, tried in order.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ocspcache/config/config.h"
#include "ocspcache/ocsp/delegate_cache.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::ocsp {

class Issuer {
 public:
  // Reads the PEM certificate; throws ConfigError (naming the file) if it
  // cannot be read or parsed.
  static Issuer load(const IssuerConfig& cfg);
  // For tests and tools that already hold the certificate.
  Issuer(std::string name, X509Ptr cert, std::vector<HttpUrl> responders);

  const std::string& name() const { return name_; }
  X509* cert() const { return cert_.get(); }
  const std::vector<HttpUrl>& responders() const { return responders_; }

  // True when `id` names this issuer: its hash algorithm is one we know
  // (SHA-1, SHA-256, SHA-384, SHA-512) and both the key hash and the name
  // hash equal ours under that algorithm.
  bool matches(const CertIdView& id) const;

  // Delegated responders already authorised for this certificate
  // (delegate_cache.h). Thread-safe, hence usable through a const Issuer.
  DelegateCache& delegates() const { return *delegates_; }

 private:
  struct Hashes {
    std::array<uint8_t, 16> oid{};  // OID content octets
    size_t oid_len = 0;
    std::array<uint8_t, 64> name_hash{};
    std::array<uint8_t, 64> key_hash{};
    size_t hash_len = 0;
  };
  std::string name_;
  X509Ptr cert_;
  std::vector<HttpUrl> responders_;
  std::vector<Hashes> hashes_;  // one per supported algorithm
  // Behind a pointer: an Issuer moves (into its registry), a mutex does not.
  std::unique_ptr<DelegateCache> delegates_ = std::make_unique<DelegateCache>();
};

class IssuerRegistry {
 public:
  IssuerRegistry() = default;
  explicit IssuerRegistry(std::vector<Issuer> issuers);
  // Throws ConfigError for the first issuer that cannot be loaded. `extra`
  // (issuers found in the stapling inventory's chain files) come after the
  // configured ones, which win a CertID both would match.
  static IssuerRegistry load(const std::vector<IssuerConfig>& cfgs, std::vector<Issuer> extra = {});

  // nullptr when no configured issuer matches (the request is answered
  // `unauthorized`). A linear scan: fleets configure a handful of issuers.
  const Issuer* find(const CertIdView& id) const;
  const std::vector<Issuer>& issuers() const { return issuers_; }

 private:
  std::vector<Issuer> issuers_;
};

}  // namespace ocspcache::ocsp
