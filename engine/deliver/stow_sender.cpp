#include "deliver/stow_sender.hpp"

#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "deliver/stow_client.hpp"

namespace radbridge::deliver {

namespace {

// A refusal that is final for this instance; everything else may pass later.
attempt_result result_of(const stow_error& e) {
  if (e.transient()) return attempt_result::retry;
  switch (e.code()) {
    case stow_errc::rejected:
    case stow_errc::unauthorized:
    case stow_errc::not_found:
    case stow_errc::http_status:
      return attempt_result::rejected;
    case stow_errc::unreachable:
    case stow_errc::timeout:
    case stow_errc::too_large:
    case stow_errc::bad_response:
      return attempt_result::retry;
  }
  return attempt_result::retry;
}

}  // namespace

stow_sender::stow_sender(stow_sender_options options) {
  if (options.timeout.count() <= 0) throw std::invalid_argument("STOW-RS sender: the timeout must be positive");
  stow_settings settings;
  settings.base_url = std::move(options.base_url);
  settings.ca_file = std::move(options.ca_file);
  settings.auth = std::move(options.auth);
  settings.cert_file = std::move(options.cert_file);
  settings.key_file = std::move(options.key_file);
  settings.connect_timeout = options.timeout;
  settings.read_timeout = options.timeout;
  client_ = std::make_unique<stow_client>(std::move(settings));
}

stow_sender::~stow_sender() = default;

attempt_outcome stow_sender::send(const outbound_item& item) {
  const std::string where = "DICOMweb POST " + client_->shown_url(item.study_uid);
  try {
    const store_result stored = client_->store({item.payload}, item.study_uid);
    // store() succeeds only when the one file sent is listed as stored.
    const stored_instance& instance = stored.stored.front();
    std::string detail = fmt::format("{}: stored SOP instance {}", where, instance.sop_instance_uid);
    if (instance.sop_instance_uid != item.identity) detail += fmt::format(" (the item names {})", item.identity);
    if (instance.warning_reason) detail += fmt::format(" with warning 0x{:04X}", *instance.warning_reason);
    return {attempt_result::sent, std::move(detail), instance.retrieve_url};
  } catch (const stow_error& e) {
    return {result_of(e), e.what(), {}};
  } catch (const std::invalid_argument& e) {
    // Nothing was sent: the bytes are not a Part 10 file.
    return {attempt_result::rejected, fmt::format("{}: {}", where, e.what()), {}};
  } catch (const std::exception& e) {
    return {attempt_result::retry, fmt::format("{}: {}", where, e.what()), {}};
  }
}

}  // namespace radbridge::deliver
