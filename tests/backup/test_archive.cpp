// The backup archive format against real files: round trip, damage named by member and byte
// range, another key, a newer format, and hostile archives (cut short, bad headers, huge
// lengths, records reordered or taken from another archive) that must give a clear error.
#include "temp_dir.h"

#include <parley/backup/archive.h>
#include <parley/backup/archive_error.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <random>

using namespace parley::backup;
using parley::test::readFile;
using parley::test::TempDir;
using parley::test::writeFile;
using Catch::Contains;

namespace {

constexpr std::uint32_t kSmallChunk = 4096;
const auto kCreated = std::chrono::system_clock::from_time_t(1796155200); // 2026-12-01T20:00:00Z

BackupKey keyOf(unsigned char fill)
{
    std::array<unsigned char, BackupKey::kBytes> bytes{};
    bytes.fill(fill);
    return BackupKey(bytes);
}

std::string randomBytes(std::size_t size, unsigned seed)
{
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
        byte = static_cast<char>(generator());
    return bytes;
}

/// Collects what readArchive hands over.
struct CollectingSink : MemberSink
{
    std::map<std::string, std::string> files;
    std::string current;
    void begin(const ManifestEntry& member) override { current = member.name;
        files[current].clear(); }
    void data(std::span<const unsigned char> bytes) override
    {
        files[current].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    void end(const ManifestEntry&) override {}
};

/// An archive of three members: a database-sized one over several records, an empty one and
/// a small one, written with 4 KiB records.
struct SampleArchive
{
    TempDir dir;
    std::filesystem::path file = dir / "sample.pbk";
    std::string database = randomBytes(3 * kSmallChunk + 123, 1);
    std::string key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
    ArchiveContents contents;

    SampleArchive()
    {
        writeFile(dir / "db", database);
        writeFile(dir / "empty", "");
        writeFile(dir / "key", key);
        contents = writeArchive(file, keyOf(7),
                                {{"parley.db", dir / "db"}, {"restored/empty", dir / "empty"}, {"audit.key", dir / "key"}},
                                kCreated, kSmallChunk);
    }

    /// A copy with `edit` applied to its bytes.
    std::filesystem::path copy(const std::string& name, const std::function<void(std::string&)>& edit)
    {
        auto bytes = readFile(file);
        edit(bytes);
        const auto path = dir / name;
        writeFile(path, bytes);
        return path;
    }
};

std::string failureOf(const std::filesystem::path& file, const BackupKey& key, ArchiveFailure* failure = nullptr)
{
    try {
        readArchive(file, key, nullptr);
    }
    catch (const ArchiveError& e) {
        if (failure)
            *failure = e.failure();
        return e.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("An archive gives back every member byte for byte, with the manifest's sizes and hashes")
{
    SampleArchive sample;
    CHECK(readFile(sample.file).starts_with("PARLEY BACKUP\nformat 1\ncreated 2026-12-01T20:00:00Z\n"));
    CollectingSink sink;
    const auto contents = readArchive(sample.file, keyOf(7), &sink);
    REQUIRE(contents.members.size() == 3);
    CHECK(contents.members[0].name == "parley.db");
    CHECK(contents.members[0].size == sample.database.size());
    CHECK(sink.files["parley.db"] == sample.database);
    CHECK(sink.files.contains("restored/empty"));
    CHECK(sink.files["restored/empty"].empty());
    CHECK(sink.files["audit.key"] == sample.key);
    CHECK(contents.header.format == kFormatVersion);
    CHECK(contents.archiveBytes == std::filesystem::file_size(sample.file));
    // Encrypted: neither the database's bytes nor the key appear in the archive.
    CHECK(readFile(sample.file).find(sample.database.substr(1000, 64)) == std::string::npos);
    CHECK(readFile(sample.file).find(sample.key.substr(0, 32)) == std::string::npos);
}

TEST_CASE("One changed byte anywhere is found, and the message names the member and the byte range")
{
    SampleArchive sample;
    const auto size = readFile(sample.file).size();
    const auto headerSize = sample.contents.header.text.size();
    // A byte inside the second record of the database (past the manifest's record).
    const auto inDatabase = sample.copy("db.pbk", [&](std::string& bytes) { bytes[headerSize + 600 + kSmallChunk] ^= 1; });
    const auto message = failureOf(inDatabase, keyOf(7));
    CHECK_THAT(message, Contains("is damaged at bytes") && Contains("member 'parley.db' (its bytes 4096-8191)") &&
                            Contains("fails its authentication"));
    const auto inKey = sample.copy("key.pbk", [&](std::string& bytes) { bytes[size - 20] ^= 0x80; });
    CHECK_THAT(failureOf(inKey, keyOf(7)), Contains("member 'audit.key'"));
    const auto inHeader = sample.copy("header.pbk", [](std::string& bytes) { bytes[34] = '7'; }); // 2026 -> 2027
    CHECK_THAT(failureOf(inHeader, keyOf(7)), Contains("record 0") && Contains("the manifest"));

    // Every single-byte change is refused (a byte of the header may also make it unreadable).
    for (std::size_t at = 0; at < size; at += 97) {
        const auto changed = sample.copy("changed.pbk", [at](std::string& bytes) { bytes[at] ^= 0x01; });
        INFO("byte " << at);
        CHECK(failureOf(changed, keyOf(7)) != "(accepted)");
    }
}

TEST_CASE("A backup made with another key, or in a newer format, is refused saying so")
{
    SampleArchive sample;
    ArchiveFailure failure{};
    CHECK_THAT(failureOf(sample.file, keyOf(8), &failure), Contains("made with another backup key"));
    CHECK(failure == ArchiveFailure::WrongKey);
    const auto newer = sample.copy("newer.pbk", [](std::string& bytes) {
        bytes.replace(bytes.find("format 1"), 8, "format 2");
    });
    CHECK_THAT(failureOf(newer, keyOf(7), &failure), Contains("format 2, made by a newer Parley"));
    CHECK(failure == ArchiveFailure::NewerFormat);
}

TEST_CASE("Hostile archives give clear errors and never crash")
{
    SampleArchive sample;
    const auto original = readFile(sample.file);
    const auto headerSize = sample.contents.header.text.size();
    ArchiveFailure failure{};

    SECTION("cut short at any point")
    {
        for (std::size_t length = 0; length < original.size(); length += 37) {
            const auto cut = sample.copy("cut.pbk", [length](std::string& bytes) { bytes.resize(length); });
            INFO("length " << length);
            const auto message = failureOf(cut, keyOf(7), &failure);
            CHECK((failure == ArchiveFailure::Damaged || failure == ArchiveFailure::NotAnArchive));
            if (length > headerSize)
                CHECK_THAT(message, Contains("cut short") || Contains("ends inside"));
        }
        // Whole records dropped from the end: the final flag is missing.
        const auto lastRecord = original.size() - (4 + sample.key.size() + 16);
        const auto dropped = sample.copy("dropped.pbk", [lastRecord](std::string& bytes) { bytes.resize(lastRecord); });
        CHECK_THAT(failureOf(dropped, keyOf(7)), Contains("without its final record"));
    }
    SECTION("bad headers")
    {
        writeFile(sample.dir / "empty.pbk", "");
        CHECK_THAT(failureOf(sample.dir / "empty.pbk", keyOf(7), &failure), Contains("is not a Parley backup"));
        CHECK(failure == ArchiveFailure::NotAnArchive);
        writeFile(sample.dir / "endless.pbk", "PARLEY BACKUP\n" + std::string(100000, 'x'));
        CHECK_THAT(failureOf(sample.dir / "endless.pbk", keyOf(7)), Contains("no end (a blank line) within 4096 bytes"));
        for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
                 {"format 1", "format x"},
                 {"format 1", "format 99999999999999999999"},
                 {"chunk-size 4096", "chunk-size 4294967296"},
                 {"chunk-size 4096", "chunk-size 1"},
                 {"cipher AES-256-GCM", "cipher NONE"},
                 {"salt ", "salt zz"},
                 {"key-id ", "nokey "}}) {
            const auto bad = sample.copy("bad.pbk", [&](std::string& bytes) { bytes.replace(bytes.find(from), from.size(), to); });
            INFO(to);
            CHECK_THAT(failureOf(bad, keyOf(7), &failure), Contains("is not a Parley backup") || Contains("newer Parley"));
        }
    }
    SECTION("huge or zero record lengths")
    {
        for (const std::uint32_t length : {0x7fffffffu, 0xffffffffu, kSmallChunk + 1, 0u}) {
            const auto bad = sample.copy("long.pbk", [&](std::string& bytes) {
                bytes[headerSize] = static_cast<char>(length >> 24);
                bytes[headerSize + 1] = static_cast<char>(length >> 16);
                bytes[headerSize + 2] = static_cast<char>(length >> 8);
                bytes[headerSize + 3] = static_cast<char>(length);
            });
            INFO(length);
            CHECK_THAT(failureOf(bad, keyOf(7), &failure), Contains("record 0") && Contains("damaged"));
            CHECK(failure == ArchiveFailure::Damaged);
        }
    }
    SECTION("records swapped, or taken from another archive made with the same key")
    {
        // Records 1 and 2 both hold 4096 bytes of the database: same length, other places.
        const auto recordSize = 4 + kSmallChunk + 16;
        const auto first = original.size() - (4 + sample.key.size() + 16) - (4 + 123 + 16) - 3 * recordSize;
        const auto swapped = sample.copy("swapped.pbk", [&](std::string& bytes) {
            const auto one = bytes.substr(first, recordSize);
            bytes.replace(first, recordSize, bytes.substr(first + recordSize, recordSize));
            bytes.replace(first + recordSize, recordSize, one);
        });
        CHECK_THAT(failureOf(swapped, keyOf(7)), Contains("member 'parley.db' (its bytes 0-4095)"));
        SampleArchive other; // same key, same content, another salt
        const auto spliced = sample.copy("spliced.pbk", [&](std::string& bytes) {
            const auto foreign = readFile(other.file);
            bytes.replace(first, recordSize, foreign.substr(first, recordSize));
        });
        CHECK_THAT(failureOf(spliced, keyOf(7)), Contains("fails its authentication"));
    }
    SECTION("bytes after the final record")
    {
        const auto longer = sample.copy("longer.pbk", [](std::string& bytes) { bytes += "x"; });
        CHECK_THAT(failureOf(longer, keyOf(7)), Contains("bytes follow its final record"));
    }
}

TEST_CASE("Member names that could escape the restore directory are refused")
{
    for (const std::string name : {"../x", "/etc/passwd", "a/../b", "a//b", ".", "", "a b", "tls/", "x\ny"})
        CHECK_FALSE(isValidMemberName(name));
    for (const std::string name : {"parley.db", "tls/selfsigned.crt", "etc/parley.ini", "luks-header.img"})
        CHECK(isValidMemberName(name));
    TempDir dir;
    writeFile(dir / "f", "x");
    CHECK_THROWS_AS(writeArchive(dir / "a.pbk", keyOf(1), {{"../f", dir / "f"}}, kCreated), std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(dir / "a.pbk"));
    CHECK_FALSE(std::filesystem::exists(dir / "a.pbk.partial"));
}
