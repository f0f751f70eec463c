#pragma once

#include <parley/volume/luks_container.h>

#include <string>

namespace parley::volume {

/// What is wrong with the sizes of a container, or an empty string. The container file must
/// hold the whole data segment its LUKS2 header describes, and (with `decryptedDevice`, the
/// open volume's block device) that data segment the whole ext4 file system its superblock
/// describes. A container cut short fails here: e2fsck -n only answers "no" to its size
/// question and exits 0. The message names the sizes found and what to do.
std::string containerSizeProblem(const ContainerInfo& info, const std::filesystem::path& container,
                                 const std::string& decryptedDevice = {});

} // namespace parley::volume
