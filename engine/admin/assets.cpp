#include "admin/assets.hpp"

namespace radbridge::admin {

std::string_view asset_type(std::string_view name) noexcept {
  const auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".json")) return "application/json";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace radbridge::admin
