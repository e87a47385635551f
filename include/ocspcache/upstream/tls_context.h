// TLS towards https:// responders: one SSL_CTX per client (the trust
// store is loaded once), and a fresh SSL per connection that sends SNI and
// checks the certificate names the responder's host (or IP literal).
//
// Trust: the system store (SSL_CTX_set_default_verify_paths) unless
// upstream.ca_file names a PEM bundle, which then replaces it. A peer that
// does not verify fails the handshake; the reason is in verify_error().
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "ocspcache/util/ssl_handles.h"

namespace ocspcache {

using SslCtxPtr = std::unique_ptr<SSL_CTX, FnDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, FnDeleter<SSL_free>>;

class TlsContext {
 public:
  // Throws std::runtime_error when CA_FILE cannot be loaded (start-up only).
  explicit TlsContext(const std::string& ca_file);

  // A client SSL for HOST (a name or an IP literal), or null on failure.
  SslPtr new_ssl(const std::string& host) const;

  // Why the handshake of SSL failed, for the log: the certificate
  // verification result when that was it, else OpenSSL's error queue.
  static std::string failure_reason(SSL* ssl, unsigned long queued_error);

 private:
  SslCtxPtr ctx_;
};

}  // namespace ocspcache
