#pragma once

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

class AccountService;
class DirectoryHolder;
class SessionManager;

/// The services request handlers call; owned by HttpsServer.
struct PortalServices
{
    storage::Database& database;
    storage::AuditLog& audit;
    AccountService& accounts;
    SessionManager& sessions;
    DirectoryHolder& directory;
};

} // namespace parley::portal
