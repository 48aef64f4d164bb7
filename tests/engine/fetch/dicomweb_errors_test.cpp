// dicomweb_client (and the HTTP client under it) where Orthanc cannot help: statuses it never
// sends, malformed answers, servers that stall or are not there. A small
// loopback server in the test answers each connection with canned bytes.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "error_of.hpp"
#include "fetch/dicomweb_client.hpp"
#include "fetch/fetch_error.hpp"
#include "net/http_auth.hpp"
#include "engine/net/test_certs.hpp"

using radbridge::fetch::reference_of;
using radbridge::test::error_of;

namespace {

using radbridge::net::auth_scheme;
using radbridge::fetch::dicomweb_client;
using radbridge::fetch::dicomweb_settings;
using radbridge::fetch::fetch_errc;
using radbridge::fetch::fetch_error;
using namespace std::chrono_literals;

enum class behaviour {
  answer,        // read the request head, write the response, close
  never_answer,  // accept and hold the connection without a byte
  close_at_once  // read the request head and close without answering
};

struct server_options {
  behaviour mode = behaviour::answer;
  std::string cert_file;     // TLS (OpenSSL) when set, with key_file
  std::string key_file;
  bool close_notify = true;  // TLS: end with close_notify (else just close the socket)
  std::string address = "127.0.0.1";
};

server_options plain(behaviour mode) {
  server_options o;
  o.mode = mode;
  return o;
}

// Listens on a loopback address and treats every connection the same way;
// records the last request head.
class canned_server {
 public:
  explicit canned_server(std::string response, server_options options = {})
      : response_(std::move(response)), options_(std::move(options)) {
    if (!options_.cert_file.empty()) {
      tls_ = SSL_CTX_new(TLS_server_method());
      if (tls_ == nullptr || SSL_CTX_use_certificate_chain_file(tls_, options_.cert_file.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(tls_, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("canned_server: cannot load the TLS certificate");
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    ::inet_pton(AF_INET, options_.address.c_str(), &address.sin_addr);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("canned_server: cannot listen");
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~canned_server() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
    if (tls_ != nullptr) SSL_CTX_free(tls_);
  }
  canned_server(const canned_server&) = delete;
  canned_server& operator=(const canned_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/dicom-web", const std::string& host = "") const {
    return std::string(tls_ != nullptr ? "https" : "http") + "://" + (host.empty() ? options_.address : host) + ":" +
           std::to_string(port_) + path;
  }
  std::string last_request() const {
    const std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      if (options_.mode == behaviour::never_answer) {
        held_.push_back(c);  // closed at the end
        continue;
      }
      timeval timeout{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      SSL* ssl = nullptr;
      if (tls_ != nullptr) {
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
          SSL_free(ssl);
          ::close(c);
          continue;
        }
      }
      auto receive = [&](char* buffer, int size) -> int {
        return ssl != nullptr ? SSL_read(ssl, buffer, size) : static_cast<int>(::recv(c, buffer, static_cast<std::size_t>(size), 0));
      };
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const int n = receive(buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
      }
      {
        const std::lock_guard lock(mutex_);
        last_request_ = request;
      }
      for (std::size_t sent = 0; options_.mode == behaviour::answer && sent < response_.size();) {
        const int chunk = static_cast<int>(std::min<std::size_t>(response_.size() - sent, 65536));
        const int n = ssl != nullptr ? SSL_write(ssl, response_.data() + sent, chunk)
                                     : static_cast<int>(::send(c, response_.data() + sent, static_cast<std::size_t>(chunk), MSG_NOSIGNAL));
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      if (ssl != nullptr) {
        if (options_.close_notify) SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      ::shutdown(c, SHUT_WR);
      // Let the client read everything before the close (a close with unread
      // request bytes would reset the connection).
      while (::recv(c, buffer, sizeof buffer, 0) > 0) {
      }
      ::close(c);
    }
  }

  std::string response_;
  server_options options_;
  SSL_CTX* tls_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  mutable std::mutex mutex_;
  std::string last_request_;
  std::thread thread_;
};

// A complete answer; without Content-Length the body runs to the end of the
// connection, as Orthanc sends WADO-RS answers.
std::string http_answer(const std::string& status, const std::string& content_type, const std::string& body,
                        bool with_length = true) {
  std::string out = "HTTP/1.1 " + status + "\r\n";
  if (!content_type.empty()) out += "Content-Type: " + content_type + "\r\n";
  if (with_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "Connection: close\r\n\r\n" + body;
}

std::string json_answer(const std::string& body) { return http_answer("200 OK", "application/dicom+json", body); }

// A fake Part 10 file: preamble, magic, some bytes.
std::string fake_part10(char fill, std::size_t size = 300) { return std::string(128, '\0') + "DICM" + std::string(size, fill); }

std::string multipart_body(const std::vector<std::string>& parts, const std::string& part_type = "application/dicom") {
  std::string body;
  for (const auto& p : parts) body += "--B0undary\r\nContent-Type: " + part_type + "\r\n\r\n" + p + "\r\n";
  return body + "--B0undary--\r\n";
}

const std::string multipart_type = R"(multipart/related; type="application/dicom"; boundary=B0undary)";

std::string multipart_answer(const std::vector<std::string>& parts, const std::string& part_type = "application/dicom",
                             bool with_length = true) {
  return http_answer("200 OK", multipart_type, multipart_body(parts, part_type), with_length);
}

// The same multipart answer with chunked transfer coding, 1000 bytes a chunk.
std::string chunked_multipart_answer(const std::vector<std::string>& parts) {
  const std::string body = multipart_body(parts);
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: " + multipart_type + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 1000) {
    const std::string chunk = body.substr(at, 1000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    out += std::string(size) + "\r\n" + chunk + "\r\n";
  }
  return out + "0\r\n\r\n";
}

dicomweb_settings settings_for(const std::string& url) {
  dicomweb_settings s;
  s.base_url = url;
  s.connect_timeout = 2s;
  s.read_timeout = 5s;
  return s;
}


const std::string study_uid = "1.2.826.0.1.3680043.2.1125.1";
const std::string series_uid = "1.2.826.0.1.3680043.2.1125.1.2";

std::uint16_t closed_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(s);  // bound, never listened: connections are refused
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("dicomweb: settings that cannot work are refused at construction") {
  auto s = settings_for("http://127.0.0.1:1/dicom-web");
  s.auth.scheme = auth_scheme::basic;
  CHECK_THROWS_AS(dicomweb_client{s}, std::invalid_argument);  // no user
  s.auth.user = "a:b";
  CHECK_THROWS_AS(dicomweb_client{s}, std::invalid_argument);
  s.auth.scheme = auth_scheme::bearer;
  CHECK_THROWS_AS(dicomweb_client{s}, std::invalid_argument);  // no token
  s.auth.token = "abc\r\nX-Injected: 1";
  CHECK_THROWS_AS(dicomweb_client{s}, std::invalid_argument);
  CHECK_THROWS_AS(dicomweb_client{settings_for("gopher://127.0.0.1/")}, std::invalid_argument);
}

TEST_CASE("dicomweb: what the requests look like") {
  SUBCASE("QIDO-RS: path, escaped query, Accept, bearer token") {
    canned_server server(json_answer(R"([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]},
                                          "00080050": {"vr": "SH", "Value": ["A B/C&D"]}}])"));
    auto s = settings_for(server.url("/pacs/dicom-web/"));
    s.auth.scheme = auth_scheme::bearer;
    s.auth.token = "t0k3n";
    const dicomweb_client client(s);
    CHECK(client.find_study_by_accession("A B/C&D") == "1.2.3");
    const std::string request = server.last_request();
    CHECK(request.rfind("GET /pacs/dicom-web/studies?AccessionNumber=A%20B%2FC%26D&includefield=00080050"
                        "&includefield=0020000D HTTP/1.1\r\n",
                        0) == 0);
    CHECK(request.find("\r\nAccept: application/dicom+json\r\n") != std::string::npos);
    CHECK(request.find("\r\nAuthorization: Bearer t0k3n\r\n") != std::string::npos);
    CHECK(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  }
  SUBCASE("WADO-RS: Accept asks for the stored transfer syntax; basic credentials") {
    canned_server server(multipart_answer({fake_part10('a')}));
    auto s = settings_for(server.url());
    s.auth.scheme = auth_scheme::basic;
    s.auth.user = "Aladdin";
    s.auth.password = "open sesame";
    const dicomweb_client client(s);
    CHECK(client.retrieve_series(study_uid, series_uid).size() == 1);
    const std::string request = server.last_request();
    CHECK(request.rfind("GET /dicom-web/studies/" + study_uid + "/series/" + series_uid + " HTTP/1.1\r\n", 0) == 0);
    CHECK(request.find("\r\nAccept: multipart/related; type=\"application/dicom\"; transfer-syntax=*\r\n") !=
          std::string::npos);
    CHECK(request.find("\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n") != std::string::npos);
  }
}

TEST_CASE("dicomweb: multipart answers, plain and chunked") {
  const std::vector<std::string> parts{fake_part10('a', 5000), fake_part10('\r', 3), fake_part10('-', 70000)};
  for (const bool chunked : {false, true}) {
    CAPTURE(chunked);
    canned_server server(chunked ? chunked_multipart_answer(parts) : multipart_answer(parts));
    const dicomweb_client client(settings_for(server.url()));
    CHECK(client.retrieve_series(study_uid, series_uid) == parts);
  }
}

TEST_CASE("dicomweb: HTTP statuses map to error codes") {
  struct expectation {
    const char* status;
    fetch_errc code;
    bool transient;
  };
  const expectation cases[] = {
      {"500 Internal Server Error", fetch_errc::http_status, true},
      {"502 Bad Gateway", fetch_errc::http_status, true},
      {"503 Service Unavailable", fetch_errc::http_status, true},
      {"429 Too Many Requests", fetch_errc::http_status, true},
      {"408 Request Timeout", fetch_errc::http_status, true},
      {"400 Bad Request", fetch_errc::http_status, false},
      {"301 Moved Permanently", fetch_errc::http_status, false},
      {"406 Not Acceptable", fetch_errc::http_status, false},
      {"401 Unauthorized", fetch_errc::unauthorized, false},
      {"403 Forbidden", fetch_errc::unauthorized, false},
      {"404 Not Found", fetch_errc::not_found, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.status);
    canned_server server(http_answer(c.status, "text/plain", "details"));
    const dicomweb_client client(settings_for(server.url()));
    for (const auto& call : std::vector<std::function<void()>>{
             [&] { client.find_study_by_accession("A1"); },
             [&] { client.retrieve_series(study_uid, series_uid); },
             [&] { client.prior_studies("P1", "CT", "HEAD", study_uid); }}) {
      const auto e = error_of(call);
      CHECK(e.code() == c.code);
      CHECK(e.transient() == c.transient);
      CHECK(std::string(e.what()).find("HTTP " + std::string(c.status)) != std::string::npos);
    }
  }
  SUBCASE("the message names the request, its identifiers by their reference, not the body") {
    canned_server server(http_answer("503 Service Unavailable", "text/plain", "SECRET^PATIENT"));
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.retrieve_series(study_uid, series_uid); });
    CHECK(std::string(e.what()) == "DICOMweb GET " + server.url() + "/studies/" + reference_of(study_uid) + "/series/" +
                                       reference_of(series_uid) + ": HTTP 503 Service Unavailable");
    CHECK(std::string(error_of([&] { client.find_study_by_accession("ACC-7"); }).what()) ==
          "DICOMweb GET " + server.url() + "/studies?AccessionNumber=" + reference_of("ACC-7") +
              ": HTTP 503 Service Unavailable");
    CHECK(std::string(error_of([&] { client.list_series(study_uid); }).what()) ==
          "DICOMweb GET " + server.url() + "/studies?StudyInstanceUID=" + reference_of(study_uid) +
              ": HTTP 503 Service Unavailable");
    CHECK(std::string(error_of([&] { client.prior_studies("MRN-7", "CT", "HEAD", study_uid); }).what()) ==
          "DICOMweb GET " + server.url() + "/studies?PatientID=" + reference_of("MRN-7") +
              "&ModalitiesInStudy=CT: HTTP 503 Service Unavailable");
  }
  SUBCASE("204 No Content: nothing found") {
    canned_server server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    const dicomweb_client client(settings_for(server.url()));
    CHECK(error_of([&] { client.find_study_by_accession("A1"); }).code() == fetch_errc::not_found);
    CHECK(error_of([&] { client.retrieve_series(study_uid, series_uid); }).code() == fetch_errc::not_found);
    CHECK(client.prior_studies("P1", "CT", "", "").empty());
  }
}

TEST_CASE("dicomweb: malformed QIDO answers are bad_response") {
  const char* bodies[] = {
      "[{\"0020000D\": ",                                          // truncated JSON
      "{\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"1.2\"]}}",    // an object, not an array
      "[42]",                                                      // a result that is not an object
      "[{\"0020000D\": \"1.2.3\", \"00080050\": {\"vr\": \"SH\", \"Value\": [\"A1\"]}}]",  // attribute not an object
      "[{\"0020000D\": {\"vr\": \"UI\", \"Value\": \"1.2.3\"}, \"00080050\": {\"vr\": \"SH\", \"Value\": [\"A1\"]}}]",
      "[{\"00080050\": {\"vr\": \"SH\", \"Value\": [\"A1\"]}}]",                          // no Study Instance UID
      "[{\"0020000D\": {\"vr\": \"UI\", \"Value\": [\"1.2/../x\"]}, \"00080050\": {\"vr\": \"SH\", \"Value\": [\"A1\"]}}]",
      "[{\"0020000D\": {\"vr\": \"UI\", \"Value\": [{\"x\": 1}]}, \"00080050\": {\"vr\": \"SH\", \"Value\": [\"A1\"]}}]",
  };
  for (const char* body : bodies) {
    CAPTURE(body);
    canned_server server(json_answer(body));
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.find_study_by_accession("A1"); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK_FALSE(e.transient());
  }
  SUBCASE("lower-case tags, numbers as strings, empty values are read") {
    canned_server server(json_answer(R"([{"0020000e": {"vr": "UI", "Value": ["1.2.3.4"]},
                                          "00200011": {"vr": "IS", "Value": ["7"]},
                                          "00180050": {"vr": "DS", "Value": [" 0.625 "]},
                                          "00201209": {"vr": "IS", "Value": [12]},
                                          "00080060": {"vr": "CS", "Value": ["CT"]},
                                          "00180015": {"vr": "CS"},
                                          "0020000D": {"vr": "UI", "Value": ["1.2.3"]}}])"));
    const dicomweb_client client(settings_for(server.url()));
    const auto series = client.list_series("1.2.3");
    REQUIRE(series.size() == 1);
    CHECK(series[0].identity.series_uid == "1.2.3.4");
    CHECK(series[0].identity.study_uid == "1.2.3");
    CHECK(series[0].identity.modality == "CT");
    CHECK(series[0].identity.body_part.empty());
    CHECK(series[0].series_number == 7);
    CHECK(series[0].instances == 12);
    CHECK(series[0].slice_thickness.value_or(0) == doctest::Approx(0.625));
  }
}

TEST_CASE("dicomweb: numbers a series query answers out of range are bad_response, never cast") {
  // Each answer is the study query's and the series query's (the canned server gives both the same).
  const auto answer = [](const std::string& attributes) {
    return json_answer(R"([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}, "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]}, )" +
                       attributes + "}]");
  };
  const auto message = [&](const std::string& attributes) {
    canned_server server(answer(attributes));
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.list_series("1.2.3"); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK_FALSE(e.transient());
    const std::string prefix = "DICOMweb GET " + server.url() + "/studies/" + reference_of("1.2.3") + "/series: ";
    const std::string what = e.what();
    REQUIRE_MESSAGE(what.starts_with(prefix), what);
    return what.substr(prefix.size());
  };
  CHECK(message(R"("00200011": {"vr": "IS", "Value": [1e300]})") ==
        "SeriesNumber (00200011) 1e+300 is not an integer from -2147483648 to 2147483647");
  CHECK(message(R"("00200011": {"vr": "IS", "Value": ["NaN"]})") ==
        "SeriesNumber (00200011) nan is not an integer from -2147483648 to 2147483647");
  CHECK(message(R"("00200011": {"vr": "IS", "Value": ["-inf"]})") ==
        "SeriesNumber (00200011) -inf is not an integer from -2147483648 to 2147483647");
  CHECK(message(R"("00200011": {"vr": "IS", "Value": [2147483648]})") ==
        "SeriesNumber (00200011) 2147483648 is not an integer from -2147483648 to 2147483647");
  CHECK(message(R"("00200011": {"vr": "IS", "Value": [2.5]})") ==
        "SeriesNumber (00200011) 2.5 is not an integer from -2147483648 to 2147483647");
  CHECK(message(R"("00201209": {"vr": "IS", "Value": [1e300]})") ==
        "NumberOfSeriesRelatedInstances (00201209) 1e+300 is not an integer from 0 to 2147483647");
  CHECK(message(R"("00201209": {"vr": "IS", "Value": [-1]})") ==
        "NumberOfSeriesRelatedInstances (00201209) -1 is not an integer from 0 to 2147483647");
  CHECK(message(R"("00180050": {"vr": "DS", "Value": ["NaN"]})") == "SliceThickness (00180050) nan is not a finite number");

  SUBCASE("the ends of the ranges are read") {
    canned_server server(answer(R"("00200011": {"vr": "IS", "Value": ["-2147483648"]},
                                   "00201209": {"vr": "IS", "Value": [2147483647]},
                                   "00180050": {"vr": "DS", "Value": ["1e300"]})"));
    const auto series = dicomweb_client(settings_for(server.url())).list_series("1.2.3");
    REQUIRE(series.size() == 1);
    CHECK(series[0].series_number == -2147483648LL);
    CHECK(series[0].instances == 2147483647U);
    CHECK(series[0].slice_thickness == 1e300);
  }
}

TEST_CASE("dicomweb: malformed WADO-RS answers are bad_response") {
  const std::string good = fake_part10('x');
  const std::string answers[] = {
      http_answer("200 OK", "application/dicom", good),                         // not multipart
      http_answer("200 OK", "multipart/related; type=application/dicom", good),  // no boundary
      http_answer("200 OK", R"(multipart/related; type="application/json"; boundary=B0undary)",
                  "--B0undary\r\n\r\n{}\r\n--B0undary--"),                        // the wrong kind of parts
      multipart_answer({good, "not a DICOM file"}),                               // a part that is not Part 10
      multipart_answer({good}, "text/plain"),                                     // a part that says it is text
      http_answer("200 OK", R"(multipart/related; boundary=B0undary)",
                  "--B0undary\r\nno header colon\r\n\r\nx\r\n--B0undary--"),     // a malformed part header
      "HTTP/1.1 two hundred OK\r\n\r\n",                                           // not HTTP
  };
  for (const auto& answer : answers) {
    CAPTURE(answer.substr(0, 120));
    canned_server server(answer);
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.retrieve_series(study_uid, series_uid); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK_FALSE(e.transient());
  }
  SUBCASE("an empty multipart: the series has no instances") {
    canned_server server(multipart_answer({}));
    const dicomweb_client client(settings_for(server.url()));
    CHECK(error_of([&] { client.retrieve_series(study_uid, series_uid); }).code() == fetch_errc::not_found);
  }
  SUBCASE("a body that ends before the close delimiter: transient bad_response") {
    // Orthanc's way: no Content-Length, the body runs to the end of the connection.
    std::string answer = multipart_answer({good, good}, "application/dicom", false);
    answer.resize(answer.size() - 200);
    canned_server server(answer);
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.retrieve_series(study_uid, series_uid); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK(e.transient());
    CHECK(std::string(e.what()).find("no_closing_delimiter") != std::string::npos);
  }
  SUBCASE("a connection that breaks mid-body: transient bad_response") {
    std::string answer = multipart_answer({good});
    answer.resize(answer.size() - 40);  // Content-Length promises more than comes
    canned_server server(answer);
    const dicomweb_client client(settings_for(server.url()));
    const auto e = error_of([&] { client.retrieve_series(study_uid, series_uid); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK(e.transient());
  }
}

TEST_CASE("dicomweb: caps apply before the body is read") {
  // Content-Length says 10 GB; nothing of it is sent, so only the header can tell.
  canned_server server(
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=B0undary\r\n"
      "Content-Length: 10000000000\r\n\r\n");
  auto s = settings_for(server.url());
  s.max_series_bytes = 1 << 20;
  const dicomweb_client client(s);
  const auto e = error_of([&] { client.retrieve_series(study_uid, series_uid); });
  CHECK(e.code() == fetch_errc::too_large);
  CHECK_FALSE(e.transient());
}

TEST_CASE("dicomweb: a server that accepts and never answers times out (transient)") {
  canned_server silent("", plain(behaviour::never_answer));
  auto s = settings_for(silent.url());
  s.read_timeout = 300ms;
  const dicomweb_client client(s);
  const auto e = error_of([&] { client.find_study_by_accession("ACC-7"); });
  CHECK(e.code() == fetch_errc::timeout);
  CHECK(e.transient());
  // The HTTP client's reason, under the request as fetch names it (no accession number).
  CHECK(std::string(e.what()) == "DICOMweb GET " + silent.url() + "/studies?AccessionNumber=" + reference_of("ACC-7") +
                                     ": no complete response within 300 ms");
  CHECK(error_of([&] { client.retrieve_series(study_uid, series_uid); }).code() == fetch_errc::timeout);
}

TEST_CASE("dicomweb: nothing listening is unreachable (transient)") {
  const dicomweb_client client(settings_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/dicom-web"));
  const auto e = error_of([&] { client.list_series(study_uid); });
  CHECK(e.code() == fetch_errc::unreachable);
  CHECK(e.transient());
  CHECK(std::string(e.what()).find("/studies?StudyInstanceUID=" + reference_of(study_uid) + ": cannot connect") !=
        std::string::npos);
  CHECK(std::string(e.what()).find(study_uid) == std::string::npos);

  SUBCASE("a server that closes without answering is unreachable too") {
    canned_server closer("", plain(behaviour::close_at_once));
    const dicomweb_client c2(settings_for(closer.url()));
    const auto e2 = error_of([&] { c2.list_series(study_uid); });
    CHECK(e2.code() == fetch_errc::unreachable);
    CHECK(e2.transient());
    CHECK(std::string(e2.what()).find("closed the connection without answering") != std::string::npos);
  }
}

TEST_CASE("dicomweb: over TLS") {
  const auto& certs = radbridge::test::certs();
  const std::vector<std::string> parts{fake_part10('a', 5000), fake_part10('b', 100)};
  server_options tls;
  tls.cert_file = certs.server_cert;
  tls.key_file = certs.server_key;
  auto settings = [&](const std::string& url) {
    auto s = settings_for(url);
    s.ca_file = certs.ca;
    return s;
  };

  SUBCASE("QIDO-RS with a verified certificate, by address and by name") {
    canned_server server(json_answer(R"([{"0020000D": {"vr": "UI", "Value": ["1.2.3"]},
                                          "00080050": {"vr": "SH", "Value": ["A1"]}}])"),
                         tls);
    CHECK(dicomweb_client(settings(server.url())).find_study_by_accession("A1") == "1.2.3");
    CHECK(dicomweb_client(settings(server.url("/dicom-web", "localhost"))).find_study_by_accession("A1") == "1.2.3");
  }
  SUBCASE("WADO-RS to the end of the connection, with and without close_notify") {
    for (const bool close_notify : {true, false}) {
      CAPTURE(close_notify);
      tls.close_notify = close_notify;
      canned_server server(multipart_answer(parts, "application/dicom", false), tls);
      CHECK(dicomweb_client(settings(server.url())).retrieve_series(study_uid, series_uid) == parts);
    }
  }
  SUBCASE("a certificate from another CA: unreachable (transient); without verification it works") {
    canned_server server(multipart_answer(parts), tls);
    auto s = settings(server.url());
    s.ca_file = certs.other_ca;
    const auto e = error_of([&] { dicomweb_client(s).retrieve_series(study_uid, series_uid); });
    CHECK(e.code() == fetch_errc::unreachable);
    CHECK(e.transient());
    CHECK(std::string(e.what()).find("TLS handshake failed") != std::string::npos);
    s.verify_peer = false;
    CHECK(dicomweb_client(s).retrieve_series(study_uid, series_uid) == parts);
  }
  SUBCASE("a certificate for another host: unreachable") {
    tls.address = "127.0.0.2";  // loopback, but not a name in the certificate
    canned_server server(multipart_answer(parts), tls);
    const auto e = error_of([&] { dicomweb_client(settings(server.url())).retrieve_series(study_uid, series_uid); });
    CHECK(e.code() == fetch_errc::unreachable);
  }
  SUBCASE("a missing CA file is a configuration error at construction") {
    auto s = settings("https://127.0.0.1:1/dicom-web");
    s.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_WITH_AS(dicomweb_client{s}, doctest::Contains("/nonexistent/ca.pem"), std::runtime_error);
  }
}
