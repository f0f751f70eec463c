#include "service_commands.h"

#include <parley/portal/http/certificate_chain.h>
#include <parley/portal/http/live_certificate.h>
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
        // The same choice parleyd makes: a usable upload from the admin console, else the
        // configured files, else the self-signed pair parleyd generated.
        auto files = portal::selfSignedCertificateFiles(settings.dataDir / "tls");
        if (!settings.generateCertificate)
            files = {settings.https.certificateFile, settings.https.privateKeyFile, false};
        if (!fs::exists(settings.https.uploadedCertificateFile) && !fs::exists(files.certificate)) {
            std::cerr << "parleyctl: no certificate yet at " << files.certificate.string()
                      << " (parleyd makes the self-signed one when it first starts)" << std::endl;
            return 1;
        }
        const portal::LiveCertificate certificate(files.certificate, files.privateKey,
                                                  settings.https.uploadedCertificateFile);
        std::cout << certificate.current().chain->fingerprintSha256() << std::endl;
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
