#pragma once

#include <Poco/Util/ServerApplication.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parley::storage {
class AuditLog;
}

namespace parley::parleyd {

/// The all-in-one server process: reads the configuration, opens the data directory and
/// database, serves HTTPS until SIGTERM/SIGINT, then shuts down gracefully.
///
/// Exit codes (sysexits): 0 after a clean shutdown, 64 for bad command-line usage, 78 for a
/// configuration error (the TLS certificate and key included), 65 when the database cannot
/// be opened or migrated, 73 when the data directory cannot be created, 71 when the HTTPS
/// port or the media port cannot be bound, 70 for any other start-up failure (an unreadable
/// audit key file, say).
class ParleydApplication : public Poco::Util::ServerApplication
{
protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& arguments) override;

private:
    int serve();
    /// SIGHUP: applies the configuration's log.level when it changed (logged and audited as
    /// config.change); keeps `current` when the configuration cannot be read.
    void reloadLogLevel(std::string& current, storage::AuditLog& audit) const;

    std::optional<std::filesystem::path> configFile_;
    std::vector<std::string> overrides_;
    bool helpRequested_ = false;
    bool versionRequested_ = false;
    bool checkOnly_ = false;
    bool templateRequested_ = false;
};

} // namespace parley::parleyd
