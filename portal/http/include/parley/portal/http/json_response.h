#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <string>

namespace parley::portal {

/// A Unix time as ISO 8601 UTC ("2026-11-23T14:00:00Z"), the API's time format.
std::string isoTime(std::int64_t unixSeconds);

/// Sends `body` as the complete response with the given status.
void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const Poco::JSON::Object& body);

/// Sends an empty 204 response.
void sendNoContent(Poco::Net::HTTPServerResponse& response);

/// Sends the API's error shape: `{"error":{"code":code,"message":message}}`.
void sendJsonError(Poco::Net::HTTPServerResponse& response,
                   Poco::Net::HTTPResponse::HTTPStatus status, const std::string& code,
                   const std::string& message);

} // namespace parley::portal
