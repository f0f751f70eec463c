#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/URI.h>

#include <filesystem>
#include <string>

namespace parley::parleyctl {

/// The running server's REST API, used as a signed-in admin. The server's certificate is
/// verified against `caFile` (for a self-signed installation: its own certificate,
/// `<data_dir>/tls/selfsigned.crt`) or, when empty, the system's trusted CAs; the host name
/// must match. Throws std::runtime_error with the server's error message on any failure.
class ApiSession
{
public:
    ApiSession(const std::string& serverUrl, const std::filesystem::path& caFile);
    ~ApiSession();

    /// Logs in; throws if the credentials are refused (the message says why).
    void login(const std::string& username, const std::string& password);

    /// Sends a request and returns the JSON body (null for 204). Throws unless the status is
    /// `expectedStatus`.
    Poco::JSON::Object::Ptr request(const std::string& method, const std::string& path,
                                    const std::string& body, int expectedStatus);

private:
    Poco::URI server_;
    Poco::Net::Context::Ptr tls_;
    std::string cookie_;
    std::string csrf_;
};

} // namespace parley::parleyctl
