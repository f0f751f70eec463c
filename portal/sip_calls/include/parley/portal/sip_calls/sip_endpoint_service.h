#pragma once

#include <parley/sip/sip_server.h>
#include <parley/storage/sip_endpoint_store.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class SipGateway;

/// Who changes an endpoint, for the audit log.
struct SipAdminActor
{
    std::string name;
    std::string address;
};

/// An endpoint as the admin sees it: what is stored, whether its credentials still work,
/// and its registration when it has one.
struct SipEndpointView
{
    storage::SipEndpoint stored;
    bool credentialsCurrent = false; ///< made for the realm SIP uses now
    std::optional<sip::SipRegistration> registration;
};

/// SIP's state for the admin: settings in force and counters.
struct SipStatus
{
    bool enabled = false;
    std::uint16_t port = 0;
    std::string realm;
    bool allowGuests = false;
    std::int64_t rekeySeconds = 0;
    sip::SipStats stats;
    std::size_t registeredEndpoints = 0; ///< registrations in force
};

/// The endpoints an admin creates (meeting-room systems, desk phones), their digest
/// credentials and their registrations. Passwords are given once (chosen by the admin or
/// made here) and only their HA1 is stored; every change is audited. Credentials are tied to
/// the realm: they can be made only while SIP runs (its realm known), and those made for
/// another realm stop working until their password is set again. Thread-safe.
class SipEndpointService
{
public:
    SipEndpointService(storage::Database& database, storage::AuditLog& audit);

    /// SIP runs, with these settings, server and gateway (before any call arrives).
    void attach(const sip::SipSettings& settings, sip::SipServer* server, SipGateway* gateway);

    SipStatus status() const;
    std::vector<SipEndpointView> list() const;
    /// Throws HttpError 404 `no_such_endpoint`.
    SipEndpointView get(const std::string& username) const;

    /// What create() and setPassword() give back: the endpoint, and the password when it was
    /// made here (shown once, never stored).
    struct Created
    {
        SipEndpointView endpoint;
        std::optional<std::string> generatedPassword;
    };

    /// Creates an endpoint; without `password` one is made. Throws HttpError: 400
    /// `invalid_request` (a username, name or password the rules refuse), 409
    /// `endpoint_exists`, 409 `sip_disabled`.
    Created create(const std::string& username, const std::string& displayName,
                   const std::optional<std::string>& password, const SipAdminActor& actor);
    /// Renames it (the name meetings show from its next call). Throws as create() does, or
    /// 404 `no_such_endpoint`.
    SipEndpointView rename(const std::string& username, const std::string& displayName, const SipAdminActor& actor);
    /// New credentials; without `password` one is made. Its registration is dropped (the
    /// phone registers again with the new password); calls in progress go on. Throws as
    /// create() does, or 404.
    Created setPassword(const std::string& username, const std::optional<std::string>& password,
                        const SipAdminActor& actor);
    /// Deletes it: its registration is dropped and its calls hang up. Throws HttpError 404.
    void remove(const std::string& username, const SipAdminActor& actor);

    /// For the SIP server: the credentials of `username` when they were made for `realm`.
    std::optional<sip::EndpointCredentials> credentials(const std::string& username, const std::string& realm) const;

    /// The rules, for the API's messages: 1 to 64 of A-Z a-z 0-9 . _ -
    static bool validUsername(const std::string& username);

private:
    /// The registrations in force and the realm SIP uses, as the views are made from them.
    struct Snapshot
    {
        std::vector<sip::SipRegistration> registrations;
        std::optional<std::string> realm;
    };
    Snapshot snapshot() const;
    static SipEndpointView view(storage::SipEndpoint endpoint, const Snapshot& now);
    std::string realmOrRefuse() const;

    storage::SipEndpointStore store_;
    storage::AuditLog& audit_;
    mutable std::mutex mutex_; ///< guards what attach() sets
    std::optional<sip::SipSettings> settings_;
    sip::SipServer* server_ = nullptr;
    SipGateway* gateway_ = nullptr;
};

} // namespace parley::portal
