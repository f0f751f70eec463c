#pragma once

#include <parley/ldap/directory_settings.h>
#include <parley/portal/accounts/account_settings.h>
#include <parley/portal/http/https_settings.h>
#include <parley/portal/meetings/meeting_settings.h>
#include <parley/router/media_router.h>
#include <parley/sip/sip_server.h>
#include <parley/volume/volume_manager.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace parley::parleyd {

/// parleyd's validated configuration.
struct Settings
{
    std::filesystem::path dataDir; ///< absolute
    std::filesystem::path databaseFile;
    std::chrono::milliseconds databaseBusyTimeout{5000};
    /// The HTTPS listener. When `generateCertificate` is true its certificate and key paths
    /// are empty and parleyd fills them with the self-signed pair under `<dataDir>/tls`.
    portal::HttpsSettings https;
    bool generateCertificate = true;
    portal::AccountSettings accounts;
    portal::MeetingSettings meetings;
    bool routerEnabled = true;
    router::RouterSettings router;
    /// SIP over TLS (`[sip]`); its certificate directory is filled by parleyd at start.
    sip::SipSettings sip;
    std::chrono::hours auditRetention{180 * 24};
    /// The recording volume (`[volume]`); its mount point is also in `https`.
    volume::VolumeLocation volume;
    volume::VolumeEngine volumeEngine = volume::VolumeEngine::Automatic;
    std::filesystem::path volumeKeyFile; ///< empty: none
    std::string volumeOwner;             ///< empty: none
    volume::KdfCost volumeKdf;
    /// Backups (`[backup]`, used by `parleyctl backup`): where scheduled backups go and the
    /// key they are encrypted under (both empty: none), and how many are kept.
    std::filesystem::path backupDirectory;
    std::filesystem::path backupKeyFile;
    int backupKeepHourly = 24;
    int backupKeepDaily = 21;
    ldap::DirectorySettings directory;
    std::chrono::seconds shutdownGrace{10};
    std::string logLevel = "information";
    std::filesystem::path logFile; ///< empty: console only
    /// Every key with its effective value, for the start-up log; secret keys show "(set)".
    std::map<std::string, std::string> effective;
};

/// One `--set` argument, "section.key=value", as its key and value. Throws ConfigError when
/// it has no '=' or no key.
std::pair<std::string, std::string> parseOverride(const std::string& override);

/// Builds the settings from the defaults, then the INI file (if given), then each override
/// in order ("section.key=value", as given to `--set`; later ones win).
///
/// Throws ConfigError when the file cannot be read or parsed, a key is unknown (naming the
/// closest known key), a value has the wrong form (naming the expected form), an override
/// is not `section.key=value`, `tls.certificate` and `tls.private_key` are not given
/// together, a named certificate or key file does not exist, `rooms.pin_min_length` is above
/// `rooms.pin_max_length`, `recording.compose_width` or `compose_height` is odd,
/// `router.announced_address` is not a specific IP address, or `ldap.enabled` is true with no
/// `ldap.uris` or a `ldap.user_filter` without `{login}`.
Settings loadSettings(const std::optional<std::filesystem::path>& iniFile,
                      const std::vector<std::string>& overrides);

} // namespace parley::parleyd
