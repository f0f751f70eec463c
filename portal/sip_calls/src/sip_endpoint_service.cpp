#include <parley/portal/sip_calls/sip_endpoint_service.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/secret_token.h>
#include <parley/portal/http/text_validation.h>
#include <parley/portal/http/unix_time.h>
#include <parley/portal/sip_calls/sip_gateway.h>
#include <parley/sip/digest_authenticator.h>
#include <parley/storage/audit_details.h>
#include <parley/storage/audit_log.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr std::size_t kMaxUsernameBytes = 64;
constexpr std::size_t kMaxDisplayNameLength = 64;
/// Phones take their password from a keypad or a provisioning file: printable ASCII, and
/// long enough that a digest answer overheard cannot be brute-forced offline (MD5 is fast).
constexpr std::size_t kMinPasswordBytes = 12;
constexpr std::size_t kMaxPasswordBytes = 128;

HttpError invalid(const std::string& message)
{
    return HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", message);
}

HttpError noSuchEndpoint(const std::string& username)
{
    return HttpError(Status::HTTP_NOT_FOUND, "no_such_endpoint", "there is no SIP endpoint '" + username + "'");
}

void checkDisplayName(const std::string& name)
{
    if (name.empty() || !isValidUtf8(name) || hasControlCharacters(name) || utf8Length(name) > kMaxDisplayNameLength)
        throw invalid("'displayName' must be 1 to 64 characters without control characters: the name meetings show");
}

/// The password to use: the one given, checked, or a new one.
std::string passwordOrNew(const std::optional<std::string>& password)
{
    if (!password)
        return randomPassword();
    if (password->size() < kMinPasswordBytes || password->size() > kMaxPasswordBytes)
        throw invalid("'password' must be 12 to 128 characters (or leave it out and Parley makes one)");
    for (const char c : *password)
        if (c < 0x20 || c > 0x7e)
            throw invalid("'password' may hold only printable ASCII characters, which every phone can be given");
    return *password;
}

std::string target(const std::string& username)
{
    return "sip-endpoint:" + username;
}

} // namespace

SipEndpointService::SipEndpointService(storage::Database& database, storage::AuditLog& audit)
    : store_(database), audit_(audit)
{}

void SipEndpointService::attach(const sip::SipSettings& settings, sip::SipServer* server, SipGateway* gateway)
{
    const std::lock_guard lock(mutex_);
    settings_ = settings;
    server_ = server;
    gateway_ = gateway;
}

bool SipEndpointService::validUsername(const std::string& username)
{
    if (username.empty() || username.size() > kMaxUsernameBytes)
        return false;
    for (const char c : username)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            return false;
    return true;
}

SipStatus SipEndpointService::status() const
{
    const std::lock_guard lock(mutex_);
    SipStatus status;
    if (!settings_)
        return status;
    status.enabled = true;
    status.port = server_ ? server_->port() : settings_->port;
    status.realm = settings_->realm;
    status.allowGuests = settings_->allowGuests;
    status.rekeySeconds = settings_->rekeyInterval.count();
    if (server_) {
        status.stats = server_->stats();
        status.registeredEndpoints = server_->registrations().size();
    }
    return status;
}

SipEndpointService::Snapshot SipEndpointService::snapshot() const
{
    const std::lock_guard lock(mutex_);
    Snapshot now;
    if (server_)
        now.registrations = server_->registrations();
    if (settings_)
        now.realm = settings_->realm;
    return now;
}

SipEndpointView SipEndpointService::view(storage::SipEndpoint endpoint, const Snapshot& now)
{
    SipEndpointView view;
    view.credentialsCurrent = now.realm && endpoint.realm == *now.realm;
    for (const auto& registration : now.registrations)
        if (registration.username == endpoint.username)
            view.registration = registration;
    view.stored = std::move(endpoint);
    return view;
}

std::vector<SipEndpointView> SipEndpointService::list() const
{
    const auto now = snapshot();
    std::vector<SipEndpointView> views;
    for (auto& endpoint : store_.list())
        views.push_back(view(std::move(endpoint), now));
    return views;
}

SipEndpointView SipEndpointService::get(const std::string& username) const
{
    auto endpoint = store_.find(username);
    if (!endpoint)
        throw noSuchEndpoint(username);
    return view(std::move(*endpoint), snapshot());
}

std::string SipEndpointService::realmOrRefuse() const
{
    const std::lock_guard lock(mutex_);
    if (!settings_)
        throw HttpError(Status::HTTP_CONFLICT, "sip_disabled",
                        "SIP is off on this server: set sip.enabled = true in parley.ini and restart, then "
                        "create endpoints (a password is tied to the SIP realm)");
    return settings_->realm;
}

SipEndpointService::Created SipEndpointService::create(const std::string& username, const std::string& displayName,
                                                       const std::optional<std::string>& password,
                                                       const SipAdminActor& actor)
{
    if (!validUsername(username))
        throw invalid("'username' must be 1 to 64 of the letters A-Z and a-z, digits, '.', '_' and '-'");
    checkDisplayName(displayName);
    const auto realm = realmOrRefuse();
    const auto secret = passwordOrNew(password);
    const auto now = unixNow();
    storage::SipEndpoint endpoint{username, displayName, realm, sip::digestHa1(username, realm, secret),
                                  actor.name, now, now};
    if (!store_.create(endpoint))
        throw HttpError(Status::HTTP_CONFLICT, "endpoint_exists", "a SIP endpoint '" + username + "' exists already");
    audit_.append({actor.name, actor.address, "sip.endpoint_create", target(username), "success",
                   storage::AuditDetails()
                       .add("displayName", displayName)
                       .add("password", std::string(password ? "chosen" : "generated"))
                       .text()});
    return {view(std::move(endpoint), snapshot()), password ? std::nullopt : std::optional<std::string>(secret)};
}

SipEndpointView SipEndpointService::rename(const std::string& username, const std::string& displayName,
                                           const SipAdminActor& actor)
{
    checkDisplayName(displayName);
    const auto before = store_.find(username);
    if (!before || !store_.rename(username, displayName))
        throw noSuchEndpoint(username);
    audit_.append({actor.name, actor.address, "sip.endpoint_update", target(username), "success",
                   storage::AuditDetails().add("displayName", displayName).add("was", before->displayName).text()});
    return get(username);
}

SipEndpointService::Created SipEndpointService::setPassword(const std::string& username,
                                                            const std::optional<std::string>& password,
                                                            const SipAdminActor& actor)
{
    const auto realm = realmOrRefuse();
    const auto secret = passwordOrNew(password);
    if (!store_.setCredentials(username, realm, sip::digestHa1(username, realm, secret), unixNow()))
        throw noSuchEndpoint(username);
    {
        const std::lock_guard lock(mutex_);
        if (server_)
            server_->forget(username);
    }
    audit_.append({actor.name, actor.address, "sip.endpoint_password", target(username), "success",
                   storage::AuditDetails().add("password", std::string(password ? "chosen" : "generated")).text()});
    return {get(username), password ? std::nullopt : std::optional<std::string>(secret)};
}

void SipEndpointService::remove(const std::string& username, const SipAdminActor& actor)
{
    if (!store_.remove(username))
        throw noSuchEndpoint(username);
    {
        const std::lock_guard lock(mutex_);
        if (server_)
            server_->forget(username);
        if (gateway_)
            gateway_->hangUpEndpoint(username);
    }
    audit_.append({actor.name, actor.address, "sip.endpoint_delete", target(username), "success", "{}"});
}

std::optional<sip::EndpointCredentials> SipEndpointService::credentials(const std::string& username,
                                                                        const std::string& realm) const
{
    if (!validUsername(username))
        return std::nullopt;
    const auto endpoint = store_.find(username);
    if (!endpoint || endpoint->realm != realm)
        return std::nullopt;
    return sip::EndpointCredentials{endpoint->ha1, endpoint->displayName};
}

} // namespace parley::portal
