#include <parley/backup/archive.h>
#include <parley/backup/archive_error.h>

#include "record_cipher.h"
#include "sha256_hasher.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <optional>
#include <set>

namespace parley::backup {
namespace {

constexpr std::uint32_t kMaxManifestBytes = 1u << 20;
constexpr std::size_t kMaxMembers = 10000;
constexpr std::uint64_t kMaxMemberBytes = 1ull << 50;

/// Splits the decrypted stream into the manifest and the members, checking each member's
/// size and SHA-256 against the manifest.
class ContentParser
{
public:
    ContentParser(const std::string& name, MemberSink* sink) : name_(name), sink_(sink) {}

    void feed(std::span<const unsigned char> bytes)
    {
        while (!bytes.empty()) {
            if (!manifestRead_) {
                const std::size_t want = (manifestLength_ ? 4 + *manifestLength_ : 4) - pending_.size();
                const std::size_t take = std::min(want, bytes.size());
                pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
                bytes = bytes.subspan(take);
                if (pending_.size() == 4 && !manifestLength_) {
                    manifestLength_ = (std::uint32_t{pending_[0]} << 24) | (std::uint32_t{pending_[1]} << 16) |
                                      (std::uint32_t{pending_[2]} << 8) | pending_[3];
                    if (*manifestLength_ == 0 || *manifestLength_ > kMaxManifestBytes)
                        throw damaged("its manifest claims " + std::to_string(*manifestLength_) + " bytes");
                }
                else if (manifestLength_ && pending_.size() == 4 + *manifestLength_)
                    parseManifest();
                continue;
            }
            if (current_ >= members_.size())
                throw damaged("it holds more data than its manifest lists");
            const auto& member = members_[current_];
            if (!begun_) {
                if (sink_)
                    sink_->begin(member);
                begun_ = true;
            }
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), member.size - done_));
            const auto part = bytes.first(take);
            hasher_.update(part);
            if (sink_)
                sink_->data(part);
            done_ += take;
            bytes = bytes.subspan(take);
            if (done_ == member.size)
                endMember();
        }
    }

    /// After the final record: everything the manifest lists must have arrived.
    void finish()
    {
        if (!manifestRead_)
            throw damaged("it ends inside its manifest");
        if (current_ < members_.size())
            throw damaged("it ends inside member '" + members_[current_].name + "'");
    }

    bool manifestRead() const { return manifestRead_; }
    std::uint64_t manifestEnd() const { return 4 + manifestLength_.value_or(0); }
    const std::vector<ManifestEntry>& members() const { return members_; }

private:
    ArchiveError damaged(const std::string& why) const
    {
        return ArchiveError(ArchiveFailure::Damaged, name_ + " is damaged: " + why);
    }

    void endMember()
    {
        const auto& member = members_[current_];
        if (hasher_.hexDigest() != member.sha256)
            throw damaged("member '" + member.name + "' does not match its SHA-256 in the manifest");
        if (sink_)
            sink_->end(member);
        ++current_;
        done_ = 0;
        begun_ = false;
        skipEmptyMembers();
    }

    /// Members of size zero hold no bytes that would begin or end them.
    void skipEmptyMembers()
    {
        if (current_ < members_.size() && members_[current_].size == 0) {
            if (sink_)
                sink_->begin(members_[current_]);
            begun_ = true;
            endMember(); // which comes back here for the next member
        }
    }

    void parseManifest()
    {
        try {
            const std::string text(pending_.begin() + 4, pending_.end());
            const auto object = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
            const auto list = object->getArray("members");
            if (!list || list->size() > kMaxMembers)
                throw damaged("its manifest has no member list, or too long a one");
            std::set<std::string> names;
            for (std::size_t i = 0; i < list->size(); ++i) {
                const auto item = list->getObject(static_cast<unsigned>(i));
                if (!item)
                    throw damaged("its manifest lists something that is not a member");
                ManifestEntry entry;
                entry.name = item->getValue<std::string>("name");
                entry.size = item->getValue<std::uint64_t>("size");
                entry.sha256 = item->getValue<std::string>("sha256");
                if (!isValidMemberName(entry.name) || !names.insert(entry.name).second || entry.size > kMaxMemberBytes ||
                    entry.sha256.size() != 64)
                    throw damaged("its manifest lists a member with an invalid name, size or hash");
                members_.push_back(entry);
            }
        }
        catch (const Poco::Exception& e) {
            throw damaged("its manifest cannot be read: " + e.displayText());
        }
        manifestRead_ = true;
        pending_.clear();
        skipEmptyMembers();
    }

    const std::string& name_;
    MemberSink* sink_;
    std::vector<unsigned char> pending_;
    std::optional<std::uint32_t> manifestLength_;
    bool manifestRead_ = false;
    std::vector<ManifestEntry> members_;
    std::size_t current_ = 0;
    std::uint64_t done_ = 0;
    bool begun_ = false;
    Sha256Hasher hasher_;
};

/// What a damaged record at plaintext offsets [from, to) held, for the message.
std::string heldIn(const ContentParser& parser, std::uint64_t from, std::uint64_t to)
{
    if (!parser.manifestRead() || from < parser.manifestEnd())
        return "the manifest (the list of members)";
    std::string held;
    std::uint64_t start = parser.manifestEnd();
    for (const auto& member : parser.members()) {
        const std::uint64_t end = start + member.size;
        if (member.size > 0 && start < to && end > from) {
            const auto first = std::max(start, from) - start;
            const auto last = std::min(end, to) - start - 1;
            held += (held.empty() ? "" : ", ") + std::string("member '") + member.name + "' (its bytes " +
                    std::to_string(first) + "-" + std::to_string(last) + ")";
        }
        start = end;
    }
    return held.empty() ? "data past the last member" : held;
}

} // namespace

bool isValidMemberName(const std::string& name)
{
    if (name.empty() || name.size() > 200 || name.front() == '/' || name.back() == '/')
        return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto slash = name.find('/', start);
        const auto part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == ".." ||
            part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                std::string::npos)
            return false;
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return true;
}

ArchiveContents readArchive(const std::filesystem::path& file, const BackupKey& key, MemberSink* sink)
{
    const std::string name = file.string();
    ArchiveContents contents;
    contents.header = readArchiveHeader(file);
    const auto& header = contents.header;
    if (header.keyId != key.id())
        throw ArchiveError(ArchiveFailure::WrongKey,
                           name + " was made with another backup key (key id " + header.keyId +
                               "; the key given has id " + key.id() + "); nothing was decrypted");
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(header.text.size()));
    if (!in)
        throw ArchiveError(ArchiveFailure::Io, "cannot read " + name);

    const RecordCipher cipher(key, header);
    ContentParser parser(name, sink);
    std::uint64_t offset = header.text.size();
    std::uint64_t plainFrom = 0;
    std::vector<unsigned char> sealed;
    std::vector<unsigned char> plain;
    for (std::uint64_t index = 0;; ++index) {
        std::uint64_t plainLength = header.chunkSize;
        const auto damagedAt = [&](std::uint64_t from, std::uint64_t to, const std::string& why) {
            return ArchiveError(ArchiveFailure::Damaged,
                                name + " is damaged at bytes " + std::to_string(from) + "-" + std::to_string(to) +
                                    " (record " + std::to_string(index) + ", holding " +
                                    heldIn(parser, plainFrom, plainFrom + std::max<std::uint64_t>(plainLength, 1)) + "): " + why);
        };
        unsigned char prefix[4];
        in.read(reinterpret_cast<char*>(prefix), sizeof prefix);
        if (in.gcount() == 0)
            throw damagedAt(offset, offset, "the archive ends here without its final record (cut short)");
        if (in.gcount() != sizeof prefix)
            throw damagedAt(offset, offset + static_cast<std::uint64_t>(in.gcount()),
                            "the archive ends inside a record's length (cut short)");
        const std::uint32_t word = (std::uint32_t{prefix[0]} << 24) | (std::uint32_t{prefix[1]} << 16) |
                                   (std::uint32_t{prefix[2]} << 8) | prefix[3];
        const bool final = (word & 0x80000000u) != 0;
        const std::uint32_t length = word & 0x7fffffffu;
        if (length > header.chunkSize || (!final && length == 0))
            throw damagedAt(offset, offset + 3,
                            "the record's length reads " + std::to_string(length) + " bytes where 1 to " +
                                std::to_string(header.chunkSize) + " belong");
        plainLength = length;
        sealed.resize(length + RecordCipher::kTagBytes);
        in.read(reinterpret_cast<char*>(sealed.data()), static_cast<std::streamsize>(sealed.size()));
        const auto got = static_cast<std::uint64_t>(in.gcount());
        const std::uint64_t recordEnd = offset + 4 + sealed.size() - 1;
        if (got != sealed.size())
            throw damagedAt(offset, offset + 4 + got,
                            "the archive ends inside this record (cut short; " + std::to_string(sealed.size() - got) +
                                " bytes missing)");
        if (!cipher.open(index, final, sealed, plain))
            throw damagedAt(offset, recordEnd,
                            "the record fails its authentication (a byte of it, or of the header, was changed)");
        parser.feed(plain);
        offset = recordEnd + 1;
        plainFrom += length;
        if (final) {
            parser.finish();
            char extra = 0;
            if (in.read(&extra, 1); in.gcount() != 0)
                throw ArchiveError(ArchiveFailure::Damaged,
                                   name + " is damaged: bytes follow its final record from byte " + std::to_string(offset));
            break;
        }
    }
    contents.members = parser.members();
    contents.archiveBytes = offset;
    return contents;
}

} // namespace parley::backup
