#include "net/client_identity.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <memory>

namespace radbridge::net {

namespace {

std::string text_of(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

}  // namespace

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

namespace {

// The SSL object's note of its client certificate's subject, freed with it.
int subject_index() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* p, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::string*>(p);
      });
  return index;
}

bool untrusted(long verify_error) {
  switch (verify_error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return true;
    default:
      return false;
  }
}

}  // namespace

cert_identity identity_of(X509* cert) {
  cert_identity id;
  X509_NAME* name = X509_get_subject_name(cert);
  id.subject = name_text(name);
  int last_cn = -1;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) last_cn = i;
  if (last_cn >= 0) {
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last_cn)));
    if (n >= 0) id.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) id.dns_names.push_back(text_of(g->d.dNSName));
    if (g->type == GEN_URI) id.uris.push_back(text_of(g->d.uniformResourceIdentifier));
    if (g->type == GEN_EMAIL) id.emails.push_back(text_of(g->d.rfc822Name));
  }
  GENERAL_NAMES_free(names);
  return id;
}

std::optional<cert_identity> peer_identity(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  return identity_of(cert);
}

bool note_client_certificate(bool preverified, X509_STORE_CTX* store, const client_filter& filter) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (ssl != nullptr && leaf != nullptr && SSL_get_ex_data(ssl, subject_index()) == nullptr) {
    auto subject = std::make_unique<std::string>(name_text(X509_get_subject_name(leaf)));
    if (SSL_set_ex_data(ssl, subject_index(), subject.get()) == 1) subject.release();
  }
  if (!preverified) return false;
  if (filter && leaf != nullptr && X509_STORE_CTX_get_error_depth(store) == 0 && !filter(identity_of(leaf))) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return false;
  }
  return true;
}

std::optional<handshake_refusal> refusal_of(SSL* ssl, const boost::system::error_code& ec) {
  if (!ec || ec.category() != asio::error::get_ssl_category()) return std::nullopt;
  const auto code = static_cast<unsigned long>(ec.value());
  handshake_refusal r;
  if (const auto* subject = static_cast<const std::string*>(SSL_get_ex_data(ssl, subject_index()))) {
    r.subject = *subject;
  }
  r.detail = ec.message();
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) {
    r.kind = "tls_refused";
    return r;
  }
  switch (ERR_GET_REASON(code)) {
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return std::nullopt;  // the peer hung up: not a refusal
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_UNKNOWN_PROTOCOL:
      r.kind = "not_tls";
      break;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_WRONG_SSL_VERSION:
      r.kind = "tls_version";
      break;
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      r.kind = "no_client_cert";
      break;
    case SSL_R_CERTIFICATE_VERIFY_FAILED: {
      const long verify_error = SSL_get_verify_result(ssl);
      r.detail = X509_verify_cert_error_string(verify_error);
      r.kind = verify_error == X509_V_ERR_CERT_REVOKED                 ? "client_cert_revoked"
               : verify_error == X509_V_ERR_APPLICATION_VERIFICATION ? "client_cert_not_allowed"
               : untrusted(verify_error)                              ? "client_cert_untrusted"
                                                                      : "client_cert_invalid";
      if (verify_error == X509_V_ERR_APPLICATION_VERIFICATION) r.detail = "not on the allow-list";
      break;
    }
    default:
      r.kind = "tls_refused";
      break;
  }
  return r;
}

}  // namespace radbridge::net
