#include "offline_context.h"

#include <parley/storage/key_file.h>

#include <pwd.h>
#include <unistd.h>

namespace parley::parleyctl {

OfflineContext OfflineContext::open(const parleyd::Settings& settings)
{
    OfflineContext context;
    context.settings = settings;
    std::filesystem::create_directories(settings.dataDir);
    std::filesystem::permissions(settings.dataDir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    context.database = std::make_unique<storage::Database>(
        storage::Database::Options{settings.databaseFile, settings.databaseBusyTimeout, 4});
    context.audit = std::make_unique<storage::AuditLog>(
        *context.database, storage::loadOrCreateKeyFile(settings.dataDir / "audit.key"));
    context.accounts = std::make_unique<portal::AccountService>(*context.database, *context.audit,
                                                                settings.accounts);
    const passwd* user = ::getpwuid(::getuid());
    context.actor = {std::string("parleyctl:") + (user ? user->pw_name : std::to_string(::getuid())),
                     "local"};
    return context;
}

} // namespace parley::parleyctl
