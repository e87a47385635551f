#include "ocspcache/upstream/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "ocspcache/upstream/dns_cache.h"

namespace ocspcache {

TlsContext::TlsContext(const std::string& ca_file) : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (!ctx_) throw std::runtime_error("cannot create a TLS client context");
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx_.get())
                         : SSL_CTX_load_verify_locations(ctx_.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    ERR_clear_error();
    throw std::runtime_error(ca_file.empty() ? "cannot load the system CA store"
                                             : "cannot load upstream.ca_file " + ca_file);
  }
}

SslPtr TlsContext::new_ssl(const std::string& host) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return nullptr;
  IpAddr literal;
  if (IpAddr::parse(host, &literal)) {
    // RFC 6066 §3: no SNI for addresses; the certificate must list the IP.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) return nullptr;
  } else {
    if (SSL_set_tlsext_host_name(ssl.get(), host.c_str()) != 1) return nullptr;
    // Partial wildcards ("ocsp*.example") are refused, as browsers do.
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl.get(), host.c_str()) != 1) return nullptr;
  }
  return ssl;
}

std::string TlsContext::failure_reason(SSL* ssl, unsigned long queued_error) {
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return X509_verify_cert_error_string(verify);
  }
  if (queued_error != 0) {
    char buf[256];
    ERR_error_string_n(queued_error, buf, sizeof buf);
    return buf;
  }
  return "handshake failed";
}

}  // namespace ocspcache
