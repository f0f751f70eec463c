#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace parley::portal {

/// Readers for fields of a request's JSON object. Each throws HttpError 400
/// `invalid_request` naming the field when it is missing (for require*), of the wrong type,
/// or longer than `maxBytes`.
std::string requireString(const Poco::JSON::Object& object, const std::string& field,
                          std::size_t maxBytes);
std::optional<std::string> optionalString(const Poco::JSON::Object& object,
                                          const std::string& field, std::size_t maxBytes);
std::optional<bool> optionalBool(const Poco::JSON::Object& object, const std::string& field);

/// `page` and `per_page` from the query string: 1-based page, 1 to 200 per page (default 50).
struct Page
{
    std::int64_t page = 1;
    std::int64_t perPage = 50;
    std::int64_t offset() const { return (page - 1) * perPage; }
};
struct ApiRequest;
Page pageOf(const ApiRequest& request);

/// The longest search text a list takes (`q`).
inline constexpr std::size_t kMaxSearchBytes = 256;
/// `q` from the query string ("" when absent: everything); HttpError 400 `invalid_request`
/// beyond kMaxSearchBytes.
std::string searchOf(const ApiRequest& request);

} // namespace parley::portal
