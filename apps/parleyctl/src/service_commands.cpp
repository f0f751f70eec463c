#include "service_commands.h"

#include <parley/portal/http/server_certificate.h>
#include <parley/storage/database.h>
#include <parley/storage/schema.h>

#include <iostream>
#include <stdexcept>

namespace parley::parleyctl {

namespace fs = std::filesystem;

bool isServiceQuery(const std::vector<std::string>& command)
{
    return command.size() == 2 && ((command[0] == "database" && command[1] == "schema") ||
                                   (command[0] == "tls" && command[1] == "fingerprint") ||
                                   (command[0] == "volume" && command[1] == "boot-key"));
}

int runServiceQuery(const parleyd::Settings& settings, const std::vector<std::string>& command)
{
    if (!isServiceQuery(command))
        throw std::invalid_argument("unknown command");
    if (command[0] == "database") {
        std::cout << "database " << storage::storedSchemaVersion(settings.databaseFile) << "\nparleyctl "
                  << storage::schemaMigrations().size() << std::endl;
        return 0;
    }
    if (command[0] == "tls") {
        // The order parleyd serves them in: an upload from the admin console wins.
        const auto uploaded = settings.dataDir / "tls" / "uploaded.pem";
        const auto certificate = fs::exists(uploaded)             ? uploaded
                                 : settings.generateCertificate ? settings.dataDir / "tls" / "selfsigned.crt"
                                                                : settings.https.certificateFile;
        if (!fs::exists(certificate)) {
            std::cerr << "parleyctl: no certificate yet at " << certificate.string()
                      << " (parleyd makes the self-signed one when it first starts)" << std::endl;
            return 1;
        }
        std::cout << portal::certificateFingerprint(certificate) << std::endl;
        return 0;
    }
    if (settings.volumeKeyFile.empty()) {
        std::cout << "volume.key_file is not set: the recording volume stays locked until "
                     "`parleyctl volume unlock`" << std::endl;
        return 1;
    }
    if (!fs::exists(settings.volume.container)) {
        std::cout << "no recording volume at " << settings.volume.container.string()
                  << " yet (parleyctl volume create)" << std::endl;
        return 1;
    }
    return 0;
}

} // namespace parley::parleyctl
