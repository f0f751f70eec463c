#include <parley/backup/archive_error.h>
#include <parley/backup/archive_header.h>

#include <charconv>
#include <fstream>
#include <map>

namespace parley::backup {
namespace {

constexpr std::string_view kMagic = "PARLEY BACKUP";

std::string hex(const unsigned char* data, std::size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 0xf]);
    }
    return out;
}

bool parseNumber(std::string_view text, std::uint64_t& value)
{
    if (text.empty() || text.size() > 12)
        return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

} // namespace

void ArchiveHeader::render()
{
    text = std::string(kMagic) + "\n" + "format " + std::to_string(format) + "\n" + "created " + created + "\n" +
           "key-id " + keyId + "\n" + "salt " + hex(salt.data(), salt.size()) + "\n" + "chunk-size " +
           std::to_string(chunkSize) + "\n" + "cipher AES-256-GCM\n\n";
}

ArchiveHeader parseArchiveHeader(std::string_view bytes, const std::string& name)
{
    const auto notAnArchive = [&name](const std::string& why) {
        return ArchiveError(ArchiveFailure::NotAnArchive, name + " is not a Parley backup: " + why);
    };
    if (!bytes.starts_with(std::string(kMagic) + "\n"))
        throw notAnArchive("it does not start with the line '" + std::string(kMagic) + "'");
    const auto end = bytes.substr(0, kMaxHeaderBytes).find("\n\n");
    if (end == std::string_view::npos)
        throw notAnArchive("its header has no end (a blank line) within " + std::to_string(kMaxHeaderBytes) +
                           " bytes");
    ArchiveHeader header;
    header.text = std::string(bytes.substr(0, end + 2));
    std::map<std::string, std::string, std::less<>> fields;
    std::string_view rest = std::string_view(header.text).substr(kMagic.size() + 1);
    while (!rest.empty() && rest != "\n") {
        const auto newline = rest.find('\n');
        const auto line = rest.substr(0, newline);
        rest.remove_prefix(newline + 1);
        const auto space = line.find(' ');
        if (space == std::string_view::npos || space == 0)
            throw notAnArchive("header line '" + std::string(line.substr(0, 40)) + "' is not 'name value'");
        fields.emplace(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
    const auto field = [&](const char* key) -> const std::string& {
        const auto found = fields.find(key);
        if (found == fields.end())
            throw notAnArchive(std::string("its header has no '") + key + "' line");
        return found->second;
    };
    std::uint64_t number = 0;
    if (!parseNumber(field("format"), number) || number == 0)
        throw notAnArchive("its format '" + field("format").substr(0, 20) + "' is not a number");
    if (number > static_cast<std::uint64_t>(kFormatVersion))
        throw ArchiveError(ArchiveFailure::NewerFormat,
                           name + " is a backup in format " + std::to_string(number) +
                               ", made by a newer Parley; this parleyctl reads format " +
                               std::to_string(kFormatVersion) + " and older. Use the Parley version that made it.");
    header.format = static_cast<int>(number);
    header.created = field("created");
    header.keyId = field("key-id");
    if (header.keyId.size() != 16 || header.keyId.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw notAnArchive("its key-id is not 16 hex digits");
    const auto& salt = field("salt");
    if (salt.size() != header.salt.size() * 2 || salt.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw notAnArchive("its salt is not 64 hex digits");
    for (std::size_t i = 0; i < header.salt.size(); ++i)
        header.salt[i] = static_cast<unsigned char>(std::stoi(salt.substr(2 * i, 2), nullptr, 16));
    if (!parseNumber(field("chunk-size"), number) || number < kMinChunkSize || number > kMaxChunkSize)
        throw notAnArchive("its chunk-size '" + field("chunk-size").substr(0, 20) + "' is not between " +
                           std::to_string(kMinChunkSize) + " and " + std::to_string(kMaxChunkSize));
    header.chunkSize = static_cast<std::uint32_t>(number);
    if (field("cipher") != "AES-256-GCM")
        throw notAnArchive("its cipher '" + field("cipher").substr(0, 40) + "' is not AES-256-GCM");
    return header;
}

ArchiveHeader readArchiveHeader(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ArchiveError(ArchiveFailure::Io, "cannot read " + file.string());
    std::string start(kMaxHeaderBytes, '\0');
    in.read(start.data(), static_cast<std::streamsize>(start.size()));
    start.resize(static_cast<std::size_t>(in.gcount()));
    return parseArchiveHeader(start, file.string());
}

} // namespace parley::backup
