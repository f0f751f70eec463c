#pragma once

#include "loop_device.h"

#include <parley/volume/luks_container.h>
#include <parley/volume/volume_check.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace parley::volume {

/// The decrypted block device of an open volume, from either engine. Until release() is
/// called, destroying it takes everything down again (mapping removed, or loop detached and
/// FUSE process stopped), so a failed unlock leaves nothing behind.
class VolumeAttachment
{
public:
    /// kernel: dm-crypt mapping "parley-<uuid>"; userspace: FUSE process serving
    /// `<runtimeDir>/fuse-<uuid>/block`, with a loop device on it. `volumeKey` comes from
    /// LuksContainer::volumeKey(), so the key is derived once per unlock, whichever engine.
    static VolumeAttachment attach(LuksContainer& container, SecretBytes volumeKey, VolumeEngine engine,
                                   const std::filesystem::path& runtimeDir);

    ~VolumeAttachment();
    VolumeAttachment(VolumeAttachment&& other) noexcept;
    VolumeAttachment& operator=(VolumeAttachment&&) = delete;
    VolumeAttachment(const VolumeAttachment&) = delete;

    const std::string& device() const { return device_; }
    VolumeEngine engine() const { return engine_; }

    /// Hands the device over to a mount: nothing is taken down on destruction any more.
    void release();

private:
    VolumeAttachment() = default;
    void takeDown() noexcept;

    VolumeEngine engine_ = VolumeEngine::Automatic;
    std::string device_;
    std::string mappingName_;
    std::optional<LoopDevice> loop_;
    std::filesystem::path fuseDir_;
    std::filesystem::path pidFile_;
    bool released_ = false;
};

/// Paths the userspace engine uses for the volume `uuid`.
std::filesystem::path fuseDirectory(const std::filesystem::path& runtimeDir, const std::string& uuid);
std::filesystem::path fusePidFile(const std::filesystem::path& runtimeDir, const std::string& uuid);
std::string mappingName(const std::string& uuid);

/// Ends the userspace engine of `uuid`: unmounts its FUSE file system (the process then
/// exits) and waits for the process. Also works when the process died. Returns false if
/// the FUSE mount could not be removed (the loop device still uses it).
bool stopBlockFileProcess(const std::filesystem::path& runtimeDir, const std::string& uuid);

/// The engine's pid if its process is running (checked against its start time), else 0.
pid_t runningEngine(const std::filesystem::path& runtimeDir, const std::string& uuid);

} // namespace parley::volume
