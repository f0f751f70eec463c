#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace parley::portal {

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
