// parleyctl: administration from a shell, on the server's database directly or through the
// running server's REST API.
#include "api_session.h"
#include "audit_commands.h"
#include "backup_commands.h"
#include "metrics_commands.h"
#include "offline_context.h"
#include "online_commands.h"
#include "password_input.h"
#include "service_commands.h"
#include "user_commands.h"
#include "volume_commands.h"

#include <parley/parleyd/config_error.h>
#include <parley/parleyd/install_layout.h>
#include <parley/portal/accounts/account_service.h>
#include <parley/storage/database.h>
#include <parley/storage/migrator.h>
#include <parley/volume/volume_error.h>

#include <Poco/Exception.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <sys/stat.h>

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitData = 65;
constexpr int kExitConfig = 78;

void usage()
{
    std::cerr <<
        "usage: parleyctl [--config FILE] [--set SECTION.KEY=VALUE ...] COMMAND\n"
        "       parleyctl --server https://HOST:PORT --user ADMIN [--ca-file PEM] COMMAND\n"
        "\n"
        "The first form works on the database named by the configuration (the same\n"
        "--config/--set as parleyd; safe while the server runs). The second goes through the\n"
        "running server's REST API as ADMIN, whose password is read from PARLEYCTL_PASSWORD,\n"
        "asked for on the terminal, or taken from the first line of standard input; the\n"
        "server's certificate is checked against PEM (e.g. <data_dir>/tls/selfsigned.crt) or\n"
        "the system's CAs.\n"
        "\n"
        "commands:\n"
        "  user create-admin NAME [--display-name TEXT] [--generate-password]\n"
        "      create an administrator; the password is asked for (twice, hidden), read from\n"
        "      standard input when it is not a terminal, or generated and printed once\n"
        "  user reset-password NAME [--generate-password]\n"
        "      set a new password and end the user's sessions\n"
        "  user list\n"
        "      list every account\n"
        "  database schema\n"
        "      print the schema version of the database ('database N', 0 when there is none)\n"
        "      and the newest this parleyctl knows ('parleyctl M'), without changing anything\n"
        "  tls fingerprint\n"
        "      print the SHA-256 fingerprint of the certificate the server presents\n"
        "  audit verify\n"
        "      recompute the audit log's hash chain; exit 1 naming the first entry that was\n"
        "      altered, inserted or removed\n"
        "  metrics create-token\n"
        "      make the bearer token a Prometheus scraper presents at GET /metrics and print it\n"
        "      once (only its SHA-256 is stored); a previous token stops working\n"
        "  metrics revoke-token\n"
        "      forget the token: /metrics then answers nobody\n"
        "  audit verify-export FILE\n"
        "      check an export (JSON Lines or CSV from GET /api/v1/audit/export) by itself, with\n"
        "      no server or database: each entry's hash, the links between entries and the\n"
        "      head line; exit 1 naming the first altered or missing entry\n"
        "\n"
        "backups ([backup] in the configuration; docs/operations.md):\n"
        "  backup create-key FILE\n"
        "      write a new random backup key (mode 0400); keep a copy away from the server\n"
        "  backup create [--to DIR] [--key-file FILE]\n"
        "      one encrypted archive of the database (copied while the server runs), the\n"
        "      configuration, the audit key, <data_dir>/tls and the volume's LUKS header;\n"
        "      into backup.directory (then pruned: backup.keep_hourly/keep_daily) or DIR\n"
        "  backup verify FILE [--key-file FILE]\n"
        "      check every record and member; exit 1 naming the first damaged one\n"
        "  backup list [DIR]\n"
        "      the backups in backup.directory (or DIR): time, size, format version\n"
        "  backup restore FILE --to DATA_DIR [--key-file FILE]\n"
        "      onto a fresh installation: refused while parleyd runs there or when DATA_DIR\n"
        "      holds a database\n"
        "  backup configured\n"
        "      exit 0 when backup.directory and backup.key_file are set (parley-backup.service\n"
        "      runs only then), else 1\n"
        "\n"
        "recording volume ([volume] in the configuration; as root; docs/storage.md):\n"
        "  volume create --size SIZE [--sector-size 4096|512] [--key-file FILE]\n"
        "      make the encrypted container (LUKS2, aes-xts-plain64, argon2id); the passphrase\n"
        "      is asked for twice, or read from standard input, or the key file's bytes\n"
        "  volume unlock [--key-file FILE | --at-boot] [--engine auto|kernel|userspace]\n"
        "      open and mount it (the file system is made on the first unlock); --at-boot\n"
        "      uses volume.key_file\n"
        "  volume lock\n"
        "      unmount it and forget the key\n"
        "  volume status\n"
        "      header, key slots, engine, space; exit 3 when locked\n"
        "  volume add-key [--key-file FILE] [--new-key-file FILE]\n"
        "  volume change-key [--key-file FILE] [--new-key-file FILE]\n"
        "  volume revoke-key SLOT [--key-file FILE]\n"
        "      destroy a key slot, proven with another key that stays valid\n"
        "  volume backup-header FILE | restore-header FILE\n"
        "  volume check [--key-file FILE] [--engine auto|kernel|userspace]\n"
        "      the container's size against its header and file system, then a full\n"
        "      read-only e2fsck of the locked volume; exit 1 if anything is wrong\n"
        "  volume adopt [--key-file FILE] [--engine auto|kernel|userspace] [--format]\n"
        "      make a LUKS2 container made with `cryptsetup luksFormat` a Parley volume: it\n"
        "      must open with the key and hold ext4 (checked); --format makes ext4 in one\n"
        "      that holds none, erasing it\n"
        "  volume boot-key\n"
        "      exit 0 when volume.key_file is set and the container exists (parley-volume.service\n"
        "      unlocks the volume at boot only then), else 1 saying why\n";
}

} // namespace

int main(int argc, char** argv)
{
    ::umask(077);
    std::optional<std::filesystem::path> configFile;
    std::vector<std::string> overrides;
    std::vector<std::string> command;
    std::string server;
    std::string adminUser;
    std::string caFile;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (command.empty() && arg == "--server" && i + 1 < argc)
            server = argv[++i];
        else if (command.empty() && arg == "--user" && i + 1 < argc)
            adminUser = argv[++i];
        else if (command.empty() && arg == "--ca-file" && i + 1 < argc)
            caFile = argv[++i];
        else if (command.empty() && (arg == "--config" || arg == "-c") && i + 1 < argc)
            configFile = argv[++i];
        else if (command.empty() && (arg == "--set" || arg == "-s") && i + 1 < argc)
            overrides.push_back(argv[++i]);
        else if (command.empty() && arg.starts_with("--set="))
            overrides.push_back(arg.substr(6));
        else if (command.empty() && (arg == "--help" || arg == "-h")) {
            usage();
            return 0;
        }
        else
            command.push_back(arg);
    }
    if (command.size() < 2) {
        usage();
        return kExitUsage;
    }
    const std::vector<std::string> rest(command.begin() + 2, command.end());
    if (!server.empty()) {
        if (adminUser.empty()) {
            std::cerr << "parleyctl: --server needs --user ADMIN" << std::endl;
            return kExitUsage;
        }
        try {
            parley::parleyctl::ApiSession api(server, caFile);
            const char* fromEnvironment = std::getenv("PARLEYCTL_PASSWORD");
            api.login(adminUser, fromEnvironment ? fromEnvironment
                                                 : parley::parleyctl::readPassword("Password for " + adminUser + ": "));
            return parley::parleyctl::runOnline(api, command);
        }
        catch (const std::invalid_argument& e) {
            std::cerr << "parleyctl: " << e.what() << std::endl;
            usage();
            return kExitUsage;
        }
        catch (const Poco::Exception& e) {
            std::cerr << "parleyctl: cannot talk to " << server << ": " << e.displayText() << std::endl;
            return 69; // EX_UNAVAILABLE
        }
        catch (const std::exception& e) {
            std::cerr << "parleyctl: " << e.what() << std::endl;
            return 1;
        }
    }
    if (command[0] == "audit" && command[1] == "verify-export") {
        try {
            return parley::parleyctl::verifyAuditExportFile(rest);
        }
        catch (const std::invalid_argument& e) {
            std::cerr << "parleyctl: " << e.what() << std::endl;
            usage();
            return kExitUsage;
        }
    }
    if (command[0] == "backup" && command[1] == "create-key") {
        try {
            return parley::parleyctl::createBackupKey(rest);
        }
        catch (const std::invalid_argument& e) {
            std::cerr << "parleyctl: " << e.what() << std::endl;
            usage();
            return kExitUsage;
        }
        catch (const std::exception& e) {
            std::cerr << "parleyctl: " << e.what() << std::endl;
            return 1;
        }
    }
    // An installed parleyctl (the package) works on the server's /etc/parley/parley.ini.
    if (!configFile)
        configFile = parley::parleyd::installLayout().defaultConfig;
    try {
        auto settings = parley::parleyd::loadSettings(configFile, overrides);
        // Read only, without opening (or migrating) the database for writing: the package's
        // scripts ask these before they replace or start anything.
        if (parley::parleyctl::isServiceQuery(command))
            return parley::parleyctl::runServiceQuery(settings, command);
        // Before the offline context: a backup copies the database without migrating it, and
        // a restore must not create one where it is about to put the restored copy.
        if (command[0] == "backup")
            return parley::parleyctl::runBackupCommand(settings, configFile, command[1], rest);
        auto context = parley::parleyctl::OfflineContext::open(settings);
        if (command[0] == "user" && command[1] == "create-admin")
            return parley::parleyctl::createAdmin(context, rest);
        if (command[0] == "user" && command[1] == "reset-password")
            return parley::parleyctl::resetPassword(context, rest);
        if (command[0] == "user" && command[1] == "list" && rest.empty())
            return parley::parleyctl::listUsers(context);
        if (command[0] == "audit" && command[1] == "verify" && rest.empty())
            return parley::parleyctl::verifyAudit(context);
        if (command[0] == "metrics" && command[1] == "create-token" && rest.empty())
            return parley::parleyctl::createMetricsToken(context);
        if (command[0] == "metrics" && command[1] == "revoke-token" && rest.empty())
            return parley::parleyctl::revokeMetricsToken(context);
        if (command[0] == "volume")
            return parley::parleyctl::runVolumeCommand(context, command[1], rest);
        usage();
        return kExitUsage;
    }
    catch (const parley::parleyd::ConfigError& e) {
        std::cerr << "parleyctl: configuration error: " << e.what() << std::endl;
        return kExitConfig;
    }
    catch (const parley::volume::VolumeError& e) {
        std::cerr << "parleyctl: " << e.what() << std::endl;
        using parley::volume::VolumeFailure;
        if (e.failure() == VolumeFailure::WrongPassphrase)
            return parley::parleyctl::kExitWrongPassphrase;
        return e.failure() == VolumeFailure::Unsupported ? 69 : 1;
    }
    catch (const parley::portal::AccountError& e) {
        std::cerr << "parleyctl: " << e.what() << std::endl;
        return 1;
    }
    catch (const std::invalid_argument& e) {
        std::cerr << "parleyctl: " << e.what() << std::endl;
        usage();
        return kExitUsage;
    }
    catch (const parley::storage::DatabaseError& e) {
        std::cerr << "parleyctl: database error: " << e.what() << std::endl;
        return kExitData;
    }
    catch (const parley::storage::MigrationError& e) {
        std::cerr << "parleyctl: database error: " << e.what() << std::endl;
        return kExitData;
    }
    catch (const std::exception& e) {
        std::cerr << "parleyctl: " << e.what() << std::endl;
        return 1;
    }
}
