#include <parley/portal/http/json_response.h>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace parley::portal {

std::string isoTime(std::int64_t unixSeconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(unixSeconds), "%Y-%m-%dT%H:%M:%SZ");
}

void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const Poco::JSON::Object& body)
{
    std::ostringstream text;
    body.stringify(text);
    const std::string payload = text.str();
    response.setStatusAndReason(status);
    response.setContentType("application/json; charset=utf-8");
    response.setContentLength64(static_cast<Poco::Int64>(payload.size()));
    response.send().write(payload.data(), static_cast<std::streamsize>(payload.size()));
}

void sendJsonError(Poco::Net::HTTPServerResponse& response,
                   Poco::Net::HTTPResponse::HTTPStatus status, const std::string& code,
                   const std::string& message)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("code", code);
    error->set("message", message);
    Poco::JSON::Object body;
    body.set("error", error);
    sendJson(response, status, body);
}

void sendNoContent(Poco::Net::HTTPServerResponse& response)
{
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
    response.setContentLength(0);
    response.send();
}

} // namespace parley::portal
