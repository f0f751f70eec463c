// The backup key file: made fresh, never overwritten, and refused unless only its owner
// (the user running parleyctl: root when installed) can read it.
#include "temp_dir.h"

#include <parley/backup/backup_key.h>

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace parley::backup;
using parley::test::readFile;
using parley::test::TempDir;
using parley::test::writeFile;
using Catch::Contains;

TEST_CASE("create-key writes a random 0400 key that reads back, and never overwrites one")
{
    TempDir dir;
    createBackupKeyFile(dir / "a.key");
    createBackupKeyFile(dir / "b.key");
    struct stat status{};
    REQUIRE(::stat((dir / "a.key").c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0400);
    const auto a = readBackupKeyFile(dir / "a.key");
    CHECK(a.id().size() == 16);
    CHECK(a.id() != readBackupKeyFile(dir / "b.key").id());
    const auto before = readFile(dir / "a.key");
    CHECK_THROWS_WITH(createBackupKeyFile(dir / "a.key"), Contains("already exists"));
    CHECK(readFile(dir / "a.key") == before);
}

TEST_CASE("A backup key file readable by others, a link or a malformed one is refused")
{
    TempDir dir;
    createBackupKeyFile(dir / "good.key");
    writeFile(dir / "open.key", readFile(dir / "good.key"));
    ::chmod((dir / "open.key").c_str(), 0644);
    CHECK_THROWS_WITH(readBackupKeyFile(dir / "open.key"), Contains("mode 0400 or 0600") && Contains("mode 0644"));
    std::filesystem::create_symlink(dir / "good.key", dir / "link.key");
    CHECK_THROWS_WITH(readBackupKeyFile(dir / "link.key"), Contains("cannot open backup key file"));
    writeFile(dir / "short.key", "abcdef\n");
    ::chmod((dir / "short.key").c_str(), 0600);
    CHECK_THROWS_WITH(readBackupKeyFile(dir / "short.key"), Contains("does not hold a 64-hex-digit key"));
    CHECK_THROWS_WITH(readBackupKeyFile(dir / "missing.key"), Contains("parleyctl backup create-key"));
    if (::geteuid() == 0) {
        ::chown((dir / "good.key").c_str(), 65534, 65534);
        CHECK_THROWS_WITH(readBackupKeyFile(dir / "good.key"), Contains("owned by root"));
    }
}
