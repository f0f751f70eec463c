#pragma once

#include <parley/portal/accounts/account_handler_services.h>

namespace parley::portal {

/// `/api/v1/admin/ldap` (admins): GET the directory settings in force (never the bind
/// password), PUT changes to them (saved, effective at once, audited as config.change),
/// DELETE the saved settings to go back to the INI file's [ldap] section.
class LdapSettingsHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

/// `POST /api/v1/admin/ldap/test` (admins) `{"settings": {...}?, "testUser"?, "testPassword"?}`:
/// tries the settings in force with the given changes applied (nothing is saved) and reports
/// each step: connect, tls, service_bind, search, and with a test user user_bind and groups.
class LdapTestHandler : public AccountHandler
{
public:
    using AccountHandler::AccountHandler;

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
};

} // namespace parley::portal
