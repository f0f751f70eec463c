#pragma once

#include <parley/volume/luks_container.h>
#include <parley/volume/volume_check.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace parley::volume {

/// Where a recording volume lives.
struct VolumeLocation
{
    std::filesystem::path container;  ///< the LUKS2 container file (or block device)
    std::filesystem::path mountPoint; ///< where its ext4 file system is mounted when unlocked
    std::filesystem::path runtimeDir = "/run/parley/volumes"; ///< userspace engine's FUSE mounts
};

/// The engine an unlock or check uses, and, when `auto` could not have the kernel engine,
/// why (for the log: "dm-crypt does not work here (...); using the userspace engine").
struct EngineChoice
{
    VolumeEngine engine = VolumeEngine::Userspace;
    std::string note; ///< empty unless Automatic fell back to the userspace engine
};

struct UnlockOptions
{
    VolumeEngine engine = VolumeEngine::Automatic;
    /// The unprivileged account the server runs as: it gets the volume's root directory
    /// (mode 0700). Without it the root directory stays root's.
    std::optional<uid_t> ownerUid;
    std::optional<gid_t> ownerGid;
};

struct VolumeStatus
{
    std::optional<ContainerInfo> header; ///< empty if the container cannot be read
    std::string headerProblem;           ///< why not, if so
    std::optional<MountedVolume> mounted; ///< set when unlocked
    std::string lockedReason;            ///< why it does not count as unlocked, if not
    std::uint64_t containerBytes = 0;
    pid_t enginePid = 0;                 ///< the userspace engine's FUSE process, if running
};

struct FilesystemCheck
{
    /// Set when the container is shorter than its LUKS2 data segment or its file system (a
    /// file cut short): then e2fsck is not run (both exit codes -1), as its answers to a
    /// size mismatch are "no" and exit 0. Names the sizes and what to do.
    std::string sizeProblem;
    int preenExitCode = 0; ///< `e2fsck -p` (journal replay and safe fixes): 0 nothing to fix
    std::string preenOutput;
    int exitCode = 0;      ///< then `e2fsck -f -n`: 0 clean
    std::string output;

    bool clean() const { return sizeProblem.empty() && exitCode == 0; }
};

struct AdoptOptions
{
    VolumeEngine engine = VolumeEngine::Automatic;
    /// Make an ext4 file system in a container that has none (erasing whatever it holds).
    /// Never formats one that holds ext4 already.
    bool format = false;
};

struct AdoptResult
{
    ContainerInfo info;           ///< the header as it is now: label "parley", subsystem "ext4"
    std::string previousLabel;    ///< the label it had (empty if none)
    std::string previousContent;  ///< what was in it when --format erased it ("" if nothing known)
    bool formatted = false;
    VolumeEngine engine = VolumeEngine::Automatic; ///< the engine the check used
};

/// Refuses (VolumeError(SystemError), naming the directory) a container or mount point that
/// an account other than root could swap for something else: every directory above it, as
/// written and as resolved, must be root's and not writable by others (sticky directories
/// such as /tmp excepted), and with `includingItself` the file too must be root's and
/// writable by nobody else. Root operations on volumes call this first.
void requireProtectedPath(const std::filesystem::path& path, bool includingItself = true);

/// Creates, unlocks and locks one recording volume. Unlock, lock and check hold an exclusive
/// lock on the container while they work, so two commands never race. They need root (loop devices,
/// device-mapper, mount); status does not, apart from reading the header. The engine is
/// chosen per unlock: the kernel's dm-crypt where device-mapper exists, else Parley's own
/// userspace engine (FUSE + loop). Both present the same ext4 file system, and a volume
/// written by either opens with the other and with stock `cryptsetup open`.
class VolumeManager
{
public:
    explicit VolumeManager(VolumeLocation location);

    /// The engine `requested` resolves to on this machine; throws VolumeError(Unsupported)
    /// if it (or, for Automatic, neither) can run here. The kernel engine counts only if
    /// dm-crypt works (device-mapper answers and has or can load the crypt target), not
    /// merely because /dev/mapper/control exists.
    static EngineChoice engineFor(VolumeEngine requested);
    static VolumeEngine availableEngine(VolumeEngine requested) { return engineFor(requested).engine; }

    /// Creates the container (see LuksContainer::create). The file system is made at the
    /// first unlock.
    LuksContainer create(std::string_view passphrase, const ContainerOptions& options) const;

    /// Opens the container with `passphrase` (a passphrase or a key file's bytes; the key is
    /// derived once), checks its size against the header and the file system (a container
    /// cut short is refused, VolumeError(NotAVolume)), checks the file system (e2fsck -p
    /// replays the journal after a crash), makes it on first use, and mounts it at the mount
    /// point, marked with the volume's UUID.
    MountedVolume unlock(std::string_view passphrase, const UnlockOptions& options) const;

    /// Makes a LUKS2 container made with stock `cryptsetup luksFormat` a Parley volume: it
    /// must be locked, aes-xts-plain64, as long as its header and file system say, and open
    /// with `passphrase`; then it must hold an ext4 file system, which is checked as an
    /// unlock would (e2fsck -p), or, with `options.format` and no ext4 in it, get one. Only
    /// then is its header labelled "parley" (subsystem "ext4"); on any refusal nothing is
    /// changed. The volume is locked again afterwards. Throws VolumeError(InUse) for a volume
    /// that is Parley's already or open, NotAVolume for one Parley cannot use (the message
    /// says what to do), WrongPassphrase.
    AdoptResult adopt(std::string_view passphrase, const AdoptOptions& options) const;

    /// Unmounts and forgets the key: dm-crypt mapping removed, or loop device detached and
    /// the FUSE process ended. Also cleans up after a FUSE process that died. Does nothing if
    /// the volume is locked already; returns whether there was anything to lock.
    bool lock() const;

    VolumeStatus status() const;

    /// A full read-only e2fsck of the locked volume's file system, after `e2fsck -p` has
    /// replayed the journal as a mount would (both results are returned, so a caller can
    /// tell a clean replay from repairs), once the container's size was found to hold its
    /// data segment and file system. For `parleyctl volume check` and the crash tests.
    FilesystemCheck checkFilesystem(std::string_view passphrase, VolumeEngine engine) const;

    const VolumeLocation& location() const { return location_; }

private:
    VolumeLocation location_;
};

} // namespace parley::volume
