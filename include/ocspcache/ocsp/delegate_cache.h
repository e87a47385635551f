// Delegated OCSP responder certificates already authorised for an issuer
// (RFC 6960 §4.2.2.2), so that each response they sign costs one signature
// check, not two: verifying the delegate's certificate against the issuer
// (X509_verify, an RSA or ECDSA verification) was repeated on every
// response although a CA's delegate changes every few days at most.
//
// One per Issuer (issuer.h): what it remembers is valid for that issuer's
// certificate only, and a reload that replaces the certificate builds a new
// Issuer, hence an empty cache. A delegate is known by the SHA-256 of its
// DER, so a different certificate for the same key is checked afresh; it is
// remembered only after it passed every check, and only within its own
// validity (notBefore..notAfter), after which it is checked again and
// refused. The parsed certificate is kept with it, so a known delegate's
// certificate is not even decoded again (OpenSSL 3 decodes its public key
// through the provider decoders: tens of microseconds). The response's own
// signature is checked every time (response_validate.cc).
//
// Thread-safe (a mutex: misses only). Bounded: kMaxDelegates per issuer; a
// full cache forgets the delegate that expires first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::ocsp {

class DelegateCache {
 public:
  static constexpr size_t kMaxDelegates = 16;
  using CertHash = std::array<uint8_t, 32>;  // SHA-256 of the delegate's DER

  // Was the delegate `hash` authorised for this issuer, and is `now` within
  // the validity it was remembered with?
  bool known(const CertHash& hash, int64_t now) const;
  // The same, giving the certificate it was remembered with (up-referenced);
  // null when unknown or outside its validity.
  X509Ptr find(const CertHash& hash, int64_t now) const;
  // After a delegate passed every check; `cert` is kept (up-referenced).
  void remember(const CertHash& hash, X509* cert, int64_t not_before, int64_t not_after);

  // Full checks of a delegate certificate run for this issuer (each time it
  // was not known): lets tests see that a known one is not checked again.
  void count_full_check();
  uint64_t full_checks() const;
  size_t size() const;

 private:
  struct Known {
    CertHash hash;
    std::shared_ptr<X509> cert;
    int64_t not_before;
    int64_t not_after;
  };
  mutable std::mutex mu_;
  std::vector<Known> known_;
  uint64_t full_checks_ = 0;
};

}  // namespace ocspcache::ocsp
