#include "backup_commands.h"

#include "backup_steps.h"

#include <parley/backup/archive.h>
#include <parley/backup/archive_error.h>
#include <parley/backup/backup_directory.h>

#include <iomanip>
#include <iostream>
#include <map>

namespace parley::parleyctl {
namespace {

namespace fs = std::filesystem;

/// Options given as `--name VALUE`, and the remaining words.
struct Parsed
{
    std::map<std::string, std::string> options;
    std::vector<std::string> words;
};

Parsed parse(const std::vector<std::string>& arguments, std::initializer_list<const char*> allowed)
{
    Parsed parsed;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const auto& argument = arguments[i];
        if (!argument.starts_with("--")) {
            parsed.words.push_back(argument);
            continue;
        }
        if (std::find_if(allowed.begin(), allowed.end(), [&](const char* name) { return argument == name; }) ==
            allowed.end())
            throw std::invalid_argument("unknown option " + argument);
        if (i + 1 >= arguments.size())
            throw std::invalid_argument(argument + " needs a value");
        parsed.options[argument] = arguments[++i];
    }
    return parsed;
}

/// The key file named by --key-file, else by backup.key_file.
fs::path keyFileFor(const parleyd::Settings& settings, const Parsed& parsed)
{
    const auto option = parsed.options.find("--key-file");
    const fs::path file = option != parsed.options.end() ? fs::path(option->second) : settings.backupKeyFile;
    if (file.empty())
        throw std::invalid_argument("no backup key: set backup.key_file in the configuration or give --key-file FILE");
    return file;
}

backup::BackupKey keyFor(const parleyd::Settings& settings, const Parsed& parsed)
{
    return backup::readBackupKeyFile(keyFileFor(settings, parsed));
}

int verify(const parleyd::Settings& settings, const Parsed& parsed)
{
    if (parsed.words.size() != 1)
        throw std::invalid_argument("backup verify needs the archive FILE");
    const auto key = keyFor(settings, parsed);
    try {
        const auto contents = backup::readArchive(parsed.words[0], key, nullptr);
        std::cout << parsed.words[0] << ": intact (format " << contents.header.format << ", made "
                  << contents.header.created << ", key id " << contents.header.keyId << ", " << contents.archiveBytes
                  << " bytes)\n";
        for (const auto& member : contents.members)
            std::cout << "  " << member.name << "  " << member.size << " bytes  sha256 " << member.sha256 << "\n";
        return 0;
    }
    catch (const backup::ArchiveError& e) {
        std::cerr << "parleyctl: " << e.what() << std::endl;
        return 1;
    }
}

int list(const parleyd::Settings& settings, const Parsed& parsed)
{
    if (parsed.words.size() > 1)
        throw std::invalid_argument("backup list takes at most one DIRECTORY");
    const fs::path directory = parsed.words.empty() ? settings.backupDirectory : fs::path(parsed.words[0]);
    if (directory.empty())
        throw std::invalid_argument("no backup directory: set backup.directory in the configuration or name one");
    const auto backups = backup::listBackups(directory);
    std::cout << std::left << std::setw(22) << "created" << std::setw(14) << "bytes" << std::setw(8) << "format"
              << "file\n";
    for (const auto& found : backups) {
        std::string created;
        std::string format;
        try {
            const auto header = backup::readArchiveHeader(found.path);
            created = header.created;
            format = std::to_string(header.format);
        }
        catch (const backup::ArchiveError& e) {
            created = "(unreadable)";
            format = e.failure() == backup::ArchiveFailure::NewerFormat ? "newer" : "?";
        }
        std::cout << std::setw(22) << created << std::setw(14) << found.size << std::setw(8) << format
                  << found.path.filename().string() << "\n";
    }
    std::cout << backups.size() << " backup" << (backups.size() == 1 ? "" : "s") << " in " << directory.string()
              << std::endl;
    return 0;
}

} // namespace

int createBackupKey(const std::vector<std::string>& arguments)
{
    if (arguments.size() != 1 || arguments[0].starts_with("--"))
        throw std::invalid_argument("backup create-key needs the FILE to write");
    backup::createBackupKeyFile(arguments[0]);
    const auto key = backup::readBackupKeyFile(arguments[0]);
    std::cout << "backup key written to " << arguments[0] << " (key id " << key.id()
              << "). Keep a copy away from this server and its backups: without it no backup can be restored."
              << std::endl;
    return 0;
}

int runBackupCommand(const parleyd::Settings& settings, const std::optional<fs::path>& configFile,
                     const std::string& subcommand, const std::vector<std::string>& arguments)
{
    if (subcommand == "create") {
        const auto parsed = parse(arguments, {"--to", "--key-file"});
        if (!parsed.words.empty())
            throw std::invalid_argument("backup create takes no positional arguments");
        const auto to = parsed.options.find("--to");
        const fs::path directory = to != parsed.options.end() ? fs::path(to->second) : settings.backupDirectory;
        if (directory.empty())
            throw std::invalid_argument("no backup directory: set backup.directory in the configuration or give --to DIR");
        const auto keyFile = keyFileFor(settings, parsed);
        // Only the configured directory is pruned: --to elsewhere makes a one-off copy.
        const bool prune = !settings.backupDirectory.empty() &&
                           fs::weakly_canonical(directory) == fs::weakly_canonical(settings.backupDirectory);
        return createBackup(settings, configFile, keyFile, fs::absolute(directory), prune);
    }
    if (subcommand == "verify")
        return verify(settings, parse(arguments, {"--key-file"}));
    if (subcommand == "list")
        return list(settings, parse(arguments, {}));
    if (subcommand == "restore") {
        const auto parsed = parse(arguments, {"--to", "--key-file"});
        const auto to = parsed.options.find("--to");
        if (parsed.words.size() != 1 || to == parsed.options.end())
            throw std::invalid_argument("backup restore needs the archive FILE and --to DATA_DIR");
        return restoreBackup(parsed.words[0], keyFor(settings, parsed), to->second);
    }
    if (subcommand == "configured") {
        if (!arguments.empty())
            throw std::invalid_argument("backup configured takes no arguments");
        if (settings.backupDirectory.empty() || settings.backupKeyFile.empty()) {
            std::cout << "scheduled backups are off: backup.directory and backup.key_file must both be set" << std::endl;
            return 1;
        }
        std::cout << "scheduled backups go to " << settings.backupDirectory.string() << std::endl;
        return 0;
    }
    if (subcommand == "create-key")
        return createBackupKey(arguments);
    throw std::invalid_argument("unknown backup command '" + subcommand + "'");
}

} // namespace parley::parleyctl
