#include <parley/backup/backup_status.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::backup {
namespace {

namespace fs = std::filesystem;

std::int64_t integer(const Poco::JSON::Object& object, const char* name, bool mayBeNegative = false)
{
    const auto value = object.get(name);
    if (!value.isInteger())
        throw std::runtime_error(std::string("field '") + name + "' is not a whole number");
    const auto number = value.convert<std::int64_t>();
    if (number < 0 && !mayBeNegative)
        throw std::runtime_error(std::string("field '") + name + "' is negative");
    return number;
}

std::optional<std::int64_t> optionalInteger(const Poco::JSON::Object& object, const char* name)
{
    if (!object.has(name) || object.isNull(name))
        return std::nullopt;
    return integer(object, name, true);
}

std::string text(const Poco::JSON::Object& object, const char* name)
{
    if (!object.has(name))
        return {};
    const auto value = object.get(name);
    if (!value.isString())
        throw std::runtime_error(std::string("field '") + name + "' is not text");
    return value.extract<std::string>();
}

BackupStatus parse(std::istream& in)
{
    const auto parsed = Poco::JSON::Parser().parse(in);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw std::runtime_error("it is not a JSON object");
    const auto& object = *parsed.extract<Poco::JSON::Object::Ptr>();
    BackupStatus status;
    status.lastAttemptTime = optionalInteger(object, "last_attempt_time");
    status.lastSuccessTime = optionalInteger(object, "last_success_time");
    status.lastFailureTime = optionalInteger(object, "last_failure_time");
    if (object.has("last_success_bytes"))
        status.lastSuccessBytes = static_cast<std::uint64_t>(integer(object, "last_success_bytes"));
    status.lastSuccessFile = text(object, "last_success_file");
    status.lastError = text(object, "last_error");
    for (auto [name, field] : {std::pair{"consecutive_failures", &status.consecutiveFailures},
                               std::pair{"successes_total", &status.successesTotal},
                               std::pair{"failures_total", &status.failuresTotal}})
        if (object.has(name))
            *field = integer(object, name);
    return status;
}

} // namespace

fs::path backupStatusFile(const fs::path& dataDir)
{
    return dataDir / "backup-status.json";
}

std::optional<BackupStatus> readBackupStatus(const fs::path& file)
{
    // Opened once, never through a link, never waiting on a pipe: root reads it in a
    // directory another account owns.
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT)
            return std::nullopt;
        throw std::runtime_error("the backup status " + file.string() + " cannot be read" +
                                 (error == ELOOP ? std::string(" (it is a link)") : ": " + std::string(std::strerror(error))));
    }
    std::string text;
    struct stat status{};
    bool regular = ::fstat(fd, &status) == 0 && S_ISREG(status.st_mode);
    // A status is a few hundred bytes; a megabyte is something else.
    constexpr off_t kLargest = 1024 * 1024;
    if (regular && status.st_size <= kLargest) {
        text.resize(static_cast<std::size_t>(status.st_size));
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += static_cast<std::size_t>(n);
        }
        text.resize(done);
    }
    ::close(fd);
    if (!regular)
        throw std::runtime_error("the backup status " + file.string() + " cannot be read (it is not a file)");
    if (status.st_size > kLargest)
        throw std::runtime_error("the backup status " + file.string() + " is not valid: larger than 1 MiB");
    std::istringstream in(text);
    try {
        return parse(in);
    }
    catch (const Poco::Exception& e) {
        throw std::runtime_error("the backup status " + file.string() + " is not valid: " + e.displayText());
    }
    catch (const std::runtime_error& e) {
        throw std::runtime_error("the backup status " + file.string() + " is not valid: " + e.what());
    }
}

BackupStatus withAttempt(BackupStatus status, std::int64_t unixTime, bool success, const std::string& error,
                         const fs::path& archive, std::uint64_t archiveBytes)
{
    status.lastAttemptTime = unixTime;
    if (success) {
        status.lastSuccessTime = unixTime;
        status.lastSuccessFile = archive.string();
        status.lastSuccessBytes = archiveBytes;
        status.lastError.clear();
        status.consecutiveFailures = 0;
        ++status.successesTotal;
    }
    else {
        status.lastFailureTime = unixTime;
        status.lastError = error;
        ++status.consecutiveFailures;
        ++status.failuresTotal;
    }
    return status;
}

void writeBackupStatus(const fs::path& file, const BackupStatus& status, std::optional<FileOwner> owner)
{
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto setTime = [&](const char* name, const std::optional<std::int64_t>& time) {
        if (time)
            object.set(name, *time);
    };
    setTime("last_attempt_time", status.lastAttemptTime);
    setTime("last_success_time", status.lastSuccessTime);
    if (status.lastSuccessTime) {
        object.set("last_success_file", status.lastSuccessFile);
        object.set("last_success_bytes", status.lastSuccessBytes);
    }
    setTime("last_failure_time", status.lastFailureTime);
    object.set("last_error", status.lastError);
    object.set("consecutive_failures", status.consecutiveFailures);
    object.set("successes_total", status.successesTotal);
    object.set("failures_total", status.failuresTotal);

    std::ostringstream text;
    object.stringify(text);
    text << "\n";
    const auto bytes = text.str();

    // mkstemp makes a new file (O_EXCL) of a name nobody could have prepared.
    std::string partial = (file.parent_path() / ".backup-status-XXXXXX").string();
    const int fd = ::mkstemp(partial.data());
    if (fd < 0)
        throw std::runtime_error("cannot write the backup status beside " + file.string() + ": " +
                                 std::strerror(errno));
    bool written = ::fchmod(fd, 0644) == 0 && (!owner || ::fchown(fd, owner->uid, owner->gid) == 0);
    for (std::size_t done = 0; written && done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        written = n > 0;
        done += written ? static_cast<std::size_t>(n) : 0;
    }
    written = written && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    // rename replaces whatever the name is (a link included) without following it.
    if (!written || ::rename(partial.c_str(), file.c_str()) != 0) {
        const std::string why = std::strerror(written ? errno : saved);
        ::unlink(partial.c_str());
        throw std::runtime_error("cannot write the backup status " + file.string() + ": " + why);
    }
}

} // namespace parley::backup
