#include "deliver/sender.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "core/host_port.hpp"
#include "deliver/fhir_sender.hpp"
#include "deliver/folder_sender.hpp"
#include "deliver/mllp_sender.hpp"
#include "deliver/stow_sender.hpp"

namespace radbridge::deliver {

namespace {

std::unique_ptr<sender> build(const route::destination& d, std::chrono::milliseconds timeout) {
  using kind = route::destination::kind;
  switch (d.type) {
    case kind::mllp: {
      const auto address = parse_host_port(d.address);
      if (!address || address->host.empty() || address->port == 0)
        throw std::invalid_argument(fmt::format("address \"{}\" is not HOST:PORT", d.address));
      return std::make_unique<mllp_sender>(
          mllp_sender_options{address->host, address->port, d.tls || !d.ca_file.empty(), d.ca_file, timeout});
    }
    case kind::fhir:
      return std::make_unique<fhir_sender>(fhir_sender_options{d.address, d.ca_file, timeout});
    case kind::dicomweb:
      return std::make_unique<stow_sender>(stow_sender_options{d.address, d.ca_file, timeout});
    case kind::folder:
      return std::make_unique<folder_sender>(d.address);
  }
  throw std::invalid_argument("unknown destination type");
}

}  // namespace

std::unique_ptr<sender> make_sender(const route::destination& d, std::chrono::milliseconds timeout) {
  try {
    return build(d, timeout);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("destination \"{}\": {}", d.name, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("destination \"{}\": {}", d.name, e.what()));
  }
}

}  // namespace radbridge::deliver
