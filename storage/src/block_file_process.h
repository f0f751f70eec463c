#pragma once

#include <parley/storage/luks_container.h>

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace parley::storage {

/// Starts the userspace engine's FUSE process for `container`: a daemon (own session, not a
/// child of the caller) that holds the volume key in locked, non-dumpable memory and serves
/// the decrypted data segment as `<mountDir>/block`. Returns its pid once the file is there.
/// Its pid is also written to `pidFile`. Throws VolumeError if it could not start.
pid_t startBlockFileProcess(const LuksContainer& container, SecretBytes volumeKey,
                            const std::filesystem::path& mountDir, const std::filesystem::path& pidFile);

} // namespace parley::storage
