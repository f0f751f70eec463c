#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {

class Database;

/// A SIP endpoint (a meeting-room system or desk phone) an admin created, as stored.
struct SipEndpoint
{
    std::string username;    ///< what it authenticates as (SIP digest), unique
    std::string displayName; ///< how it appears in meetings
    std::string realm;       ///< the digest realm `ha1` was made for
    std::string ha1;         ///< lowercase hex MD5 of "username:realm:password"; never the password
    std::string createdBy;
    std::int64_t createdAt = 0;         ///< Unix seconds
    std::int64_t passwordChangedAt = 0; ///< Unix seconds
};

/// The sip_endpoints table. Every method takes a pooled connection and uses bound
/// parameters only; none keeps state, so it is safe from any thread.
class SipEndpointStore
{
public:
    explicit SipEndpointStore(Database& database) : database_(database) {}

    /// Stores a new endpoint; false (nothing stored) when the username is taken.
    bool create(const SipEndpoint& endpoint);
    /// Every endpoint, by username.
    std::vector<SipEndpoint> list() const;
    std::optional<SipEndpoint> find(const std::string& username) const;
    /// Renames it; false when there is no such endpoint.
    bool rename(const std::string& username, const std::string& displayName);
    /// Replaces its credentials (a new password, or the realm changed); false when there is
    /// no such endpoint.
    bool setCredentials(const std::string& username, const std::string& realm, const std::string& ha1,
                        std::int64_t changedAt);
    /// false when there was no such endpoint.
    bool remove(const std::string& username);

private:
    Database& database_;
};

} // namespace parley::storage
