#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace radbridge::net {

namespace {

// The most specific reason OpenSSL queued (the last one), then clears the queue
// so a later failure does not report a stale reason.
std::string openssl_reason() {
  unsigned long code = 0;
  while (const unsigned long next = ERR_get_error()) code = next;
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

[[noreturn]] void fail(std::string_view what, std::string_view subject) {
  throw std::runtime_error(fmt::format("TLS: {} {}: {}", what, subject, openssl_reason()));
}

// OpenSSL's reason for a missing file is "system lib"; checking first gives
// the operator the errno text instead.
void require_readable(std::string_view what, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) {
    const int e = errno;
    throw std::runtime_error(fmt::format("TLS: cannot load {} {}: {}", what, file, std::strerror(e)));
  }
  std::fclose(f);
}

asio::ssl::context base_context(asio::ssl::context::method method, const tls_options& o) {
  ERR_clear_error();
  asio::ssl::context ctx(method);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                  asio::ssl::context::no_compression);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) fail("cannot set the minimum version to", "TLS 1.2");
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (!o.ciphers.empty() && SSL_CTX_set_cipher_list(native, o.ciphers.c_str()) != 1) {
    fail("bad TLS 1.2 cipher list", o.ciphers);
  }
  if (!o.ciphersuites.empty() && SSL_CTX_set_ciphersuites(native, o.ciphersuites.c_str()) != 1) {
    fail("bad TLS 1.3 cipher suites", o.ciphersuites);
  }
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty()) {
      throw std::runtime_error(fmt::format("TLS: key {} given without a certificate", o.key_file));
    }
    if (o.key_file.empty()) {
      throw std::runtime_error(fmt::format("TLS: certificate {} given without a key", o.cert_file));
    }
    require_readable("certificate", o.cert_file);
    if (SSL_CTX_use_certificate_chain_file(native, o.cert_file.c_str()) != 1) {
      fail("cannot load certificate", o.cert_file);
    }
    require_readable("private key", o.key_file);
    if (SSL_CTX_use_PrivateKey_file(native, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      // OpenSSL checks the key against the certificate while loading it.
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        fail(fmt::format("private key {} does not match certificate", o.key_file), o.cert_file);
      }
      fail("cannot load private key", o.key_file);
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      fail(fmt::format("private key {} does not match certificate", o.key_file), o.cert_file);
    }
  }
  if (!o.ca_file.empty()) {
    require_readable("CA file", o.ca_file);
    if (SSL_CTX_load_verify_locations(native, o.ca_file.c_str(), nullptr) != 1) fail("cannot load CA file", o.ca_file);
  }
  return ctx;
}

std::string utc_text(const ASN1_TIME* t) {
  std::tm fields{};
  if (ASN1_TIME_to_tm(t, &fields) != 1) return "an unreadable time";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday,
                     fields.tm_hour, fields.tm_min, fields.tm_sec);
}

// Adds every CRL of `file` to the context's store and turns CRL checking on
// for the whole chain. An expired CRL would refuse every client: refused here.
void load_crls(SSL_CTX* native, const std::string& file) {
  require_readable("CRL file", file);
  ERR_clear_error();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  if (!bio) fail("cannot load CRL file", file);
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  int count = 0;
  while (X509_CRL* read = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(read, &X509_CRL_free);
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (next != nullptr && X509_cmp_current_time(next) < 0) {
      throw std::runtime_error(fmt::format("TLS: CRL file {}: the CRL of {} expired at {} (every client would be refused)",
                                           file, name_text(X509_CRL_get_issuer(crl.get())), utc_text(next)));
    }
    if (X509_STORE_add_crl(store, crl.get()) != 1) fail("cannot load CRL file", file);
    ++count;
  }
  // Reading stops at the end of the file with "no start line"; anything
  // else is a broken CRL.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    fail("cannot load CRL file", file);
  }
  ERR_clear_error();
  if (count == 0) throw std::runtime_error(fmt::format("TLS: cannot load CRL file {}: it holds no CRL", file));
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(native), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
}

}  // namespace

asio::ssl::context make_server_context(const tls_options& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    throw std::runtime_error("TLS: a server needs a certificate file and a key file");
  }
  if (options.require_client_cert && options.ca_file.empty()) {
    throw std::runtime_error("TLS: require_client_cert needs a CA file to check client certificates against");
  }
  if (!options.require_client_cert && (!options.crl_file.empty() || options.admit_client)) {
    throw std::runtime_error("TLS: a CRL file or a client filter needs require_client_cert");
  }
  asio::ssl::context ctx = base_context(asio::ssl::context::tls_server, options);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (options.require_client_cert) {
    // Tell clients which CAs we accept, so they pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
    if (names == nullptr) fail("cannot read CA names from", options.ca_file);
    SSL_CTX_set_client_CA_list(native, names);
    // Session resumption with client verification needs a session id context.
    static constexpr unsigned char session_context[] = "radbridge";
    SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
    // No resumption: a resumed session skips the certificate checks below.
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(native, 0);
    if (!options.crl_file.empty()) load_crls(native, options.crl_file);
    ctx.set_verify_callback([filter = options.admit_client](bool preverified, asio::ssl::verify_context& v) {
      return note_client_certificate(preverified, v.native_handle(), filter);
    });
    ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  } else {
    ctx.set_verify_mode(asio::ssl::verify_none);
  }
  return ctx;
}

asio::ssl::context make_client_context(const tls_options& options) {
  asio::ssl::context ctx = base_context(asio::ssl::context::tls_client, options);
  if (!options.verify_peer) {
    ctx.set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  if (options.ca_file.empty()) {
    boost::system::error_code ec;
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error(fmt::format("TLS: cannot load the system CA paths: {}", ec.message()));
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (!options.server_name.empty()) ctx.set_verify_callback(asio::ssl::host_name_verification(options.server_name));
  return ctx;
}

}  // namespace radbridge::net
