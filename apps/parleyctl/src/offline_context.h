#pragma once

#include <parley/parleyd/settings.h>
#include <parley/portal/accounts/account_service.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>

#include <memory>

namespace parley::parleyctl {

/// What a command needs to work on the database directly (the server may be running: SQLite
/// in WAL mode with a busy timeout lets both write safely).
struct OfflineContext
{
    parleyd::Settings settings;
    std::unique_ptr<storage::Database> database;
    std::unique_ptr<storage::AuditLog> audit;
    std::unique_ptr<portal::AccountService> accounts;
    portal::Actor actor; ///< "parleyctl:<unix user>" from "local"

    /// Opens the database named by the configuration (creating the data directory if needed).
    static OfflineContext open(const parleyd::Settings& settings);
};

} // namespace parley::parleyctl
