#include "backup_steps.h"
#include "private_files.h"

#include <parley/backup/archive.h>
#include <parley/backup/backup_directory.h>
#include <parley/backup/backup_status.h>
#include <parley/backup/retention.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>
#include <parley/storage/database_snapshot.h>
#include <parley/storage/key_file.h>
#include <parley/volume/luks_container.h>

#include <Poco/JSON/Object.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::parleyctl {
namespace {

namespace fs = std::filesystem;

/// `<data_dir>/backup-status.json`: the outcome of the last attempts, for monitoring (the
/// server's account can read it; docs/operations.md lists the fields). A status that cannot
/// be read is started afresh, and one that cannot be written is only reported: the exit
/// status and the journal already say how the backup went.
void recordOutcome(const parleyd::Settings& settings, std::chrono::system_clock::time_point when, bool success,
                   const std::string& detail, const fs::path& file, std::uint64_t bytes)
{
    const fs::path statusFile = backup::backupStatusFile(settings.dataDir);
    std::optional<backup::BackupStatus> previous;
    try {
        previous = backup::readBackupStatus(statusFile);
    }
    catch (const std::runtime_error& e) {
        std::cerr << "parleyctl: " << e.what() << "; starting it afresh\n";
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
    // Run by root, the file goes to the data directory's owner, so the server can read it.
    std::optional<backup::FileOwner> owner;
    struct stat directory{};
    if (::geteuid() == 0 && ::stat(settings.dataDir.c_str(), &directory) == 0 && directory.st_uid != 0)
        owner = backup::FileOwner{directory.st_uid, directory.st_gid};
    try {
        backup::writeBackupStatus(statusFile,
                                  backup::withAttempt(previous.value_or(backup::BackupStatus{}), seconds, success,
                                                      detail, file, bytes),
                                  owner);
    }
    catch (const std::runtime_error& e) {
        std::cerr << "parleyctl: " << e.what() << "\n";
    }
}

/// Run as root on a stopped server's database, SQLite creates its -wal and -shm files as
/// root; the server's account could not open them at its next start. They go back to the
/// database's owner, as OfflineContext does for the other commands.
void handBackJournalFiles(const fs::path& database)
{
    struct stat owner{};
    if (::geteuid() != 0 || ::stat(database.c_str(), &owner) != 0 || owner.st_uid == 0)
        return;
    for (const char* suffix : {"-wal", "-shm"}) {
        const fs::path file = database.string() + suffix;
        struct stat status{};
        if (::lstat(file.c_str(), &status) == 0 && S_ISREG(status.st_mode) && status.st_uid == 0)
            (void)::lchown(file.c_str(), owner.st_uid, owner.st_gid);
    }
}

/// Copies what goes into the archive into `staging` (the database with SQLite's online
/// backup, the rest as files, the LUKS header with libcryptsetup) and returns the members.
/// Throws when something that must be there is not.
std::vector<backup::ArchiveMember> stageMembers(const parleyd::Settings& settings,
                                                const std::optional<fs::path>& configFile, const fs::path& staging)
{
    std::vector<backup::ArchiveMember> members;
    // The configuration and configured certificate are root's files (under /etc, often links
    // to a certificate tool's): copied as named.
    const auto stage = [&](const std::string& name, const fs::path& source) {
        const fs::path copy = staging / name;
        fs::create_directories(copy.parent_path());
        fs::copy_file(source, copy);
        members.push_back({name, copy});
    };
    // The data directory's files belong to the server's account: no link there is followed.
    const auto dataDir = openDirectory(settings.dataDir);
    const auto stageOwn = [&](const std::string& name) {
        const fs::path copy = staging / name;
        fs::create_directories(copy.parent_path());
        copyPrivateFile(dataDir, name, copy, (settings.dataDir / name).string());
        members.push_back({name, copy});
    };
    if (fs::symlink_status(settings.databaseFile).type() != fs::file_type::regular)
        throw std::runtime_error("the database " + settings.databaseFile.string() + " is missing or not a regular file");
    storage::snapshotDatabase(settings.databaseFile, staging / "parley.db", settings.databaseBusyTimeout);
    handBackJournalFiles(settings.databaseFile);
    members.push_back({"parley.db", staging / "parley.db"});
    const fs::path auditKey = settings.dataDir / "audit.key";
    if (fs::symlink_status(auditKey).type() == fs::file_type::not_found)
        throw std::runtime_error("the audit key " + auditKey.string() +
                                 " is missing; without it the restored audit log cannot be verified");
    stageOwn("audit.key");
    // The key recording exports are signed with: a restored server signs as before.
    if (fs::symlink_status(settings.dataDir / "export-signing.key").type() != fs::file_type::not_found)
        stageOwn("export-signing.key");
    for (const auto& name : privateFilesIn(dataDir, "tls"))
        if (backup::isValidMemberName(name))
            stageOwn("tls/" + name);
    if (configFile && fs::is_regular_file(*configFile))
        stage("etc/parley.ini", *configFile);
    if (!settings.generateCertificate) {
        stage("etc/tls-certificate.pem", settings.https.certificateFile);
        stage("etc/tls-private-key.pem", settings.https.privateKeyFile);
    }
    if (fs::exists(settings.volume.container)) {
        volume::LuksContainer::open(settings.volume.container).backupHeader(staging / "luks-header.img");
        members.push_back({"luks-header.img", staging / "luks-header.img"});
    }
    return members;
}

/// Where the plain copies are made. In the data directory when it is ours: they get exactly
/// the protection the originals have, and never touch the backup share. Run by root on a
/// data directory another account owns, in a directory of root's own under /var/tmp (private
/// to the unit under systemd): SQLite reopens its copy by name, and that account could
/// rename the staging directory and put a link in its place.
fs::path stagingParent(const fs::path& dataDir)
{
    struct stat status{};
    if (::geteuid() == 0 && ::stat(dataDir.c_str(), &status) == 0 && status.st_uid != 0)
        return "/var/tmp";
    return dataDir;
}

/// Records the attempt in the server's audit log as `backup.create` (target
/// `backup:<file name>`, actor `parleyctl:<unix user>`): a copy of all data leaving the server
/// is on record. Done after the copy, so the entry is in the next backup, not this one. A
/// failure to record it is reported, not fatal: the archive exists either way.
void auditBackup(const parleyd::Settings& settings, const fs::path& target, bool success,
                 const Poco::JSON::Object& details)
{
    try {
        // Not through a link the server's account could put there (root opens them by name).
        if (fs::symlink_status(settings.databaseFile).type() != fs::file_type::regular ||
            fs::symlink_status(settings.dataDir / "audit.key").type() != fs::file_type::regular)
            return; // nothing to record into (the failure message says why)
        storage::Database database({settings.databaseFile, settings.databaseBusyTimeout, 2});
        storage::AuditLog audit(database, storage::loadKeyFile(settings.dataDir / "audit.key"));
        const passwd* user = ::getpwuid(::getuid());
        std::ostringstream text;
        details.stringify(text);
        audit.append({std::string("parleyctl:") + (user ? user->pw_name : std::to_string(::getuid())), "local",
                      "backup.create", "backup:" + target.filename().string(), success ? "success" : "failure",
                      text.str()});
    }
    catch (const std::exception& e) {
        std::cerr << "parleyctl: the backup could not be recorded in the audit log: " << e.what() << std::endl;
    }
    handBackJournalFiles(settings.databaseFile);
}

/// Prefixes a line for the journal's priority when systemd runs us (stderr is the journal).
std::string errorPriority()
{
    return std::getenv("JOURNAL_STREAM") ? "<3>" : "";
}

} // namespace

int createBackup(const parleyd::Settings& settings, const std::optional<fs::path>& configFile,
                 const fs::path& keyFile, const fs::path& directory, bool prune)
{
    const auto now = std::chrono::system_clock::now();
    fs::path target;
    try {
        const auto key = backup::readBackupKeyFile(keyFile);
        if (!fs::is_directory(directory))
            throw std::runtime_error("backup directory " + directory.string() +
                                     " does not exist (is the share mounted?)");
        target = directory / backup::backupFileName(now);
        if (fs::exists(target))
            throw std::runtime_error(target.string() + " already exists (two backups in the same second)");
        if (!fs::is_directory(settings.dataDir))
            throw std::runtime_error("data directory " + settings.dataDir.string() + " does not exist");
        PrivateStagingDirectory staging(stagingParent(settings.dataDir), "backup-staging");
        const auto members = stageMembers(settings, configFile, staging.path());
        const auto contents = backup::writeArchive(target, key, members, now);
        std::cout << "backup written: " << target.string() << " (" << contents.archiveBytes << " bytes, format "
                  << contents.header.format << ", key id " << contents.header.keyId << ")\n";
        for (const auto& member : contents.members)
            std::cout << "  " << member.name << "  " << member.size << " bytes  sha256 " << member.sha256 << "\n";
        recordOutcome(settings, now, true, {}, target, contents.archiveBytes);
        Poco::JSON::Object details;
        details.set("directory", directory.string());
        details.set("bytes", contents.archiveBytes);
        details.set("keyId", contents.header.keyId);
        details.set("members", static_cast<int>(contents.members.size()));
        auditBackup(settings, target, true, details);
    }
    catch (const std::exception& e) {
        const std::string message = std::string("backup failed: ") + e.what();
        recordOutcome(settings, now, false, message, target, 0);
        Poco::JSON::Object details;
        details.set("directory", directory.string());
        details.set("message", std::string(e.what()));
        auditBackup(settings, target.empty() ? directory / "(none)" : target, false, details);
        std::cerr << errorPriority() << "parleyctl: " << message << std::endl;
        return kExitBackupFailed;
    }
    if (!prune)
        return 0;
    try {
        const auto remove = backup::backupsToRemove(backup::listBackups(directory), now,
                                                    {settings.backupKeepHourly, settings.backupKeepDaily});
        for (const auto& old : remove) {
            fs::remove(old.path);
            std::cout << "removed (retention): " << old.path.string() << "\n";
        }
    }
    catch (const std::exception& e) {
        const std::string message = std::string("the backup was written, but old backups could not be removed: ") +
                                    e.what();
        // A failure for monitoring too (the unit fails): the share fills up otherwise.
        recordOutcome(settings, now, false, message, target, 0);
        std::cerr << errorPriority() << "parleyctl: " << message << std::endl;
        return kExitBackupFailed;
    }
    return 0;
}

} // namespace parley::parleyctl
