// volume.engine = auto: the kernel engine only where dm-crypt works, not wherever a file
// named /dev/mapper/control exists (containers whose kernel has no device-mapper have one).
#include "engine_probe.h"
#include "temp_dir.h"

#include <parley/volume/volume_error.h>

#include <catch2/catch.hpp>

#include <linux/dm-ioctl.h>

#include <cstring>
#include <fstream>

using namespace parley::volume;
using parley::test::TempDir;

namespace {

/// A DM_LIST_VERSIONS reply as the kernel lays it out: entries 8-byte aligned, each `next`
/// the distance to the following one, 0 on the last.
std::vector<std::byte> targetList(const std::vector<std::string>& names)
{
    std::vector<std::byte> reply;
    std::size_t previous = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::size_t at = reply.size();
        const std::size_t length = (sizeof(dm_target_versions) + names[i].size() + 1 + 7) / 8 * 8;
        reply.resize(at + length);
        dm_target_versions entry{};
        entry.version[0] = 1;
        std::memcpy(reply.data() + at, &entry, sizeof entry);
        std::memcpy(reply.data() + at + sizeof entry, names[i].c_str(), names[i].size() + 1);
        if (i > 0) {
            const auto next = static_cast<std::uint32_t>(at - previous);
            std::memcpy(reply.data() + previous, &next, sizeof next);
        }
        previous = at;
    }
    return reply;
}

void setNext(std::vector<std::byte>& reply, std::size_t entryOffset, std::uint32_t next)
{
    std::memcpy(reply.data() + entryOffset, &next, sizeof next);
}

VolumeFailure failureOf(VolumeEngine requested, const EngineSupport& support, std::string& message)
{
    try {
        chooseEngine(requested, support);
    }
    catch (const VolumeError& e) {
        message = e.what();
        return e.failure();
    }
    FAIL("expected a VolumeError");
    return VolumeFailure::SystemError;
}

} // namespace

TEST_CASE("device-mapper's target list is read, and a malformed one yields only what is whole", "[volume]")
{
    const auto reply = targetList({"striped", "linear", "crypt", "error"});
    CHECK(deviceMapperTargets(reply) == std::vector<std::string>{"striped", "linear", "crypt", "error"});
    CHECK(deviceMapperTargets({}).empty());

    SECTION("an entry pointing past the reply ends the list")
    {
        auto hostile = reply;
        setNext(hostile, 0, 1u << 30);
        CHECK(deviceMapperTargets(hostile) == std::vector<std::string>{"striped"});
    }
    SECTION("an entry pointing into itself ends the list (no loop)")
    {
        auto hostile = reply;
        setNext(hostile, 0, 4);
        CHECK(deviceMapperTargets(hostile) == std::vector<std::string>{"striped"});
        setNext(hostile, 0, 0xffffffffu);
        CHECK(deviceMapperTargets(hostile) == std::vector<std::string>{"striped"});
    }
    SECTION("a name without its terminating zero is not read past the reply")
    {
        auto cut = reply;
        cut.resize(sizeof(dm_target_versions) + 3); // "str", no zero
        CHECK(deviceMapperTargets(cut).empty());
        cut.resize(sizeof(dm_target_versions) - 1); // not even a whole entry
        CHECK(deviceMapperTargets(cut).empty());
    }
}

TEST_CASE("a /dev/mapper/control that exists but is not device-mapper does not count as dm-crypt", "[volume]")
{
    TempDir dir;
    EngineProbePaths paths;
    paths.kernelModules = dir / "modules"; // no dm-crypt module to load either

    SECTION("a plain file")
    {
        paths.deviceMapperControl = dir / "control";
        std::ofstream(paths.deviceMapperControl) << "not a device\n";
        const auto support = probeEngines(paths);
        CHECK(!support.kernel);
        CHECK_THAT(support.kernelProblem, Catch::Contains(paths.deviceMapperControl.string()));
    }
    SECTION("a character device that is not device-mapper")
    {
        paths.deviceMapperControl = "/dev/null";
        const auto support = probeEngines(paths);
        CHECK(!support.kernel);
        CHECK_THAT(support.kernelProblem, Catch::Contains("DM_LIST_VERSIONS"));
    }
    SECTION("a missing one")
    {
        paths.deviceMapperControl = dir / "missing";
        CHECK(!probeEngines(paths).kernel);
    }
    SECTION("missing /dev/fuse: no userspace engine, and the reason names it")
    {
        paths.fuse = dir / "fuse";
        const auto support = probeEngines(paths);
        CHECK(!support.userspace);
        CHECK_THAT(support.userspaceProblem, Catch::Contains(paths.fuse.string()));
    }
}

TEST_CASE("auto falls back to the userspace engine without dm-crypt and says why, and kernel then refuses", "[volume]")
{
    EngineSupport noDmCrypt;
    noDmCrypt.kernelProblem = "cannot open /dev/mapper/control: No such device";
    noDmCrypt.userspace = true;
    const auto choice = chooseEngine(VolumeEngine::Automatic, noDmCrypt);
    CHECK(choice.engine == VolumeEngine::Userspace);
    CHECK_THAT(choice.note, Catch::Contains("dm-crypt does not work here") &&
                                Catch::Contains("No such device") && Catch::Contains("userspace engine"));

    std::string message;
    CHECK(failureOf(VolumeEngine::Kernel, noDmCrypt, message) == VolumeFailure::Unsupported);
    CHECK_THAT(message, Catch::Contains("No such device") && Catch::Contains("volume.engine = userspace"));

    EngineSupport both = noDmCrypt;
    both.kernel = true;
    both.kernelProblem.clear();
    CHECK(chooseEngine(VolumeEngine::Automatic, both).engine == VolumeEngine::Kernel);
    CHECK(chooseEngine(VolumeEngine::Automatic, both).note.empty());
    CHECK(chooseEngine(VolumeEngine::Userspace, both).engine == VolumeEngine::Userspace);

    EngineSupport neither = noDmCrypt;
    neither.userspace = false;
    neither.userspaceProblem = "the userspace engine needs /dev/fuse";
    CHECK(failureOf(VolumeEngine::Automatic, neither, message) == VolumeFailure::Unsupported);
    CHECK_THAT(message, Catch::Contains("No such device") && Catch::Contains("/dev/fuse"));

    // This machine, as it is: wherever the probe finds dm-crypt unusable (this CI machine
    // has a /dev/mapper/control its kernel does not serve), auto is the userspace engine.
    const auto here = probeEngines();
    INFO(here.kernelProblem);
    if (!here.kernel && here.userspace) {
        CHECK(VolumeManager::engineFor(VolumeEngine::Automatic).engine == VolumeEngine::Userspace);
        CHECK(!VolumeManager::engineFor(VolumeEngine::Automatic).note.empty());
    }
}
