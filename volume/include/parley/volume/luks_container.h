#pragma once

#include <parley/volume/secret_bytes.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct crypt_device;

namespace parley::volume {

/// Argon2id cost of a keyslot. The defaults follow cryptsetup's own for a server (1 GiB is
/// cryptsetup's ceiling; 4 lanes). Tests pass a tiny cost (32 KiB, 4 iterations) so a
/// keyslot opens in milliseconds.
struct KdfCost
{
    std::uint32_t memoryKiB = 1024 * 1024;
    std::uint32_t iterations = 4;
    std::uint32_t parallelThreads = 4;
};

struct ContainerOptions
{
    std::uint64_t sizeBytes = 0;     ///< whole file, header included; at least 32 MiB
    std::uint32_t sectorSize = 4096; ///< encryption sector: 512 or 4096
    KdfCost kdf;
};

/// What a LUKS2 header says about a container. Nothing in it is secret.
struct ContainerInfo
{
    std::string uuid;
    std::string label;      ///< "parley" for Parley volumes
    std::string subsystem;  ///< "unformatted" until the first unlock made the file system
    std::string cipher;     ///< e.g. "aes-xts-plain64"
    int volumeKeyBits = 0;
    std::uint32_t sectorSize = 0;
    std::uint64_t dataOffsetBytes = 0; ///< where the encrypted data segment starts
    std::uint64_t dataSizeBytes = 0;   ///< its length: from dataOffsetBytes to the end of the file
    /// The data segment's length as the header records it; empty for "dynamic" (to the end of
    /// the file, as `parleyctl volume create` and stock `cryptsetup luksFormat` make it).
    std::optional<std::uint64_t> headerDataSizeBytes;
    std::uint64_t ivOffsetSectors = 0; ///< added to sector numbers for the IV (0 for LUKS2)
    std::vector<int> keyslots;         ///< keyslots in use
};

/// A LUKS2 container in a file (or on a block device), handled through libcryptsetup: the
/// same on-disk format stock `cryptsetup` reads. Every keyslot operation here works on the
/// header alone and needs no device-mapper. Not thread-safe; one object per operation.
class LuksContainer
{
public:
    /// Creates the file (which must not exist) with `options.sizeBytes`, formats it LUKS2
    /// aes-xts-plain64 with a fresh random 512-bit volume key, labels it as a Parley volume,
    /// and adds `passphrase` in keyslot 0 with argon2id at `options.kdf`.
    static LuksContainer create(const std::filesystem::path& file, std::string_view passphrase,
                                const ContainerOptions& options);

    /// Loads an existing container. Throws VolumeError(NotAVolume) if it is not LUKS2.
    static LuksContainer open(const std::filesystem::path& file);

    /// Restores a header saved by backupHeader() onto `file` (the key slots and volume key
    /// come back as they were at backup time). The backup must be of this very container
    /// (same UUID) unless the header on `file` is unreadable.
    static void restoreHeader(const std::filesystem::path& file, const std::filesystem::path& backup);

    ~LuksContainer();
    LuksContainer(LuksContainer&& other) noexcept;
    LuksContainer& operator=(LuksContainer&& other) noexcept;

    ContainerInfo info() const;
    const std::filesystem::path& file() const { return file_; }

    /// The keyslot `passphrase` opens; throws VolumeError(WrongPassphrase) if none.
    int verify(std::string_view passphrase) const;

    /// Adds `newPassphrase` (argon2id at `cost`) after proving `existing`; returns its slot.
    int addKey(std::string_view existing, std::string_view newPassphrase, const KdfCost& cost);

    /// Replaces the passphrase of the slot `existing` opens; returns the slot it is in now
    /// (libcryptsetup may move it to another slot; 2.6 keeps it in place).
    int changeKey(std::string_view existing, std::string_view newPassphrase, const KdfCost& cost);

    /// Destroys `slot` (its key material is overwritten in the header). Refuses, with
    /// VolumeError(LastKey), to destroy the last slot in use.
    void revokeKey(int slot);

    /// Writes the header (with all keyslots) to `backup`, which must not exist, mode 0600.
    void backupHeader(const std::filesystem::path& backup) const;

    /// The volume key, after `passphrase` opened a keyslot: the one key derivation (argon2id
    /// at the slot's cost) an unlock makes; both engines take the key from here. Throws
    /// VolumeError(WrongPassphrase) if no slot opens.
    SecretBytes volumeKey(std::string_view passphrase) const;

    /// Records the file-system state in the header's subsystem label.
    void setSubsystem(const std::string& subsystem);

    /// Sets the header's label and subsystem label (for adopting a container made elsewhere).
    void setLabels(const std::string& label, const std::string& subsystem);

    /// Kernel engine: maps the data segment as /dev/mapper/`name` with dm-crypt (libcryptsetup
    /// attaches a loop device first when the container is a file), with a key from
    /// volumeKey(): no second key derivation. Throws VolumeError(WrongPassphrase) if the key
    /// does not match the header's digest.
    void activate(const std::string& name, const SecretBytes& volumeKey);

    /// Removes the dm-crypt mapping `name`.
    static void deactivate(const std::string& name);

private:
    struct DeviceFree
    {
        void operator()(crypt_device* device) const;
    };
    using DeviceHandle = std::unique_ptr<crypt_device, DeviceFree>;

    LuksContainer(std::filesystem::path file, DeviceHandle device);
    void setKdf(const KdfCost& cost);

    std::filesystem::path file_;
    DeviceHandle device_;
};

/// Counts the key derivations (argon2id at a key slot's cost, one per slot tried) that
/// libcryptsetup makes in this process while the counter exists, as libcryptsetup's own debug
/// log reports them ("Running keyslot key derivation"). For tests that an operation derives
/// a key once; libcryptsetup logs at debug level meanwhile. One counter at a time.
class KeyslotOpenCounter
{
public:
    KeyslotOpenCounter();
    ~KeyslotOpenCounter();
    KeyslotOpenCounter(const KeyslotOpenCounter&) = delete;
    KeyslotOpenCounter& operator=(const KeyslotOpenCounter&) = delete;

    int count() const;
};

/// The label every Parley container carries, so a volume cannot be confused with another
/// LUKS container on the same machine.
inline constexpr std::string_view kParleyVolumeLabel = "parley";
inline constexpr std::string_view kSubsystemUnformatted = "unformatted";
inline constexpr std::string_view kSubsystemExt4 = "ext4";

} // namespace parley::volume
