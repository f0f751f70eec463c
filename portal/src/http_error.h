#pragma once

#include <Poco/Net/HTTPResponse.h>

#include <stdexcept>
#include <string>

namespace parley::portal {

/// Thrown by a request handler to answer with a JSON error body. `code` is a stable
/// machine-readable word (docs/api.md); the message is for people and never holds secrets.
class HttpError : public std::runtime_error
{
public:
    HttpError(Poco::Net::HTTPResponse::HTTPStatus status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code))
    {}

    Poco::Net::HTTPResponse::HTTPStatus status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    Poco::Net::HTTPResponse::HTTPStatus status_;
    std::string code_;
};

} // namespace parley::portal
