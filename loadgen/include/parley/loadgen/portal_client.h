#pragma once

#include <parley/loadgen/scenario.h>

#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>

#include <cstdint>
#include <string>

namespace parley::loadgen {

/// The REST API as the load generator uses it: signs in once, creates the meetings.
class PortalClient
{
public:
    /// Prepares TLS as the scenario says (its CA, or any certificate with --insecure).
    explicit PortalClient(const Scenario& scenario);
    ~PortalClient();
    PortalClient(const PortalClient&) = delete;
    PortalClient& operator=(const PortalClient&) = delete;

    /// POST /api/v1/auth/login. Throws std::runtime_error with the server's message.
    void login(const std::string& username, const std::string& password);

    struct Meeting
    {
        std::int64_t id = 0;
        std::string meetingId; ///< the 9 digits a signed-in user joins with
        std::string link;      ///< the guest link secret
    };
    /// A meeting from now for `minutes`, without waiting room or PIN.
    Meeting createMeeting(const std::string& title, int minutes);

    /// The session cookie's value (the moderator's signaling connection sends it).
    const std::string& sessionToken() const { return cookie_; }
    Poco::Net::Context::Ptr tls() const { return tls_; }
    const std::string& host() const { return host_; }
    std::uint16_t port() const { return port_; }
    /// What a page of this portal sends as Origin.
    std::string origin() const;

private:
    Poco::JSON::Object::Ptr request(const std::string& method, const std::string& path, const std::string& body,
                                    int expectedStatus);

    std::string host_;
    std::uint16_t port_;
    Poco::Net::Context::Ptr tls_;
    std::string cookie_;
    std::string csrf_;
};

} // namespace parley::loadgen
