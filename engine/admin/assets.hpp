// Files the admin server serves as they are, embedded in the binary at build
// time from engine/admin/assets/ (cmake/embed_assets.cmake): the API's
// OpenAPI document and the web console. Nothing is read from disk at run
// time and nothing comes from a CDN.
#pragma once

#include <optional>
#include <string_view>

namespace radbridge::admin {

// The file at `name` below assets/ ("openapi.json", "console/app.js").
std::optional<std::string_view> asset_body(std::string_view name) noexcept;

// Its Content-Type, from the name's extension.
std::string_view asset_type(std::string_view name) noexcept;

}  // namespace radbridge::admin
