#include "mount_table.h"

#include <catch2/catch.hpp>

using namespace parley::volume;

TEST_CASE("mountinfo lines are parsed with escapes decoded, and malformed lines are skipped", "[volume]")
{
    const std::string text =
        "22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "36 22 7:3 / /var/lib/parley/rec\\040dir rw,nosuid,nodev,noexec shared:7 master:2 - ext4 /dev/loop3 "
        "rw,errors=remount-ro\n"
        "37 22 0:45 / /run/parley/volumes/fuse-x rw - fuse.parley-volume parley:x rw,user_id=0\n"
        "\n"
        "garbage\n"
        "1 2 3 4 5 6 - \n"
        "1 2 3 4 5 6 7 8 9\n"
        "40 22 7:4 / /trailing\\ rw - ext4 \\777 rw\n";
    const auto table = parseMountInfo(text);
    REQUIRE(table.size() == 4);
    CHECK(table[1].mountPoint == "/var/lib/parley/rec dir");
    CHECK(table[1].device == "7:3");
    CHECK(table[1].options == "rw,nosuid,nodev,noexec");
    CHECK(table[1].fsType == "ext4");
    CHECK(table[1].source == "/dev/loop3");
    CHECK(table[2].fsType == "fuse.parley-volume");
    CHECK(table[3].mountPoint == "/trailing\\"); // a lone backslash stays as it is
    CHECK(table[3].source == "\\777");           // not an octal escape (first digit above 3)

    CHECK(findMount(table, "/var/lib/parley/rec dir")->device == "7:3");
    CHECK(!findMount(table, "/var/lib/parley"));
    CHECK(mountHolding(table, "/run/parley/volumes/fuse-x/block")->fsType == "fuse.parley-volume");
    CHECK(mountHolding(table, "/run/parley/volumes/fuse-xy")->mountPoint == "/");
}
