#include "container_geometry.h"
#include "ext4_filesystem.h"

#include <algorithm>

namespace parley::volume {

namespace {

std::string bytes(std::uint64_t count)
{
    return std::to_string(count) + " bytes";
}

constexpr const char* kWhatToDo =
    ": the container was cut short (a full disk or an interrupted copy?). Restore it from a complete copy "
    "and do not repair it in place: e2fsck would cut the file system down to the data that is left";

} // namespace

std::string containerSizeProblem(const ContainerInfo& info, const std::filesystem::path& container,
                                 const std::string& decryptedDevice)
{
    const std::uint64_t fileBytes = info.dataOffsetBytes + info.dataSizeBytes;
    const std::string segment =
        info.headerDataSizeBytes
            ? "bytes " + std::to_string(info.dataOffsetBytes) + " to " +
                  std::to_string(info.dataOffsetBytes + *info.headerDataSizeBytes) + " (" +
                  bytes(*info.headerDataSizeBytes) + ")"
            : "from byte " + std::to_string(info.dataOffsetBytes) + " to the end of the file (\"dynamic\")";
    if (info.dataSizeBytes == 0 || (info.headerDataSizeBytes && info.dataSizeBytes < *info.headerDataSizeBytes))
        return container.string() + " is " + bytes(fileBytes) + ", but its LUKS2 header puts the data segment at " +
               segment + kWhatToDo;
    if (decryptedDevice.empty())
        return {};
    const auto filesystemBytes = ext4SizeBytes(decryptedDevice);
    const std::uint64_t dataBytes =
        info.headerDataSizeBytes ? std::min(info.dataSizeBytes, *info.headerDataSizeBytes) : info.dataSizeBytes;
    if (filesystemBytes && *filesystemBytes > dataBytes)
        return "the ext4 file system in " + container.string() + " is " + bytes(*filesystemBytes) +
               " (from its superblock), but the container holds only " + bytes(dataBytes) +
               " of data (the file is " + bytes(fileBytes) + ", its LUKS2 data segment " + segment + ")" +
               kWhatToDo;
    return {};
}

} // namespace parley::volume
