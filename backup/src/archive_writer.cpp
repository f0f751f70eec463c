#include <parley/backup/archive.h>
#include <parley/backup/archive_error.h>

#include "record_cipher.h"
#include "sha256_hasher.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

namespace parley::backup {
namespace {

std::string isoTime(std::chrono::system_clock::time_point time)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

/// Cuts the plaintext stream into records of at most chunkSize bytes. A record never spans
/// the manifest and a member, or two members (endUnit closes one), so a damaged record names
/// exactly one member. Each record is sealed only once the next one begins, so the last can
/// be marked final.
class RecordWriter
{
public:
    RecordWriter(int fd, const std::filesystem::path& file, const RecordCipher& cipher, std::uint32_t chunkSize)
        : fd_(fd), file_(file), cipher_(cipher), chunkSize_(chunkSize)
    {
        buffer_.reserve(chunkSize);
    }

    void write(std::span<const unsigned char> bytes)
    {
        while (!bytes.empty()) {
            if (buffer_.size() == chunkSize_)
                endUnit();
            const std::size_t take = std::min<std::size_t>(bytes.size(), chunkSize_ - buffer_.size());
            buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
            bytes = bytes.subspan(take);
        }
    }

    /// Ends the current record (at the end of the manifest or of a member).
    void endUnit()
    {
        if (buffer_.empty())
            return;
        if (!ready_.empty())
            seal(ready_, false);
        ready_.swap(buffer_);
        buffer_.clear();
    }

    void finish()
    {
        endUnit();
        seal(ready_, true);
    }
    std::uint64_t bytesWritten() const { return written_; }

    void raw(const void* data, std::size_t size)
    {
        const auto* bytes = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t done = ::write(fd_, bytes, size);
            if (done < 0 && errno == EINTR)
                continue;
            if (done <= 0)
                throw ArchiveError(ArchiveFailure::Io, "cannot write " + file_.string() + ": " + std::strerror(errno));
            bytes += done;
            size -= static_cast<std::size_t>(done);
            written_ += static_cast<std::uint64_t>(done);
        }
    }

private:
    void seal(const std::vector<unsigned char>& plain, bool final)
    {
        const auto sealed = cipher_.seal(index_++, final, plain);
        const std::uint32_t length = static_cast<std::uint32_t>(plain.size()) | (final ? 0x80000000u : 0);
        const unsigned char prefix[4] = {static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
                                         static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
        raw(prefix, sizeof prefix);
        raw(sealed.data(), sealed.size());
    }

    int fd_;
    const std::filesystem::path& file_;
    const RecordCipher& cipher_;
    std::uint32_t chunkSize_;
    std::vector<unsigned char> buffer_;
    std::vector<unsigned char> ready_;
    std::uint64_t index_ = 0;
    std::uint64_t written_ = 0;
};

/// Reads `source` in blocks, giving each to `use`; returns the bytes read.
template <typename Use>
std::uint64_t readInBlocks(const std::filesystem::path& source, Use use)
{
    std::ifstream in(source, std::ios::binary);
    if (!in)
        throw ArchiveError(ArchiveFailure::Io, "cannot read " + source.string() + " for the backup");
    std::vector<unsigned char> block(256 * 1024);
    std::uint64_t total = 0;
    while (in) {
        in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(block.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0)
            break;
        use(std::span<const unsigned char>(block.data(), got));
        total += got;
    }
    if (in.bad())
        throw ArchiveError(ArchiveFailure::Io, "reading " + source.string() + " for the backup failed");
    return total;
}

} // namespace

ArchiveContents writeArchive(const std::filesystem::path& target, const BackupKey& key,
                             const std::vector<ArchiveMember>& members, std::chrono::system_clock::time_point created,
                             std::uint32_t chunkSize)
{
    if (chunkSize < kMinChunkSize || chunkSize > kMaxChunkSize)
        throw std::invalid_argument("chunk size out of range");
    ArchiveContents contents;
    std::set<std::string> names;
    for (const auto& member : members) {
        if (!isValidMemberName(member.name) || !names.insert(member.name).second)
            throw std::invalid_argument("member name '" + member.name + "' is invalid or repeated");
        // First pass: size and hash for the manifest, which comes before the data.
        Sha256Hasher hasher;
        ManifestEntry entry{member.name, 0, {}};
        entry.size = readInBlocks(member.source, [&](auto bytes) { hasher.update(bytes); });
        entry.sha256 = hasher.hexDigest();
        contents.members.push_back(entry);
    }
    Poco::JSON::Object manifest;
    manifest.set("format", kFormatVersion);
    Poco::JSON::Array list;
    for (const auto& entry : contents.members) {
        Poco::JSON::Object item;
        item.set("name", entry.name);
        item.set("size", entry.size);
        item.set("sha256", entry.sha256);
        list.add(item);
    }
    manifest.set("members", list);
    std::ostringstream manifestText;
    manifest.stringify(manifestText);
    const std::string manifestBytes = manifestText.str();

    auto& header = contents.header;
    header.created = isoTime(created);
    header.keyId = key.id();
    header.chunkSize = chunkSize;
    if (RAND_bytes(header.salt.data(), static_cast<int>(header.salt.size())) != 1)
        throw std::runtime_error("the random generator failed");
    header.render();
    const RecordCipher cipher(key, header);

    const auto partial = std::filesystem::path(target.string() + ".partial");
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw ArchiveError(ArchiveFailure::Io, "cannot create " + partial.string() + ": " + std::strerror(errno));
    struct Cleanup
    {
        int fd;
        const std::filesystem::path& partial;
        bool done = false;
        ~Cleanup()
        {
            if (fd >= 0)
                ::close(fd);
            if (!done)
                ::unlink(partial.c_str());
        }
    } cleanup{fd, partial};

    RecordWriter records(fd, partial, cipher, chunkSize);
    records.raw(header.text.data(), header.text.size());
    const auto length = static_cast<std::uint32_t>(manifestBytes.size());
    const unsigned char prefix[4] = {static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
                                     static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
    records.write(prefix);
    records.write({reinterpret_cast<const unsigned char*>(manifestBytes.data()), manifestBytes.size()});
    records.endUnit();
    for (std::size_t i = 0; i < members.size(); ++i) {
        Sha256Hasher hasher;
        const auto size = readInBlocks(members[i].source, [&](auto bytes) {
            hasher.update(bytes);
            records.write(bytes);
        });
        if (size != contents.members[i].size || hasher.hexDigest() != contents.members[i].sha256)
            throw ArchiveError(ArchiveFailure::Io, members[i].source.string() + " changed while the backup was written");
        records.endUnit();
    }
    records.finish();
    if (::fsync(fd) != 0)
        throw ArchiveError(ArchiveFailure::Io, "cannot write " + partial.string() + ": " + std::strerror(errno));
    std::error_code error;
    std::filesystem::rename(partial, target, error);
    if (error)
        throw ArchiveError(ArchiveFailure::Io, "cannot rename " + partial.string() + " to " + target.string() + ": " +
                                                   error.message());
    cleanup.done = true;
    contents.archiveBytes = records.bytesWritten();
    return contents;
}

} // namespace parley::backup
