// The backup status file: what parleyctl records after each attempt, and what the server
// reads for /metrics and the admin overview, including from a damaged file.
#include "temp_dir.h"

#include <parley/backup/backup_status.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace parley::backup;
using parley::test::TempDir;
using Catch::Contains;

namespace {

void write(const std::filesystem::path& file, const std::string& text)
{
    std::ofstream(file, std::ios::trunc) << text;
}

} // namespace

TEST_CASE("Attempts are recorded: a success clears the run of failures and a failure keeps the last success")
{
    TempDir dir;
    const auto file = backupStatusFile(dir.path());
    CHECK_FALSE(readBackupStatus(file)); // never tried

    auto status = withAttempt({}, 1000, true, {}, "/share/parley-backup-1.pbk", 4096);
    status = withAttempt(status, 4600, false, "backup directory /share does not exist", {}, 0);
    status = withAttempt(status, 8200, false, "disk full", {}, 0);
    writeBackupStatus(file, status);
    auto read = readBackupStatus(file);
    REQUIRE(read);
    CHECK(read->lastAttemptTime == 8200);
    CHECK(read->lastSuccessTime == 1000);
    CHECK(read->lastFailureTime == 8200);
    CHECK(read->lastSuccessFile == "/share/parley-backup-1.pbk");
    CHECK(read->lastSuccessBytes == 4096);
    CHECK(read->lastError == "disk full");
    CHECK(read->consecutiveFailures == 2);
    CHECK(read->failuresTotal == 2);
    CHECK(read->successesTotal == 1);

    writeBackupStatus(file, withAttempt(*read, 11800, true, {}, "/share/parley-backup-2.pbk", 8192));
    read = readBackupStatus(file);
    REQUIRE(read);
    CHECK(read->lastSuccessTime == 11800);
    CHECK(read->lastError.empty());
    CHECK(read->consecutiveFailures == 0);
    CHECK(read->failuresTotal == 2);
    CHECK(read->successesTotal == 2);
    CHECK_FALSE(std::filesystem::exists(file.string() + ".new"));
}

TEST_CASE("A damaged or hostile status file is refused with its name and what is wrong, never half read")
{
    TempDir dir;
    const auto file = backupStatusFile(dir.path());
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "not valid"},
        {"{", "not valid"},
        {"[1, 2]", "not a JSON object"},
        {"\"text\"", "not valid"},
        {"null", "not valid"},
        {R"({"consecutive_failures": "many"})", "'consecutive_failures' is not a whole number"},
        {R"({"consecutive_failures": -1})", "'consecutive_failures' is negative"},
        {R"({"failures_total": 1.5})", "'failures_total' is not a whole number"},
        {R"({"last_success_time": "yesterday"})", "'last_success_time' is not a whole number"},
        {R"({"last_success_bytes": -5})", "'last_success_bytes' is negative"},
        {R"({"last_error": 7})", "'last_error' is not text"},
        {R"({"last_success_file": {"a": 1}})", "'last_success_file' is not text"},
        {std::string("{\"last_error\": \"") + std::string(100000, '[') + "\"}", ""}, // long but valid text
        {std::string(5000, '[') + std::string(5000, ']'), "not"},
    };
    for (const auto& [text, message] : cases) {
        INFO(text.substr(0, 80));
        write(file, text);
        if (message.empty()) {
            CHECK(readBackupStatus(file)->lastError.size() == 100000);
            continue;
        }
        try {
            (void)readBackupStatus(file);
            FAIL("accepted");
        }
        catch (const std::runtime_error& e) {
            CHECK_THAT(e.what(), Contains(file.string()) && Contains(message));
        }
    }
    // A directory where the file should be is an error, not "never tried"; so is a pipe
    // (read at once, never waited on) and a link (never followed).
    std::filesystem::remove(file);
    std::filesystem::create_directory(file);
    CHECK_THROWS_WITH(readBackupStatus(file), Contains("cannot be read"));
    std::filesystem::remove(file);
    REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(readBackupStatus(file), Contains("cannot be read (it is not a file)"));
    std::filesystem::remove(file);
    write(dir / "elsewhere.json", R"({"consecutive_failures": 0})");
    std::filesystem::create_symlink(dir / "elsewhere.json", file);
    CHECK_THROWS_WITH(readBackupStatus(file), Contains("cannot be read (it is a link)"));
}
