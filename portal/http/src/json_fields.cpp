#include <parley/portal/http/json_fields.h>

#include <parley/portal/http/api_handler.h>
#include <parley/portal/http/http_error.h>

#include <Poco/NumberParser.h>

namespace parley::portal {
namespace {

[[noreturn]] void invalid(const std::string& message)
{
    throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request", message);
}

std::int64_t positiveQueryNumber(const ApiRequest& request, const std::string& name,
                                 std::int64_t fallback, std::int64_t max)
{
    const auto text = request.query(name);
    if (text.empty())
        return fallback;
    Poco::Int64 value = 0;
    if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos ||
        !Poco::NumberParser::tryParse64(text, value) || value < 1 || value > max)
        invalid("'" + name + "' must be a whole number from 1 to " + std::to_string(max));
    return value;
}

} // namespace

std::optional<std::string> optionalString(const Poco::JSON::Object& object,
                                          const std::string& field, std::size_t maxBytes)
{
    if (!object.has(field) || object.isNull(field))
        return std::nullopt;
    const auto value = object.get(field);
    if (!value.isString())
        invalid("'" + field + "' must be a string");
    auto text = value.extract<std::string>();
    if (text.size() > maxBytes)
        invalid("'" + field + "' is longer than " + std::to_string(maxBytes) + " bytes");
    return text;
}

std::string requireString(const Poco::JSON::Object& object, const std::string& field,
                          std::size_t maxBytes)
{
    auto value = optionalString(object, field, maxBytes);
    if (!value)
        invalid("'" + field + "' is required");
    return *value;
}

std::optional<bool> optionalBool(const Poco::JSON::Object& object, const std::string& field)
{
    if (!object.has(field) || object.isNull(field))
        return std::nullopt;
    const auto value = object.get(field);
    if (value.type() != typeid(bool))
        invalid("'" + field + "' must be true or false");
    return value.extract<bool>();
}

Page pageOf(const ApiRequest& request)
{
    Page page;
    page.page = positiveQueryNumber(request, "page", 1, 100000000);
    page.perPage = positiveQueryNumber(request, "per_page", 50, 200);
    return page;
}

std::string searchOf(const ApiRequest& request)
{
    auto text = request.query("q");
    if (text.size() > kMaxSearchBytes)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                        "'q' must be at most " + std::to_string(kMaxSearchBytes) + " bytes");
    return text;
}

} // namespace parley::portal
