// How long a backup takes and how large it is, for a database of a given size (issue 18):
//
//   build/release/tests/bench/backup_bench [users] [audit-entries]     (default 10000 100000)
//
// Fills a fresh database through the product's own stores (users with PBKDF2 hashes of the
// real length, audit entries chained and signed by the audit log), then times each step of
// `parleyctl backup create` on it: the online copy (sqlite3_backup), the archive (SHA-256
// pass plus AES-256-GCM pass), a full verification, and the whole command as an admin runs
// it. Not a test: it prints figures for docs/operations.md.
#include <parley/backup/archive.h>
#include <parley/backup/backup_key.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>
#include <parley/storage/database_snapshot.h>
#include <parley/storage/key_file.h>
#include <parley/storage/user_store.h>

#include <Poco/Data/Session.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using namespace parley;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double mebibytes(std::uintmax_t bytes)
{
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace

int main(int argc, char** argv)
{
    const int users = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int entries = argc > 2 ? std::atoi(argv[2]) : 100000;
    std::string pattern = (fs::temp_directory_path() / "parley-backup-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        return 1;
    const fs::path dir = pattern;
    const fs::path dataDir = dir / "data";
    fs::create_directories(dataDir);
    fs::create_directories(dir / "backups");

    auto started = Clock::now();
    {
        storage::Database database({dataDir / "parley.db", std::chrono::milliseconds(5000), 4});
        storage::UserStore store(database);
        {
            // One transaction for the fill (the stores commit one by one, with an fsync each).
            auto session = database.session();
            session << "PRAGMA synchronous = OFF", Poco::Data::Keywords::now;
        }
        for (int i = 0; i < users; ++i) {
            storage::User user;
            user.username = "user" + std::to_string(i);
            user.displayName = "Display Name Number " + std::to_string(i);
            user.passwordHash = "pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA$" + std::string(43, 'h');
            store.create(user);
        }
        storage::AuditLog audit(database, storage::loadOrCreateKeyFile(dataDir / "audit.key"));
        for (int i = 0; i < entries; ++i)
            audit.append({"user" + std::to_string(i % users), "10.0." + std::to_string(i % 250) + ".7",
                          i % 3 ? "login.success" : "room.join", "room:" + std::to_string(i % 997), "success",
                          "{\"source\":\"local\",\"room\":" + std::to_string(i % 997) + "}"});
    }
    std::printf("fill: %d users, %d audit entries in %.1f s; database %.1f MiB\n", users, entries,
                secondsSince(started), mebibytes(fs::file_size(dataDir / "parley.db")));

    started = Clock::now();
    storage::snapshotDatabase(dataDir / "parley.db", dir / "copy.db", std::chrono::milliseconds(5000));
    const double copySeconds = secondsSince(started);

    backup::createBackupKeyFile(dir / "backup.key");
    const auto key = backup::readBackupKeyFile(dir / "backup.key");
    started = Clock::now();
    const auto contents = backup::writeArchive(dir / "bench.pbk", key,
                                               {{"parley.db", dir / "copy.db"}, {"audit.key", dataDir / "audit.key"}},
                                               std::chrono::system_clock::now());
    const double archiveSeconds = secondsSince(started);
    started = Clock::now();
    backup::readArchive(dir / "bench.pbk", key, nullptr);
    const double verifySeconds = secondsSince(started);

    std::printf("online copy (sqlite3_backup): %.2f s\n", copySeconds);
    std::printf("archive (hash + AES-256-GCM): %.2f s, %.1f MiB (%.1f MiB/s)\n", archiveSeconds,
                mebibytes(contents.archiveBytes), mebibytes(contents.archiveBytes) / archiveSeconds);
    std::printf("verify: %.2f s\n", verifySeconds);

    // The whole command, as an admin or the timer runs it.
    const std::string command = std::string(PARLEYCTL_PATH) + " --set server.data_dir=" + dataDir.string() +
                                " --set volume.container=" + (dir / "none.luks").string() + " backup create --to " +
                                (dir / "backups").string() + " --key-file " + (dir / "backup.key").string() +
                                " > /dev/null";
    started = Clock::now();
    const int status = std::system(command.c_str());
    const double commandSeconds = secondsSince(started);
    std::uintmax_t archiveBytes = 0;
    for (const auto& entry : fs::directory_iterator(dir / "backups"))
        archiveBytes = entry.file_size();
    std::printf("parleyctl backup create: %.2f s (exit %d), archive %.1f MiB\n", commandSeconds, status,
                mebibytes(archiveBytes));
    fs::remove_all(dir);
    return status == 0 ? 0 : 1;
}
