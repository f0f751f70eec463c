#pragma once

#include <Poco/Net/HTTPResponse.h>

#include <chrono>
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

    /// For 429: how long the client should wait (sent as Retry-After).
    HttpError& withRetryAfter(std::chrono::seconds seconds)
    {
        retryAfter_ = seconds;
        return *this;
    }
    std::chrono::seconds retryAfter() const { return retryAfter_; }

private:
    std::chrono::seconds retryAfter_{0};
    Poco::Net::HTTPResponse::HTTPStatus status_;
    std::string code_;
};

} // namespace parley::portal
