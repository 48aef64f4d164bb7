#include "jobs/study_source.hpp"

#include <mutex>
#include <optional>

#include "fetch/fetch_error.hpp"
#include "net/http_auth.hpp"

namespace radbridge::jobs {

namespace {

class dicomweb_source final : public study_source {
 public:
  explicit dicomweb_source(fetch::dicomweb_settings s) : pacs_(std::move(s)) {}
  fetch::located_series locate(const fetch::study_key& key, const fetch::series_rule& rule) const override {
    return fetch::locate_series(pacs_, key, rule);
  }
  fetch::fetched_series fetch(const fetch::located_series& where) const override {
    return fetch::fetch_located(pacs_, where);
  }

 private:
  fetch::dicomweb_client pacs_;
};

// The folder is scanned again at every `locate` (a study's files may still
// be arriving); `fetch` reads what that scan listed.
class folder_study_source final : public study_source {
 public:
  explicit folder_study_source(std::string path) : path_(std::move(path)) {}
  fetch::located_series locate(const fetch::study_key& key, const fetch::series_rule& rule) const override {
    std::lock_guard lock(mutex_);
    folder_.emplace(path_);
    return fetch::locate_series(*folder_, key, rule);
  }
  fetch::fetched_series fetch(const fetch::located_series& where) const override {
    std::lock_guard lock(mutex_);
    if (!folder_) folder_.emplace(path_);
    return fetch::fetch_located(*folder_, where);
  }

 private:
  std::string path_;
  mutable std::mutex mutex_;
  mutable std::optional<fetch::folder_source> folder_;
};

}  // namespace

std::unique_ptr<study_source> make_study_source(const config::pacs_settings& s) {
  if (!s.folder.empty()) return std::make_unique<folder_study_source>(s.folder);
  fetch::dicomweb_settings d;
  d.base_url = s.dicomweb_url;
  if (!s.token.empty()) {
    d.auth.scheme = net::auth_scheme::bearer;
    d.auth.token = s.token;
  } else if (!s.user.empty()) {
    d.auth.scheme = net::auth_scheme::basic;
    d.auth.user = s.user;
    d.auth.password = s.password;
  }
  d.ca_file = s.ca_file;
  d.cert_file = s.cert_file;
  d.key_file = s.key_file;
  d.connect_timeout = std::min(d.connect_timeout, s.timeout);
  d.read_timeout = s.timeout;
  return std::make_unique<dicomweb_source>(std::move(d));
}

}  // namespace radbridge::jobs
