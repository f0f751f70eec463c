#include <parley/storage/database.h>
#include <parley/storage/database_snapshot.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

using namespace Poco::Data::Keywords;

namespace parley::storage {

void snapshotDatabase(const std::filesystem::path& source, const std::filesystem::path& target,
                      std::chrono::milliseconds busyTimeout)
{
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
    if (!std::filesystem::is_regular_file(source))
        throw DatabaseError("database " + source.string() + " does not exist");
    // Create the target ourselves, exclusively and private, before SQLite opens it: the copy
    // holds every password hash and session of the server.
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw DatabaseError("cannot create the database copy " + target.string() + ": " +
                            std::string(std::strerror(errno)));
    ::close(fd);
    struct RemoveUnlessKept
    {
        const std::filesystem::path& file;
        bool keep = false;
        ~RemoveUnlessKept()
        {
            if (!keep) {
                std::error_code ignored;
                std::filesystem::remove(file, ignored);
                std::filesystem::remove(file.string() + "-journal", ignored);
            }
        }
    } cleanup{target};
    try {
        Poco::Data::Session from("SQLite", source.string());
        from << "PRAGMA busy_timeout = " + std::to_string(busyTimeout.count()), now;
        Poco::Data::Session to("SQLite", target.string());
        sqlite3* fromHandle = Poco::Data::SQLite::Utility::dbHandle(from);
        sqlite3* toHandle = Poco::Data::SQLite::Utility::dbHandle(to);
        sqlite3_backup* backup = sqlite3_backup_init(toHandle, "main", fromHandle, "main");
        if (!backup)
            throw DatabaseError("cannot start copying " + source.string() + ": " + sqlite3_errmsg(toHandle));
        // All pages in one step: a single read transaction, hence one consistent state. In
        // steps, a write by parleyd between them would restart the copy from the beginning.
        int rc = SQLITE_OK;
        const auto deadline = std::chrono::steady_clock::now() + busyTimeout;
        do {
            rc = sqlite3_backup_step(backup, -1);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
                sqlite3_sleep(50);
        } while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline);
        const int finished = sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE)
            throw DatabaseError("copying " + source.string() + " failed: " + sqlite3_errstr(rc));
        if (finished != SQLITE_OK)
            throw DatabaseError("copying " + source.string() + " failed: " + sqlite3_errmsg(toHandle));
        // The copy carries the source's WAL flag in its header; a single file is what a
        // backup needs (the server sets WAL again when it opens a restored copy).
        std::string mode;
        to << "PRAGMA journal_mode = DELETE", into(mode), now;
        std::string check;
        to << "PRAGMA quick_check", into(check), now;
        if (check != "ok")
            throw DatabaseError("the copy of " + source.string() + " fails SQLite's check: " + check);
    }
    catch (const Poco::Exception& e) {
        throw DatabaseError("cannot copy database " + source.string() + ": " + e.displayText());
    }
    cleanup.keep = true;
}

} // namespace parley::storage
