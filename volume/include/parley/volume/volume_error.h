#pragma once

#include <stdexcept>
#include <string>

namespace parley::volume {

/// Why a volume operation failed. The message always says what to do about it; the reason
/// lets callers (parleyctl's exit status, the admin API) tell the cases apart.
enum class VolumeFailure {
    WrongPassphrase,   ///< no keyslot opens with what was given
    NotAVolume,        ///< the file is not a LUKS2 container, or not one Parley can use
    InUse,             ///< already unlocked, or busy
    NotUnlocked,       ///< the directory is not an unlocked Parley volume
    LastKey,           ///< refusing to destroy the only keyslot (the data would be lost)
    Unsupported,       ///< no engine can run here (no device-mapper and no FUSE)
    SystemError,       ///< the system refused (permissions, missing tool, I/O error)
    NotFound,          ///< a recording file that should be in the volume is not
};

class VolumeError : public std::runtime_error
{
public:
    VolumeError(VolumeFailure failure, const std::string& message)
        : std::runtime_error(message), failure_(failure)
    {
    }

    VolumeFailure failure() const { return failure_; }

private:
    VolumeFailure failure_;
};

} // namespace parley::volume
