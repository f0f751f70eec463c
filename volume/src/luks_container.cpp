#include <parley/volume/luks_container.h>
#include <parley/volume/volume_error.h>

#include <libcryptsetup.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace parley::volume {

namespace {

constexpr std::uint64_t kMinimumSize = 32ull * 1024 * 1024;
constexpr std::size_t kVolumeKeyBytes = 64; // aes-xts with two 256-bit keys

// libcryptsetup reports the reason for a failure through its log callback, not through the
// return value; the last error message of this thread goes into the exception we throw.
thread_local std::string lastCryptError;

// Key derivations seen in libcryptsetup's debug log while a KeyslotOpenCounter exists.
std::atomic<bool> countingKeyslotOpens{false};
std::atomic<int> keyslotOpens{0};

void captureLog(int level, const char* message, void*)
{
    if (level == CRYPT_LOG_DEBUG && message != nullptr && countingKeyslotOpens &&
        std::string_view(message).starts_with("Running keyslot key derivation"))
        ++keyslotOpens;
    if (level != CRYPT_LOG_ERROR || message == nullptr)
        return;
    lastCryptError = message;
    while (!lastCryptError.empty() && (lastCryptError.back() == '\n' || lastCryptError.back() == '.'))
        lastCryptError.pop_back();
}

void installLogCallback()
{
    static std::once_flag once;
    std::call_once(once, [] { crypt_set_log_callback(nullptr, captureLog, nullptr); });
}

std::string describe(int result)
{
    std::string text = std::strerror(-result);
    if (!lastCryptError.empty())
        text = lastCryptError + " (" + text + ")";
    lastCryptError.clear();
    return text;
}

[[noreturn]] void fail(const std::string& what, int result)
{
    const auto failure = result == -EBUSY || result == -EEXIST ? VolumeFailure::InUse : VolumeFailure::SystemError;
    throw VolumeError(failure, what + ": " + describe(result));
}

[[noreturn]] void wrongPassphrase(const std::filesystem::path& file)
{
    lastCryptError.clear();
    throw VolumeError(VolumeFailure::WrongPassphrase,
                      "no key slot of " + file.string() + " opens with that passphrase or key file");
}

std::uint64_t deviceSize(const std::filesystem::path& file)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw VolumeError(VolumeFailure::SystemError, "cannot open " + file.string() + ": " + std::strerror(errno));
    const off_t end = ::lseek(fd, 0, SEEK_END);
    ::close(fd);
    return end < 0 ? 0 : static_cast<std::uint64_t>(end);
}

/// The length the header gives the data segment that starts at `offset`: empty for
/// "dynamic" (or if the header has no such segment, which libcryptsetup would not load).
std::optional<std::uint64_t> segmentSize(crypt_device* device, std::uint64_t offset)
{
    const char* json = nullptr;
    if (crypt_dump_json(device, &json, 0) < 0 || json == nullptr)
        return std::nullopt;
    try {
        const auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        const auto segments = root->getObject("segments");
        if (!segments)
            return std::nullopt;
        for (const auto& [name, value] : *segments) {
            const auto segment = value.extract<Poco::JSON::Object::Ptr>();
            if (segment->optValue<std::string>("type", "") != "crypt" ||
                std::stoull(segment->optValue<std::string>("offset", "0")) != offset)
                continue;
            const std::string size = segment->optValue<std::string>("size", "dynamic");
            if (size == "dynamic")
                return std::nullopt;
            return std::stoull(size);
        }
    }
    catch (const std::exception&) {
        // libcryptsetup validated this JSON when it loaded the header; if it still cannot be
        // read here, the size check falls back to "to the end of the file".
    }
    return std::nullopt;
}

} // namespace

void LuksContainer::DeviceFree::operator()(crypt_device* device) const
{
    crypt_free(device);
}

LuksContainer::LuksContainer(std::filesystem::path file, DeviceHandle device)
    : file_(std::move(file)), device_(std::move(device))
{
}

LuksContainer::~LuksContainer() = default;
LuksContainer::LuksContainer(LuksContainer&&) noexcept = default;
LuksContainer& LuksContainer::operator=(LuksContainer&&) noexcept = default;

LuksContainer LuksContainer::create(const std::filesystem::path& file, std::string_view passphrase,
                                    const ContainerOptions& options)
{
    installLogCallback();
    if (options.sizeBytes < kMinimumSize)
        throw std::invalid_argument("a volume needs at least 32 MiB (16 MiB of it is the LUKS2 header)");
    if (options.sectorSize != 512 && options.sectorSize != 4096)
        throw std::invalid_argument("the encryption sector size must be 512 or 4096 bytes");
    if (options.sizeBytes % options.sectorSize != 0)
        throw std::invalid_argument("the volume size must be a multiple of the sector size");
    if (passphrase.empty())
        throw std::invalid_argument("an empty passphrase cannot protect a volume");

    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw VolumeError(errno == EEXIST ? VolumeFailure::InUse : VolumeFailure::SystemError,
                          "cannot create " + file.string() + ": " + std::strerror(errno) +
                              (errno == EEXIST ? " (it already exists; Parley never overwrites a volume)" : ""));
    // Reserve the space now: a sparse container could run the host out of disk under a
    // recording that the file system inside believes has room.
    const int reserved = ::posix_fallocate(fd, 0, static_cast<off_t>(options.sizeBytes));
    ::close(fd);
    auto removeFile = [&] { std::error_code ignored; std::filesystem::remove(file, ignored); };
    if (reserved != 0) {
        removeFile();
        throw VolumeError(VolumeFailure::SystemError,
                          "cannot reserve " + std::to_string(options.sizeBytes) + " bytes for " + file.string() +
                              ": " + std::strerror(reserved));
    }

    try {
        crypt_device* raw = nullptr;
        if (const int result = crypt_init(&raw, file.c_str()); result < 0)
            fail("cannot open " + file.string(), result);
        DeviceHandle device(raw);
        crypt_pbkdf_type pbkdf{};
        pbkdf.type = CRYPT_KDF_ARGON2ID;
        pbkdf.hash = "sha256";
        pbkdf.iterations = options.kdf.iterations;
        pbkdf.max_memory_kb = options.kdf.memoryKiB;
        pbkdf.parallel_threads = options.kdf.parallelThreads;
        pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
        crypt_params_luks2 params{};
        params.pbkdf = &pbkdf;
        params.sector_size = options.sectorSize;
        const std::string label(kParleyVolumeLabel);
        const std::string subsystem(kSubsystemUnformatted);
        params.label = label.c_str();
        params.subsystem = subsystem.c_str();
        if (const int result = crypt_format(device.get(), CRYPT_LUKS2, "aes", "xts-plain64", nullptr, nullptr,
                                            kVolumeKeyBytes, &params);
            result < 0)
            fail("cannot format " + file.string() + " as LUKS2", result);
        if (const int result = crypt_keyslot_add_by_volume_key(device.get(), CRYPT_ANY_SLOT, nullptr, 0,
                                                               passphrase.data(), passphrase.size());
            result < 0)
            fail("cannot add the first key slot to " + file.string(), result);
        return LuksContainer(file, std::move(device));
    }
    catch (...) {
        removeFile();
        throw;
    }
}

LuksContainer LuksContainer::open(const std::filesystem::path& file)
{
    installLogCallback();
    if (!std::filesystem::exists(file))
        throw VolumeError(VolumeFailure::NotAVolume, file.string() + " does not exist");
    crypt_device* raw = nullptr;
    if (const int result = crypt_init(&raw, file.c_str()); result < 0)
        fail("cannot open " + file.string(), result);
    DeviceHandle device(raw);
    if (const int result = crypt_load(device.get(), CRYPT_LUKS2, nullptr); result < 0) {
        if (result == -EACCES || result == -EPERM)
            fail("cannot read the header of " + file.string() + " (run as root)", result);
        lastCryptError.clear();
        throw VolumeError(VolumeFailure::NotAVolume,
                          file.string() + " has no readable LUKS2 header (restore it from a header backup "
                                          "with `parleyctl volume restore-header`)");
    }
    return LuksContainer(file, std::move(device));
}

void LuksContainer::restoreHeader(const std::filesystem::path& file, const std::filesystem::path& backup)
{
    installLogCallback();
    // Refuse a backup of another container: restoring it would make this one's data
    // unreadable for good. A damaged header (the reason to restore) does not load, so the
    // comparison is only made when there is something to compare with.
    std::string backupUuid;
    try {
        backupUuid = open(backup).info().uuid;
    }
    catch (const VolumeError&) {
        throw VolumeError(VolumeFailure::NotAVolume, backup.string() + " is not a LUKS2 header backup");
    }
    crypt_device* raw = nullptr;
    if (const int result = crypt_init(&raw, file.c_str()); result < 0)
        fail("cannot open " + file.string(), result);
    DeviceHandle device(raw);
    if (crypt_load(device.get(), CRYPT_LUKS2, nullptr) == 0) {
        const char* current = crypt_get_uuid(device.get());
        if (current != nullptr && backupUuid != current)
            throw VolumeError(VolumeFailure::NotAVolume,
                              backup.string() + " is the header of volume " + backupUuid + ", not of " +
                                  file.string() + " (" + current + ")");
        device.reset();
        if (const int result = crypt_init(&raw, file.c_str()); result < 0)
            fail("cannot open " + file.string(), result);
        device.reset(raw);
    }
    lastCryptError.clear();
    if (const int result = crypt_header_restore(device.get(), CRYPT_LUKS2, backup.c_str()); result < 0)
        fail("cannot restore the header of " + file.string() + " from " + backup.string(), result);
}

ContainerInfo LuksContainer::info() const
{
    ContainerInfo info;
    auto text = [](const char* value) { return value ? std::string(value) : std::string(); };
    info.uuid = text(crypt_get_uuid(device_.get()));
    info.label = text(crypt_get_label(device_.get()));
    info.subsystem = text(crypt_get_subsystem(device_.get()));
    info.cipher = text(crypt_get_cipher(device_.get())) + "-" + text(crypt_get_cipher_mode(device_.get()));
    info.volumeKeyBits = crypt_get_volume_key_size(device_.get()) * 8;
    info.sectorSize = static_cast<std::uint32_t>(crypt_get_sector_size(device_.get()));
    info.dataOffsetBytes = crypt_get_data_offset(device_.get()) * 512;
    info.ivOffsetSectors = crypt_get_iv_offset(device_.get());
    const std::uint64_t size = deviceSize(file_);
    info.dataSizeBytes = size > info.dataOffsetBytes ? size - info.dataOffsetBytes : 0;
    info.headerDataSizeBytes = segmentSize(device_.get(), info.dataOffsetBytes);
    const int slots = crypt_keyslot_max(CRYPT_LUKS2);
    for (int slot = 0; slot < slots; ++slot) {
        const auto status = crypt_keyslot_status(device_.get(), slot);
        if (status == CRYPT_SLOT_ACTIVE || status == CRYPT_SLOT_ACTIVE_LAST)
            info.keyslots.push_back(slot);
    }
    return info;
}

int LuksContainer::verify(std::string_view passphrase) const
{
    const int slot = crypt_activate_by_passphrase(device_.get(), nullptr, CRYPT_ANY_SLOT, passphrase.data(),
                                                  passphrase.size(), 0);
    if (slot == -EPERM || slot == -ENOENT)
        wrongPassphrase(file_);
    if (slot < 0)
        fail("cannot check a passphrase on " + file_.string(), slot);
    return slot;
}

void LuksContainer::setKdf(const KdfCost& cost)
{
    crypt_pbkdf_type pbkdf{};
    pbkdf.type = CRYPT_KDF_ARGON2ID;
    pbkdf.hash = "sha256";
    pbkdf.iterations = cost.iterations;
    pbkdf.max_memory_kb = cost.memoryKiB;
    pbkdf.parallel_threads = cost.parallelThreads;
    pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
    if (const int result = crypt_set_pbkdf_type(device_.get(), &pbkdf); result < 0)
        fail("the key derivation cost was refused", result);
}

int LuksContainer::addKey(std::string_view existing, std::string_view newPassphrase, const KdfCost& cost)
{
    if (newPassphrase.empty())
        throw std::invalid_argument("an empty passphrase cannot protect a volume");
    setKdf(cost);
    const int slot = crypt_keyslot_add_by_passphrase(device_.get(), CRYPT_ANY_SLOT, existing.data(),
                                                     existing.size(), newPassphrase.data(), newPassphrase.size());
    if (slot == -EPERM || slot == -ENOENT)
        wrongPassphrase(file_);
    if (slot < 0)
        fail("cannot add a key slot to " + file_.string(), slot);
    return slot;
}

int LuksContainer::changeKey(std::string_view existing, std::string_view newPassphrase, const KdfCost& cost)
{
    if (newPassphrase.empty())
        throw std::invalid_argument("an empty passphrase cannot protect a volume");
    setKdf(cost);
    const int slot = crypt_keyslot_change_by_passphrase(device_.get(), CRYPT_ANY_SLOT, CRYPT_ANY_SLOT,
                                                        existing.data(), existing.size(), newPassphrase.data(),
                                                        newPassphrase.size());
    if (slot == -EPERM || slot == -ENOENT)
        wrongPassphrase(file_);
    if (slot < 0)
        fail("cannot change a key of " + file_.string(), slot);
    return slot;
}

void LuksContainer::revokeKey(int slot)
{
    const auto status = crypt_keyslot_status(device_.get(), slot);
    if (status == CRYPT_SLOT_ACTIVE_LAST)
        throw VolumeError(VolumeFailure::LastKey,
                          "key slot " + std::to_string(slot) + " is the last one of " + file_.string() +
                              "; add another key first, or the volume can never be opened again");
    if (status != CRYPT_SLOT_ACTIVE)
        throw std::invalid_argument("key slot " + std::to_string(slot) + " of " + file_.string() + " is not in use");
    if (const int result = crypt_keyslot_destroy(device_.get(), slot); result < 0)
        fail("cannot destroy key slot " + std::to_string(slot), result);
}

void LuksContainer::backupHeader(const std::filesystem::path& backup) const
{
    if (std::filesystem::exists(backup))
        throw VolumeError(VolumeFailure::InUse, backup.string() + " already exists; choose a new file for the backup");
    if (const int result = crypt_header_backup(device_.get(), CRYPT_LUKS2, backup.c_str()); result < 0)
        fail("cannot back up the header of " + file_.string() + " to " + backup.string(), result);
    ::chmod(backup.c_str(), 0600);
}

SecretBytes LuksContainer::volumeKey(std::string_view passphrase) const
{
    SecretBytes key(static_cast<std::size_t>(crypt_get_volume_key_size(device_.get())));
    std::size_t size = key.size();
    const int slot = crypt_volume_key_get(device_.get(), CRYPT_ANY_SLOT, reinterpret_cast<char*>(key.data()),
                                          &size, passphrase.data(), passphrase.size());
    if (slot == -EPERM || slot == -ENOENT)
        wrongPassphrase(file_);
    if (slot < 0)
        fail("cannot unlock " + file_.string(), slot);
    key.truncate(size);
    return key;
}

void LuksContainer::setSubsystem(const std::string& subsystem)
{
    const std::string label = crypt_get_label(device_.get()) ? crypt_get_label(device_.get()) : "";
    if (const int result = crypt_set_label(device_.get(), label.c_str(), subsystem.c_str()); result < 0)
        fail("cannot update the header of " + file_.string(), result);
}

void LuksContainer::setLabels(const std::string& label, const std::string& subsystem)
{
    if (const int result = crypt_set_label(device_.get(), label.c_str(), subsystem.c_str()); result < 0)
        fail("cannot update the header of " + file_.string(), result);
}

void LuksContainer::activate(const std::string& name, const SecretBytes& volumeKey)
{
    // By the volume key volumeKey() derived: activating by passphrase would run the key
    // slot's argon2id a second time (seconds at the default cost).
    const int result =
        crypt_activate_by_volume_key(device_.get(), name.c_str(), volumeKey.chars(), volumeKey.size(), 0);
    if (result == -EPERM)
        wrongPassphrase(file_);
    if (result < 0)
        fail("cannot map " + file_.string() + " with dm-crypt as " + name, result);
}

void LuksContainer::deactivate(const std::string& name)
{
    installLogCallback();
    crypt_device* raw = nullptr;
    if (const int result = crypt_init_by_name(&raw, name.c_str()); result < 0)
        fail("no dm-crypt mapping " + name, result);
    DeviceHandle device(raw);
    if (const int result = crypt_deactivate(device.get(), name.c_str()); result < 0)
        fail("cannot remove the dm-crypt mapping " + name, result);
}

KeyslotOpenCounter::KeyslotOpenCounter()
{
    installLogCallback();
    keyslotOpens = 0;
    countingKeyslotOpens = true;
    crypt_set_debug_level(CRYPT_DEBUG_ALL);
}

KeyslotOpenCounter::~KeyslotOpenCounter()
{
    crypt_set_debug_level(CRYPT_DEBUG_NONE);
    countingKeyslotOpens = false;
}

int KeyslotOpenCounter::count() const
{
    return keyslotOpens;
}

} // namespace parley::volume
