#pragma once

#include <parley/storage/recording_store.h>

#include <cstdint>
#include <string>
#include <vector>

namespace parley::portal {

/// One file of an export package: its name in the package, where it is in the volume, and
/// what it holds.
struct ExportFile
{
    std::string name;   ///< in the package: "recording.webm" or "tracks/<file>"
    std::string path;   ///< in the volume
    std::string sha256; ///< checked against the stored hash before the export
    std::uint64_t bytes = 0;
    const storage::StoredTrack* track = nullptr; ///< none for the composed file
    /// Matched the SHA-256 stored when it was recorded (false: none was stored, as for
    /// tracks recorded before Parley kept their hashes; hashed at the export).
    bool matchesStoredHash = false;
};

/// Who exported, and when (Unix seconds).
struct ExportedBy
{
    std::string username;
    std::string address;
    std::int64_t at = 0;
};

/// The manifest of a recording's export package (JSON, keys in a fixed order): the
/// recording (room, title, start, end, duration), the participants by display name with
/// their tracks, each file's name, size and SHA-256, who exported it and when, and the
/// fingerprint of the key that signs it. The exact bytes are what is signed.
std::string exportManifest(const storage::Recording& recording, const std::vector<ExportFile>& files,
                           const ExportedBy& by, const std::string& signingKeyFingerprint);

/// The package's README: what is in it and the stock commands that check it.
std::string exportReadme(const storage::Recording& recording, const std::string& signingKeyFingerprint);

} // namespace parley::portal
