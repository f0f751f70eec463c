#include "backup_steps.h"
#include "private_files.h"

#include <parley/backup/archive.h>
#include <parley/backup/archive_error.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/data_directory_lock.h>
#include <parley/storage/database.h>
#include <parley/storage/key_file.h>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::parleyctl {
namespace {

namespace fs = std::filesystem;
using storage::DataDirectoryLock;

/// Where a member goes, relative to the data directory. The database, the audit key, the
/// export signing key and the TLS files are the server's state; the configuration and the LUKS header are put
/// aside in restored/, for the admin to put in place (they belong to /etc and the volume).
fs::path destinationOf(const std::string& member)
{
    if (member == "parley.db" || member == "audit.key" || member == "export-signing.key" || member.starts_with("tls/"))
        return member;
    if (member.starts_with("etc/"))
        return fs::path("restored") / member.substr(4);
    return fs::path("restored") / member;
}

/// Writes each member to its place under a staging directory.
class StagingSink : public backup::MemberSink
{
public:
    explicit StagingSink(const fs::path& root) : root_(root) {}
    ~StagingSink() override
    {
        if (fd_ >= 0)
            ::close(fd_);
    }

    void begin(const backup::ManifestEntry& member) override
    {
        const fs::path file = root_ / destinationOf(member.name);
        fs::create_directories(file.parent_path());
        fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd_ < 0)
            throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
        current_ = file;
    }

    void data(std::span<const unsigned char> bytes) override
    {
        while (!bytes.empty()) {
            const ssize_t done = ::write(fd_, bytes.data(), bytes.size());
            if (done < 0 && errno == EINTR)
                continue;
            if (done <= 0)
                throw std::runtime_error("cannot write " + current_.string() + ": " + std::strerror(errno));
            bytes = bytes.subspan(static_cast<std::size_t>(done));
        }
    }

    void end(const backup::ManifestEntry&) override
    {
        const bool synced = ::fsync(fd_) == 0;
        ::close(fd_);
        fd_ = -1;
        if (!synced)
            throw std::runtime_error("cannot write " + current_.string() + ": " + std::strerror(errno));
    }

private:
    fs::path root_;
    fs::path current_;
    int fd_ = -1;
};

int refuse(const std::string& why)
{
    std::cerr << "parleyctl: restore refused: " << why << "; nothing was changed" << std::endl;
    return 1;
}

std::string runningMessage(const fs::path& dataDir)
{
    return "parleyd is running on " + dataDir.string() + " (it holds " + DataDirectoryLock::fileIn(dataDir).string() +
           "); restore only onto a fresh installation whose server is stopped (systemctl stop parleyd)";
}

/// Hands what the restore made to the data directory's owner (parley when installed), or
/// the server could not open its own database.
void giveToOwner(const fs::path& dataDir, const std::vector<fs::path>& made)
{
    struct stat directory{};
    if (::geteuid() != 0 || ::stat(dataDir.c_str(), &directory) != 0 || directory.st_uid == 0)
        return;
    for (const auto& path : made)
        (void)::lchown(path.c_str(), directory.st_uid, directory.st_gid);
}

} // namespace

int restoreBackup(const fs::path& archive, const backup::BackupKey& key, const fs::path& requestedDir)
{
    const fs::path dataDir = fs::absolute(requestedDir).lexically_normal();
    if (fs::exists(dataDir) && !fs::is_directory(dataDir))
        return refuse(dataDir.string() + " is not a directory");
    std::optional<DataDirectoryLock> lock;
    if (fs::exists(DataDirectoryLock::fileIn(dataDir))) {
        lock = DataDirectoryLock::tryAcquire(dataDir, DataDirectoryLock::Mode::Exclusive);
        if (!lock)
            return refuse(runningMessage(dataDir));
    }
    if (fs::exists(dataDir / "parley.db") || fs::exists(dataDir / "parley.db-wal"))
        return refuse(dataDir.string() + " already holds a database (parley.db); restore only onto a fresh "
                                         "installation, or move the data directory aside first");

    // The whole archive is checked before anything is written: a damaged archive, another
    // key or a newer format changes nothing.
    backup::ArchiveContents contents;
    try {
        contents = backup::readArchive(archive, key, nullptr);
    }
    catch (const backup::ArchiveError& e) {
        return refuse(e.what());
    }
    for (const auto& member : contents.members)
        if (fs::exists(dataDir / destinationOf(member.name)))
            return refuse((dataDir / destinationOf(member.name)).string() + " already exists");

    std::vector<fs::path> made;
    if (!fs::exists(dataDir)) {
        fs::create_directories(dataDir);
        fs::permissions(dataDir, fs::perms::owner_all, fs::perm_options::replace);
    }
    if (!lock) {
        lock = DataDirectoryLock::tryAcquire(dataDir, DataDirectoryLock::Mode::Exclusive);
        if (!lock)
            return refuse(runningMessage(dataDir));
        made.push_back(DataDirectoryLock::fileIn(dataDir));
    }
    const PrivateStagingDirectory stagingDirectory(dataDir, "restore-staging");
    const fs::path& staging = stagingDirectory.path();
    {
        StagingSink sink(staging);
        backup::ArchiveContents written;
        try {
            written = backup::readArchive(archive, key, &sink);
        }
        catch (const backup::ArchiveError& e) {
            // Read once already; changed since (the share, the disk): nothing is in place yet.
            return refuse(e.what());
        }
        // Another archive put in its place between the two reads: what was checked is not
        // what was written, and nothing is in place yet.
        const auto same = [](const backup::ManifestEntry& a, const backup::ManifestEntry& b) {
            return a.name == b.name && a.sha256 == b.sha256;
        };
        if (!std::equal(contents.members.begin(), contents.members.end(), written.members.begin(),
                        written.members.end(), same))
            return refuse(archive.string() + " changed while it was being restored");
    }
    // The files go into directories the server's account may have made: none may be a link.
    for (const auto& member : contents.members) {
        const auto parent = (dataDir / destinationOf(member.name)).parent_path();
        const auto type = fs::symlink_status(parent).type();
        if (type != fs::file_type::not_found && type != fs::file_type::directory)
            return refuse(parent.string() + " is a link or not a directory");
    }
    for (const auto& member : contents.members) {
        const fs::path destination = dataDir / destinationOf(member.name);
        const auto parent = destination.parent_path();
        if (!fs::exists(fs::symlink_status(parent))) {
            fs::create_directories(parent);
            made.push_back(parent);
        }
        fs::rename(staging / destinationOf(member.name), destination);
        made.push_back(destination);
    }
    // On record in the restored audit log, chained and signed with the restored key: who
    // restored which archive, made when.
    try {
        storage::Database database({dataDir / "parley.db", std::chrono::milliseconds(5000), 2});
        storage::AuditLog audit(database, storage::loadKeyFile(dataDir / "audit.key"));
        Poco::JSON::Object details;
        details.set("archive", archive.filename().string());
        details.set("made", contents.header.created);
        details.set("keyId", contents.header.keyId);
        std::ostringstream text;
        details.stringify(text);
        const passwd* user = ::getpwuid(::getuid());
        audit.append({std::string("parleyctl:") + (user ? user->pw_name : std::to_string(::getuid())), "local",
                      "backup.restore", "backup:" + archive.filename().string(), "success", text.str()});
    }
    catch (const std::exception& e) {
        std::cerr << "parleyctl: the restore could not be recorded in the restored audit log: " << e.what()
                  << std::endl;
    }
    for (const char* suffix : {"-wal", "-shm"})
        made.push_back(dataDir / (std::string("parley.db") + suffix));
    giveToOwner(dataDir, made);
    std::cout << "restored " << archive.string() << " (made " << contents.header.created << ") into "
              << dataDir.string() << ":\n";
    for (const auto& member : contents.members)
        std::cout << "  " << member.name << " -> " << (dataDir / destinationOf(member.name)).string() << "\n";
    std::cout << "Start parleyd with server.data_dir=" << dataDir.string()
              << ". The configuration and the volume header (if any) are in " << (dataDir / "restored").string()
              << ": put the configuration in place yourself, and restore the header only onto the volume it "
                 "came from (parleyctl volume restore-header FILE)."
              << std::endl;
    return 0;
}

} // namespace parley::parleyctl
