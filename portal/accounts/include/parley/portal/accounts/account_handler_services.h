#pragma once

#include <parley/portal/http/api_handler.h>

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class AccountService;
class DirectoryConfiguration;
class SessionManager;

/// What the account endpoints (sign-in, own password, users, directory settings) work with;
/// owned by the server.
struct AccountHandlerServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    AccountService& accounts;
    SessionManager& sessions;
    DirectoryConfiguration& directory;
};

/// Base of this part's handlers: services() reaches the AccountHandlerServices.
using AccountHandler = ServiceHandler<AccountHandlerServices>;

} // namespace parley::portal
