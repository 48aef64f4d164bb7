// A sender makes one delivery attempt of an outbound_item to one destination
// (outbound.hpp says what the outcomes mean). Implementations: MLLP (ORU,
// ADT), FHIR REST (Observation), DICOMweb STOW-RS (SR), folder (any).
//
// `send` blocks (the delivery lanes run on their own threads), never throws
// for anything the network or the receiver does, and bounds its time by the
// destination's timeout. `make_sender` builds the sender a mapping's
// destination names; what a destination gets wrong is a start-up error, not
// a send outcome: it throws std::invalid_argument (an address that is not
// HOST:PORT for mllp, not an http(s) URL for fhir and dicomweb, an empty
// folder, a timeout that is not positive) or std::runtime_error (a CA file
// that cannot be used), the message starting with `destination "NAME": `.
// An mllp destination uses TLS when `tls` is set or a ca_file or cert_file
// is given. fhir and dicomweb destinations send their `auth` credentials
// with every request; mllp, fhir and dicomweb ones show their client
// certificate (cert_file, key_file) to receivers that ask for one.
//
// make_sender also warns, once per destination (it runs at start): a
// destination that sends in plain text (mllp without TLS, http://) to a
// host that is not loopback logs `destination_plain_text`; a password,
// token or key file group or others may read logs `secret_file_readable`.
#pragma once

#include <chrono>
#include <memory>

#include "deliver/outbound.hpp"
#include "route/mapping.hpp"

namespace radbridge::deliver {

class sender {
 public:
  virtual ~sender() = default;
  virtual attempt_outcome send(const outbound_item& item) = 0;
};

std::unique_ptr<sender> make_sender(const route::destination& d, std::chrono::milliseconds timeout);

// Whether the destination's connection is TLS: mllp with tls, ca_file or
// cert_file; fhir and dicomweb with an https address.
bool uses_tls(const route::destination& d);
// A destination that would send in plain text to a host that is not
// loopback (net/loopback.hpp; what make_sender warns about). Folders never
// are.
bool plain_text_off_host(const route::destination& d);

}  // namespace radbridge::deliver
