#pragma once

#include <parley/volume/xts_sector_cipher.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace parley::volume {

/// What the userspace engine's FUSE file system serves: one file, `block`, whose bytes are the
/// plaintext of a LUKS2 data segment. Reads decrypt and writes encrypt whole sectors of the
/// container file; partial sectors are read, changed and written back. Nothing plaintext is
/// ever written to the container or anywhere else.
struct BlockFileSource
{
    int containerFd = -1;           ///< the container, opened read-write
    std::uint64_t dataOffset = 0;   ///< bytes: start of the data segment in the container
    std::uint64_t dataSize = 0;     ///< bytes: its length (a multiple of the sector size)
    XtsSectorCipher* cipher = nullptr;
};

/// Mounts the file system at `mountDir` (fs type "fuse.parley-volume", source
/// "parley:<uuid>"), calls `ready` once the mount is in place, and serves requests on this
/// thread until the file system is unmounted. Returns false (with `error` set) if mounting
/// failed; `ready` is then not called.
bool serveBlockFile(const std::filesystem::path& mountDir, const std::string& uuid, const BlockFileSource& source,
                    const std::function<void()>& ready, std::string& error);

/// The name of the one file the file system holds.
inline constexpr const char* kBlockFileName = "block";

} // namespace parley::volume
