#include "volume_commands.h"

#include "password_input.h"

#include <parley/volume/volume_error.h>
#include <parley/volume/volume_manager.h>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <limits>
#include <map>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::parleyctl {

namespace {

using volume::VolumeError;
using volume::VolumeFailure;

constexpr int kExitNoPermission = 77; // EX_NOPERM
constexpr std::size_t kMaxKeyFileBytes = 8 * 1024 * 1024; // cryptsetup's own limit

/// --name VALUE options and positional words.
struct Arguments
{
    std::map<std::string, std::string> options;
    std::vector<std::string> words;
    std::vector<std::string> flags;

    bool has(const std::string& flag) const
    {
        return std::find(flags.begin(), flags.end(), flag) != flags.end();
    }
    std::string option(const std::string& name) const
    {
        const auto found = options.find(name);
        return found == options.end() ? std::string() : found->second;
    }
};

Arguments parse(const std::vector<std::string>& arguments, const std::vector<std::string>& valueOptions,
                const std::vector<std::string>& flagOptions)
{
    Arguments parsed;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (std::find(valueOptions.begin(), valueOptions.end(), argument) != valueOptions.end()) {
            if (i + 1 >= arguments.size())
                throw std::invalid_argument(argument + " needs a value");
            parsed.options[argument] = arguments[++i];
        }
        else if (std::find(flagOptions.begin(), flagOptions.end(), argument) != flagOptions.end())
            parsed.flags.push_back(argument);
        else if (argument.starts_with("--"))
            throw std::invalid_argument("unknown option " + argument);
        else
            parsed.words.push_back(argument);
    }
    return parsed;
}

std::uint64_t parseSize(const std::string& text)
{
    std::size_t used = 0;
    unsigned long long number = 0;
    // stoull would take "-5G" (wrapping around) and " 5G"; only digits may start a size.
    if (text.empty() || text[0] < '0' || text[0] > '9')
        throw std::invalid_argument("--size expects a number with an optional M, G or T suffix, got '" + text + "'");
    try {
        number = std::stoull(text, &used);
    }
    catch (const std::exception&) {
        throw std::invalid_argument("--size expects a number with an optional M, G or T suffix, got '" + text + "'");
    }
    const std::string suffix = text.substr(used);
    std::uint64_t unit = 1;
    if (suffix == "M" || suffix == "MiB")
        unit = 1ull << 20;
    else if (suffix == "G" || suffix == "GiB")
        unit = 1ull << 30;
    else if (suffix == "T" || suffix == "TiB")
        unit = 1ull << 40;
    else if (!suffix.empty())
        throw std::invalid_argument("--size expects a number with an optional M, G or T suffix, got '" + text + "'");
    if (number > std::numeric_limits<std::uint64_t>::max() / unit)
        throw std::invalid_argument("--size " + text + " is larger than any disk");
    return number * unit;
}

/// A key file's bytes, used as the passphrase exactly as cryptsetup's --key-file does. The
/// file must be root's and readable by nobody else: a key anyone can read protects nothing.
volume::SecretBytes readKeyFile(const std::filesystem::path& file)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        throw VolumeError(VolumeFailure::SystemError, "cannot open key file " + file.string() + ": " + std::strerror(errno));
    struct stat status{};
    ::fstat(fd, &status);
    if (!S_ISREG(status.st_mode) || status.st_uid != 0 || (status.st_mode & 077) != 0) {
        ::close(fd);
        std::ostringstream mode;
        mode << std::oct << (status.st_mode & 0777);
        throw VolumeError(VolumeFailure::SystemError,
                          "key file " + file.string() + " must be a regular file owned by root with mode 0600 or "
                                                         "0400 (it has owner " + std::to_string(status.st_uid) +
                              ", mode 0" + mode.str() + ")");
    }
    if (status.st_size <= 0 || static_cast<std::size_t>(status.st_size) > kMaxKeyFileBytes) {
        ::close(fd);
        throw VolumeError(VolumeFailure::SystemError, "key file " + file.string() + " is empty or larger than 8 MiB");
    }
    volume::SecretBytes key(static_cast<std::size_t>(status.st_size));
    std::size_t done = 0;
    while (done < key.size()) {
        const ssize_t got = ::read(fd, key.data() + done, key.size() - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        done += static_cast<std::size_t>(got);
    }
    ::close(fd);
    key.truncate(done);
    return key;
}

volume::SecretBytes fromText(const std::string& text)
{
    return volume::SecretBytes(text.data(), text.size());
}

std::string_view view(const volume::SecretBytes& secret)
{
    return {secret.chars(), secret.size()};
}

/// The key that opens the volume: --key-file, else a passphrase from the terminal or stdin.
volume::SecretBytes existingKey(const Arguments& arguments, const std::string& prompt)
{
    const std::string file = arguments.option("--key-file");
    return file.empty() ? fromText(readPassword(prompt)) : readKeyFile(file);
}

/// A new key: --new-key-file, else a new passphrase (asked twice on a terminal).
volume::SecretBytes newKey(const Arguments& arguments)
{
    const std::string file = arguments.option("--new-key-file");
    if (!file.empty())
        return readKeyFile(file);
    std::cerr << "New passphrase for the volume." << std::endl;
    return fromText(readNewPassword());
}

std::string detailsJson(const std::map<std::string, Poco::Dynamic::Var>& fields)
{
    Poco::JSON::Object object;
    for (const auto& [name, value] : fields)
        object.set(name, value);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

void audit(OfflineContext& context, const std::string& action, const std::string& uuid, bool success,
           const std::map<std::string, Poco::Dynamic::Var>& details = {})
{
    context.audit->append({context.actor.name, context.actor.address, action, "volume:" + uuid,
                           success ? "success" : "failure", detailsJson(details)});
}

std::string uuidOf(const volume::VolumeManager& manager)
{
    try {
        return volume::LuksContainer::open(manager.location().container).info().uuid;
    }
    catch (const VolumeError&) {
        return manager.location().container.string();
    }
}

/// Runs `action`; a wrong key is audited as a failure of `auditAction` before it is reported.
template <typename Action>
auto withKeyCheck(OfflineContext& context, const std::string& auditAction, const std::string& uuid, Action action)
{
    try {
        return action();
    }
    catch (const VolumeError& e) {
        if (e.failure() == VolumeFailure::WrongPassphrase)
            audit(context, auditAction, uuid, false, {{"reason", std::string("wrong_key")}});
        throw;
    }
}

/// The engine to use: --engine, else volume.engine. When `auto` cannot have dm-crypt the
/// fallback and its reason go to standard error (the journal, under systemd) and the audit.
volume::EngineChoice chooseEngine(const Arguments& arguments, const parleyd::Settings& settings)
{
    const auto requested = arguments.option("--engine").empty() ? settings.volumeEngine
                                                                : volume::parseEngine(arguments.option("--engine"));
    auto choice = volume::VolumeManager::engineFor(requested);
    if (!choice.note.empty())
        std::cerr << "parleyctl: " << choice.note << std::endl;
    return choice;
}

void printStatus(const volume::VolumeManager& manager)
{
    const auto status = manager.status();
    const auto& location = manager.location();
    std::cout << "container:   " << location.container.string();
    if (status.containerBytes > 0)
        std::cout << " (" << status.containerBytes / (1024 * 1024) << " MiB)";
    std::cout << "\n";
    if (status.header) {
        const auto& header = *status.header;
        std::cout << "uuid:        " << header.uuid << "\n"
                  << "cipher:      " << header.cipher << ", " << header.volumeKeyBits << "-bit key, "
                  << header.sectorSize << "-byte sectors\n"
                  << "key slots:   ";
        for (std::size_t i = 0; i < header.keyslots.size(); ++i)
            std::cout << (i ? ", " : "") << header.keyslots[i];
        std::cout << " (" << header.keyslots.size() << " in use)\n"
                  << "file system: " << (header.subsystem == "ext4" ? "ext4" : "not made yet (first unlock)") << "\n";
    }
    else
        std::cout << "header:      " << status.headerProblem << "\n";
    std::cout << "mount point: " << location.mountPoint.string() << "\n";
    if (status.mounted) {
        std::cout << "state:       unlocked, " << volume::engineName(status.mounted->engine) << " engine ("
                  << status.mounted->device;
        if (status.enginePid)
            std::cout << ", FUSE process " << status.enginePid;
        std::cout << ")\n"
                  << "space:       " << status.mounted->freeBytes / (1024 * 1024) << " MiB free of "
                  << status.mounted->sizeBytes / (1024 * 1024) << " MiB\n";
    }
    else
        std::cout << "state:       locked (" << status.lockedReason << ")\n";
}

} // namespace

int runVolumeCommand(OfflineContext& context, const std::string& subcommand, const std::vector<std::string>& rest)
{
    const auto& settings = context.settings;
    volume::VolumeManager manager(settings.volume);

    if (subcommand == "status") {
        parse(rest, {}, {});
        printStatus(manager);
        return manager.status().mounted ? 0 : 3; // like systemctl: 3 = not active
    }
    if (::geteuid() != 0) {
        std::cerr << "parleyctl: volume " << subcommand
                  << " must run as root: it manages loop devices, device-mapper and mounts" << std::endl;
        return kExitNoPermission;
    }
    // Every command below works on the container as root, by path: nobody else may be able
    // to swap it (create checks the same once the directory exists).
    if (subcommand != "create")
        volume::requireProtectedPath(settings.volume.container);

    if (subcommand == "create") {
        const auto arguments = parse(rest, {"--size", "--sector-size", "--key-file"}, {});
        if (arguments.option("--size").empty() || !arguments.words.empty())
            throw std::invalid_argument("volume create needs --size SIZE (e.g. 500G)");
        volume::ContainerOptions options;
        options.sizeBytes = parseSize(arguments.option("--size"));
        if (!arguments.option("--sector-size").empty())
            options.sectorSize = static_cast<std::uint32_t>(std::stoul(arguments.option("--sector-size")));
        options.kdf = settings.volumeKdf;
        const auto key = arguments.option("--key-file").empty() ? newKey(arguments)
                                                                : readKeyFile(arguments.option("--key-file"));
        const auto container = manager.create(view(key), options);
        const auto info = container.info();
        audit(context, "volume.create", info.uuid, true,
              {{"size_bytes", options.sizeBytes}, {"sector_size", options.sectorSize}});
        std::cout << "created volume " << info.uuid << " in " << settings.volume.container.string()
                  << "\nBack up its header now: parleyctl volume backup-header FILE" << std::endl;
        return 0;
    }
    if (subcommand == "unlock") {
        const auto arguments = parse(rest, {"--key-file", "--engine"}, {"--at-boot"});
        if (!arguments.words.empty())
            throw std::invalid_argument("volume unlock takes no positional arguments");
        volume::UnlockOptions options;
        const auto engine = chooseEngine(arguments, settings);
        options.engine = engine.engine;
        if (!settings.volumeOwner.empty()) {
            const passwd* owner = ::getpwnam(settings.volumeOwner.c_str());
            if (owner == nullptr)
                throw VolumeError(VolumeFailure::SystemError,
                                  "volume.owner names the account '" + settings.volumeOwner + "', which does not exist");
            options.ownerUid = owner->pw_uid;
            options.ownerGid = owner->pw_gid;
        }
        volume::SecretBytes key;
        if (arguments.has("--at-boot")) {
            if (settings.volumeKeyFile.empty())
                throw std::invalid_argument("--at-boot needs volume.key_file in the configuration");
            key = readKeyFile(settings.volumeKeyFile);
        }
        else
            key = existingKey(arguments, "Passphrase for the recording volume: ");
        const std::string uuid = uuidOf(manager);
        const auto volume = withKeyCheck(context, "volume.unlock", uuid, [&] { return manager.unlock(view(key), options); });
        std::map<std::string, Poco::Dynamic::Var> details{{"engine", volume::engineName(volume.engine)}};
        if (!engine.note.empty())
            details["engine_note"] = engine.note;
        audit(context, "volume.unlock", volume.uuid, true, details);
        std::cout << "unlocked volume " << volume.uuid << " at " << settings.volume.mountPoint.string() << " ("
                  << volume::engineName(volume.engine) << " engine, " << volume.freeBytes / (1024 * 1024)
                  << " MiB free)" << std::endl;
        return 0;
    }
    if (subcommand == "lock") {
        parse(rest, {}, {});
        const std::string uuid = uuidOf(manager);
        if (manager.lock()) {
            audit(context, "volume.lock", uuid, true);
            std::cout << "locked volume " << uuid << std::endl;
        }
        else
            std::cout << "volume " << uuid << " was not unlocked" << std::endl;
        return 0;
    }
    if (subcommand == "add-key") {
        const auto arguments = parse(rest, {"--key-file", "--new-key-file"}, {});
        auto container = volume::LuksContainer::open(settings.volume.container);
        const std::string uuid = container.info().uuid;
        const auto existing = existingKey(arguments, "An existing passphrase of the volume: ");
        withKeyCheck(context, "volume.key_add", uuid, [&] { return container.verify(view(existing)); });
        const auto added = newKey(arguments);
        const int slot = container.addKey(view(existing), view(added), settings.volumeKdf);
        audit(context, "volume.key_add", uuid, true, {{"slot", slot}});
        std::cout << "added key slot " << slot << std::endl;
        return 0;
    }
    if (subcommand == "change-key") {
        const auto arguments = parse(rest, {"--key-file", "--new-key-file"}, {});
        auto container = volume::LuksContainer::open(settings.volume.container);
        const std::string uuid = container.info().uuid;
        const auto existing = existingKey(arguments, "The passphrase to change: ");
        const int oldSlot =
            withKeyCheck(context, "volume.key_change", uuid, [&] { return container.verify(view(existing)); });
        const auto replacement = newKey(arguments);
        const int slot = container.changeKey(view(existing), view(replacement), settings.volumeKdf);
        audit(context, "volume.key_change", uuid, true, {{"from_slot", oldSlot}, {"slot", slot}});
        std::cout << "changed the key of slot " << oldSlot << "; it is now in slot " << slot << std::endl;
        return 0;
    }
    if (subcommand == "revoke-key") {
        const auto arguments = parse(rest, {"--key-file"}, {});
        if (arguments.words.size() != 1)
            throw std::invalid_argument("volume revoke-key needs the SLOT number (see volume status)");
        const int slot = std::stoi(arguments.words[0]);
        auto container = volume::LuksContainer::open(settings.volume.container);
        const std::string uuid = container.info().uuid;
        // Proof of a key that stays: nobody revokes keys of a volume they cannot open, and
        // nobody revokes the key they would need next.
        const auto remaining = existingKey(arguments, "A passphrase that stays valid: ");
        const int provenSlot =
            withKeyCheck(context, "volume.key_revoke", uuid, [&] { return container.verify(view(remaining)); });
        if (provenSlot == slot)
            throw std::invalid_argument("that passphrase is the one in slot " + std::to_string(slot) +
                                        "; give a key that stays valid");
        container.revokeKey(slot);
        audit(context, "volume.key_revoke", uuid, true, {{"slot", slot}});
        std::cout << "destroyed key slot " << slot << std::endl;
        return 0;
    }
    if (subcommand == "backup-header" || subcommand == "restore-header") {
        const auto arguments = parse(rest, {}, {});
        if (arguments.words.size() != 1)
            throw std::invalid_argument("volume " + subcommand + " needs the backup FILE");
        const std::filesystem::path file = std::filesystem::absolute(arguments.words[0]);
        if (subcommand == "backup-header") {
            const auto container = volume::LuksContainer::open(settings.volume.container);
            container.backupHeader(file);
            audit(context, "volume.header_backup", container.info().uuid, true, {{"file", file.string()}});
            std::cout << "header of " << settings.volume.container.string() << " saved to " << file.string()
                      << "\nKeep it apart from the volume: with any passphrase valid at this time it opens the "
                         "volume, even after that key is revoked."
                      << std::endl;
            return 0;
        }
        volume::LuksContainer::restoreHeader(settings.volume.container, file);
        const std::string uuid = volume::LuksContainer::open(settings.volume.container).info().uuid;
        audit(context, "volume.header_restore", uuid, true, {{"file", file.string()}});
        std::cout << "header of " << settings.volume.container.string() << " restored from " << file.string() << std::endl;
        return 0;
    }
    if (subcommand == "check") {
        const auto arguments = parse(rest, {"--key-file", "--engine"}, {});
        if (!arguments.words.empty())
            throw std::invalid_argument("volume check takes no positional arguments");
        const auto engine = chooseEngine(arguments, settings).engine;
        const auto key = existingKey(arguments, "Passphrase for the recording volume: ");
        const auto result = manager.checkFilesystem(view(key), engine);
        if (!result.sizeProblem.empty()) {
            std::cout << "container too short: " << result.sizeProblem << std::endl;
            return 1;
        }
        std::cout << result.output;
        std::cout << (result.clean() ? "file system clean"
                                     : "file system has errors: lock the volume and run `e2fsck -f` on the "
                                       "decrypted device (docs/storage.md, \"Recovery with stock tools\")")
                  << std::endl;
        return result.clean() ? 0 : 1;
    }
    if (subcommand == "adopt") {
        const auto arguments = parse(rest, {"--key-file", "--engine"}, {"--format"});
        if (!arguments.words.empty())
            throw std::invalid_argument("volume adopt takes no positional arguments");
        volume::AdoptOptions options;
        options.engine = chooseEngine(arguments, settings).engine;
        options.format = arguments.has("--format");
        const std::string uuid = uuidOf(manager);
        const auto key = existingKey(arguments, "Passphrase of the LUKS2 container: ");
        volume::AdoptResult adopted;
        try {
            adopted = withKeyCheck(context, "volume.adopt", uuid, [&] { return manager.adopt(view(key), options); });
        }
        catch (const VolumeError& e) {
            // Refusals are on record too (a wrong key was audited above, with its reason).
            if (e.failure() != VolumeFailure::WrongPassphrase)
                audit(context, "volume.adopt", uuid, false, {{"reason", std::string(e.what())}});
            throw;
        }
        audit(context, "volume.adopt", adopted.info.uuid, true,
              {{"previous_label", adopted.previousLabel},
               {"formatted", adopted.formatted},
               {"previous_content", adopted.previousContent},
               {"engine", volume::engineName(adopted.engine)}});
        std::cout << "adopted volume " << adopted.info.uuid << " in " << settings.volume.container.string()
                  << (adopted.formatted ? " (made an ext4 file system in it)" : " (its ext4 file system is kept)")
                  << (adopted.previousLabel.empty() ? "" : "; its label was '" + adopted.previousLabel + "'")
                  << ".\nUnlock it with: parleyctl volume unlock"
                  << "\nBack up its header now: parleyctl volume backup-header FILE" << std::endl;
        return 0;
    }
    throw std::invalid_argument("unknown volume command '" + subcommand + "'");
}

} // namespace parley::parleyctl
