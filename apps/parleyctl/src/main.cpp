// parleyctl: administration from a shell, on the server's database directly or through the
// running server's REST API.
#include "api_session.h"
#include "audit_commands.h"
#include "offline_context.h"
#include "online_commands.h"
#include "password_input.h"
#include "user_commands.h"

#include <parley/parleyd/config_error.h>
#include <parley/portal/account_service.h>
#include <parley/storage/database.h>
#include <parley/storage/migrator.h>

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
        "  audit verify\n"
        "      recompute the audit log's hash chain; exit 1 naming the first entry that was\n"
        "      altered, inserted or removed\n";
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
    try {
        auto context = parley::parleyctl::OfflineContext::open(
            parley::parleyd::loadSettings(configFile, overrides));
        if (command[0] == "user" && command[1] == "create-admin")
            return parley::parleyctl::createAdmin(context, rest);
        if (command[0] == "user" && command[1] == "reset-password")
            return parley::parleyctl::resetPassword(context, rest);
        if (command[0] == "user" && command[1] == "list" && rest.empty())
            return parley::parleyctl::listUsers(context);
        if (command[0] == "audit" && command[1] == "verify" && rest.empty())
            return parley::parleyctl::verifyAudit(context);
        usage();
        return kExitUsage;
    }
    catch (const parley::parleyd::ConfigError& e) {
        std::cerr << "parleyctl: configuration error: " << e.what() << std::endl;
        return kExitConfig;
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
