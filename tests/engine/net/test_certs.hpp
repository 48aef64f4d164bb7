// Throwaway certificates for TLS tests, made once per test run with the
// `openssl` command-line tool in a temporary folder (removed at exit): a CA,
// a server certificate for localhost and 127.0.0.1, a client certificate from
// the same CA, and a second, unrelated CA with its own client certificate
// (which servers trusting the first CA must refuse); for client allow-lists
// a client certificate with a multi-part subject and DNS, URI and email
// subjectAltNames; for CRLs a client certificate the CA has revoked, the
// CA's current CRL listing it, and a CRL that expired long ago. EC P-256
// keys: fast.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace radbridge::test {

struct test_certs {
  std::filesystem::path dir;
  std::string ca, server_cert, server_key, client_cert, client_key;
  std::string other_ca, other_client_cert, other_client_key;
  std::string ris_client_cert, ris_client_key;  // subject CN=ris-client,OU=Radiology\, West,O=General Hospital,C=US
  std::string revoked_client_cert, revoked_client_key;
  std::string crl, expired_crl;  // PEM, from the CA
};

inline const test_certs& certs() {
  static const test_certs made = [] {
    test_certs c;
    c.dir = std::filesystem::temp_directory_path() / ("radbridge-certs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(c.dir);
    const std::string d = c.dir.string();
    const std::string script = R"(set -e
cd ')" + d + R"('
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # name CN ca extfile
  key "$1.key"
  case "$2" in /*) subj="$2" ;; *) subj="/CN=$2" ;; esac
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$subj"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$4"
}
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
ca ca radbridge-test-ca
ca other-ca radbridge-other-ca
leaf server localhost ca server.ext
leaf client radbridge-test-client ca client.ext
leaf other-client radbridge-other-client other-ca client.ext
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:ris.radbridge.test,URI:urn:oid:1.2.3.4.5,email:ris@radbridge.test\n' > ris.ext
leaf ris-client '/C=US/O=General Hospital/OU=Radiology, West/CN=ris-client' ca ris.ext
leaf revoked-client radbridge-revoked-client ca client.ext
touch index.txt
printf '[ca]\ndefault_ca=test\n[test]\ndatabase=index.txt\ndefault_md=sha256\ndefault_crl_days=2\n' > ca.cnf
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked-client.pem
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out ca.crl
openssl ca -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out expired.crl \
  -crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z
)";
    std::ofstream(c.dir / "make.sh") << script;
    const std::string command = "sh '" + d + "/make.sh' > '" + d + "/make.log' 2>&1";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error("openssl could not make the test certificates; see " + d + "/make.log");
    }
    auto at = [&](const char* name) { return (c.dir / name).string(); };
    c.ca = at("ca.pem");
    c.server_cert = at("server.pem");
    c.server_key = at("server.key");
    c.client_cert = at("client.pem");
    c.client_key = at("client.key");
    c.other_ca = at("other-ca.pem");
    c.other_client_cert = at("other-client.pem");
    c.other_client_key = at("other-client.key");
    c.ris_client_cert = at("ris-client.pem");
    c.ris_client_key = at("ris-client.key");
    c.revoked_client_cert = at("revoked-client.pem");
    c.revoked_client_key = at("revoked-client.key");
    c.crl = at("ca.crl");
    c.expired_crl = at("expired.crl");
    return c;
  }();
  static const struct remover {
    std::filesystem::path dir;
    ~remover() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_at_exit{made.dir};
  return made;
}

}  // namespace radbridge::test
