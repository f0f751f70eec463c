#include "offline_context.h"

#include <parley/storage/key_file.h>

#include <pwd.h>
#include <sys/stat.h>
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
    // Run as root (volume commands must be) on a data directory that belongs to the server's
    // account: files SQLite or the key file just created are handed to that account, or the
    // server could no longer open its own database.
    struct stat directory{};
    if (::geteuid() == 0 && ::stat(settings.dataDir.c_str(), &directory) == 0 && directory.st_uid != 0) {
        for (const auto& file : {settings.databaseFile, std::filesystem::path(settings.databaseFile.string() + "-wal"),
                                 std::filesystem::path(settings.databaseFile.string() + "-shm"),
                                 settings.dataDir / "audit.key"}) {
            struct stat status{};
            if (::lstat(file.c_str(), &status) == 0 && S_ISREG(status.st_mode) && status.st_uid == 0)
                (void)::lchown(file.c_str(), directory.st_uid, directory.st_gid);
        }
    }
    const passwd* user = ::getpwuid(::getuid());
    context.actor = {std::string("parleyctl:") + (user ? user->pw_name : std::to_string(::getuid())),
                     "local"};
    return context;
}

} // namespace parley::parleyctl
