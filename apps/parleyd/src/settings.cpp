#include <parley/parleyd/config_error.h>
#include <parley/parleyd/config_keys.h>
#include <parley/parleyd/ini_file.h>
#include <parley/parleyd/settings.h>
#include <parley/parleyd/install_layout.h>

#include <parley/backup/backup_status.h>

#include <parley/portal/http/address_list.h>
#include <parley/portal/http/public_origin.h>

#include <Poco/Net/IPAddress.h>

#include <sched.h>

#include <algorithm>
#include <thread>
#include <fstream>
#include <istream>
#include <sstream>

namespace parley::parleyd {
namespace {

/// The cores this process may run on (its CPU affinity, which container limits set), 1 to
/// 64; hardware_concurrency counts the machine's.
unsigned usableCores()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    unsigned count = 0;
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        count = static_cast<unsigned>(CPU_COUNT(&set));
    if (count == 0)
        count = std::thread::hardware_concurrency();
    return std::clamp(count, 1u, 64u);
}

namespace fs = std::filesystem;

constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

std::string readConfigFile(const fs::path& file)
{
    std::error_code error;
    if (!fs::is_regular_file(file, error))
        throw ConfigError("configuration file " + file.string() + " does not exist or is not a "
                          "regular file");
    if (fs::file_size(file, error) > kMaxConfigFileBytes)
        throw ConfigError("configuration file " + file.string() + " is larger than 1 MiB");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ConfigError("cannot read configuration file " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void assign(std::map<std::string, std::string>& values, const std::string& key,
            const std::string& value, const std::string& where)
{
    const auto* spec = findConfigKey(key);
    if (!spec) {
        const auto suggestion = suggestConfigKey(key);
        throw ConfigError("unknown configuration key '" + key + "' (" + where + ")" +
                          (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") +
                          " See docs/configuration.md for every key.");
    }
    if (!acceptsValue(spec->rule, value))
        throw ConfigError("configuration key '" + key + "' has invalid value '" + value + "' (" +
                          where + "): expected " + expectedForm(spec->rule));
    values[key] = value;
}

long long integer(const std::map<std::string, std::string>& values, const std::string& key)
{
    return std::stoll(values.at(key)); // already validated by acceptsValue
}

void requireFile(const std::map<std::string, std::string>& values, const std::string& key)
{
    std::error_code error;
    const auto& path = values.at(key);
    if (!fs::is_regular_file(path, error))
        throw ConfigError("configuration key '" + key + "' names " + path +
                          ", which does not exist or is not a regular file");
}

std::vector<std::string> split(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) {
        const auto start = part.find_first_not_of(' ');
        if (start == std::string::npos)
            continue;
        parts.push_back(part.substr(start, part.find_last_not_of(' ') - start + 1));
    }
    return parts;
}

ldap::DirectorySettings directorySettings(const std::map<std::string, std::string>& values)
{
    ldap::DirectorySettings d;
    d.enabled = values.at("ldap.enabled") == "true";
    d.uris = split(values.at("ldap.uris"), ' ');
    d.allowPlain = values.at("ldap.allow_plain") == "true";
    d.caFile = values.at("ldap.ca_file");
    d.verifyCertificate = values.at("ldap.verify_certificate") == "true";
    d.bindDn = values.at("ldap.bind_dn");
    d.bindPassword = values.at("ldap.bind_password");
    d.userBase = values.at("ldap.user_base");
    d.userFilter = values.at("ldap.user_filter");
    d.loginAttribute = values.at("ldap.login_attribute");
    d.displayNameAttribute = values.at("ldap.display_name_attribute");
    d.mailAttribute = values.at("ldap.mail_attribute");
    d.groupMode = values.at("ldap.group_mode");
    d.groupBase = values.at("ldap.group_base");
    d.groupFilter = values.at("ldap.group_filter");
    d.adminGroups = split(values.at("ldap.admin_groups"), ';');
    d.auditorGroups = split(values.at("ldap.auditor_groups"), ';');
    d.userGroups = split(values.at("ldap.user_groups"), ';');
    d.networkTimeout = std::chrono::seconds(std::stoll(values.at("ldap.network_timeout_seconds")));
    d.operationTimeout = std::chrono::seconds(std::stoll(values.at("ldap.operation_timeout_seconds")));
    if (d.enabled && d.uris.empty())
        throw ConfigError("configuration key 'ldap.uris' must name at least one server when "
                          "ldap.enabled is true, e.g. ldaps://dc1.example.org:636");
    if (d.enabled && d.userFilter.find("{login}") == std::string::npos)
        throw ConfigError("configuration key 'ldap.user_filter' must contain {login}");
    return d;
}

} // namespace

std::pair<std::string, std::string> parseOverride(const std::string& override)
{
    const auto equals = override.find('=');
    if (equals == std::string::npos || equals == 0)
        throw ConfigError("--set expects section.key=value, got '" + override + "'");
    return {override.substr(0, equals), override.substr(equals + 1)};
}

Settings loadSettings(const std::optional<fs::path>& iniFile,
                      const std::vector<std::string>& overrides)
{
    std::map<std::string, std::string> values;
    for (const auto& key : configKeys())
        values[key.name] = key.defaultValue;

    if (iniFile) {
        const auto source = iniFile->string();
        for (const auto& entry : parseIni(readConfigFile(*iniFile), source))
            assign(values, entry.key, entry.value, source + ":" + std::to_string(entry.line));
    }
    for (const auto& override : overrides) {
        const auto [key, value] = parseOverride(override);
        assign(values, key, value, "--set");
    }

    Settings settings;
    settings.dataDir = fs::absolute(values.at("server.data_dir")).lexically_normal();
    settings.databaseFile = values.at("database.file").empty()
                                ? settings.dataDir / "parley.db"
                                : fs::absolute(values.at("database.file"));
    settings.databaseBusyTimeout = std::chrono::milliseconds(integer(values, "database.busy_timeout_ms"));

    auto& https = settings.https;
    https.listenAddress = values.at("server.listen_address");
    https.port = static_cast<std::uint16_t>(integer(values, "server.port"));
    https.metricsListenAddress = values.at("metrics.listen_address");
    https.metricsPort = static_cast<std::uint16_t>(integer(values, "metrics.port"));
    https.maxBodyBytes = static_cast<std::size_t>(integer(values, "server.max_body_bytes"));
    https.maxThreads = static_cast<int>(integer(values, "server.max_threads"));
    https.maxConnectionsPerAddress = static_cast<int>(integer(values, "server.max_connections_per_address"));
    https.maxQueuedConnections = static_cast<int>(integer(values, "server.max_queued_connections"));
    https.requestTimeout = std::chrono::seconds(integer(values, "server.request_timeout_seconds"));
    https.keepAliveTimeout =
        std::chrono::seconds(integer(values, "server.keep_alive_timeout_seconds"));
    https.hstsMaxAge = std::chrono::seconds(integer(values, "tls.hsts_max_age_seconds"));
    if (!values.at("server.public_url").empty())
        https.publicUrl = *portal::publicUrlOrigin(values.at("server.public_url")); // validated by acceptsValue
    https.uploadedCertificateFile = settings.dataDir / "tls" / "uploaded.pem";
    https.backupStatusFile = backup::backupStatusFile(settings.dataDir);
    https.webRoot = values.at("server.web_root").empty() ? installLayout().webRoot
                                                         : fs::absolute(values.at("server.web_root"));

    const bool hasCertificate = !values.at("tls.certificate").empty();
    const bool hasKey = !values.at("tls.private_key").empty();
    if (hasCertificate != hasKey)
        throw ConfigError(std::string("configuration key '") +
                          (hasCertificate ? "tls.private_key" : "tls.certificate") +
                          "' must be set together with '" +
                          (hasCertificate ? "tls.certificate" : "tls.private_key") +
                          "': give both PEM files, or neither to use a generated certificate");
    settings.generateCertificate = !hasCertificate;
    if (hasCertificate) {
        requireFile(values, "tls.certificate");
        requireFile(values, "tls.private_key");
        https.certificateFile = fs::absolute(values.at("tls.certificate"));
        https.privateKeyFile = fs::absolute(values.at("tls.private_key"));
    }

    auto& accounts = settings.accounts;
    accounts.pbkdf2Iterations = static_cast<int>(integer(values, "accounts.pbkdf2_iterations"));
    accounts.passwordPolicy.minLength =
        static_cast<std::size_t>(integer(values, "accounts.password_min_length"));
    accounts.sessionIdleTimeout = std::chrono::seconds(integer(values, "sessions.idle_timeout_seconds"));
    accounts.sessionLifetime = std::chrono::seconds(integer(values, "sessions.lifetime_seconds"));
    auto& throttle = accounts.throttle;
    throttle.accountFreeAttempts = static_cast<int>(integer(values, "login.account_free_attempts"));
    throttle.addressFreeAttempts = static_cast<int>(integer(values, "login.address_free_attempts"));
    throttle.baseLockout = std::chrono::seconds(integer(values, "login.lockout_base_seconds"));
    throttle.maxLockout = std::chrono::seconds(integer(values, "login.lockout_max_seconds"));
    throttle.failureWindow = std::chrono::seconds(integer(values, "login.failure_window_seconds"));
    settings.auditRetention = std::chrono::hours(24 * integer(values, "audit.retention_days"));

    https.portalAccess = {portal::AddressList::parse(values.at("access.portal_allow")),
                          portal::AddressList::parse(values.at("access.portal_deny"))};
    https.adminAccess = {portal::AddressList::parse(values.at("access.admin_allow")),
                         portal::AddressList::parse(values.at("access.admin_deny"))};
    auto& meetings = settings.meetings;
    meetings.pin.minLength = static_cast<int>(integer(values, "rooms.pin_min_length"));
    meetings.pin.maxLength = static_cast<int>(integer(values, "rooms.pin_max_length"));
    meetings.pin.required = values.at("rooms.pin_required") == "true";
    if (meetings.pin.minLength > meetings.pin.maxLength)
        throw ConfigError("configuration key 'rooms.pin_min_length' (" +
                          values.at("rooms.pin_min_length") +
                          ") must not be larger than 'rooms.pin_max_length' (" +
                          values.at("rooms.pin_max_length") + ")");
    const auto rule = [&values](const std::string& key) {
        const auto& text = values.at(key);
        return portal::OptionRule{text == "forced_on"    ? portal::OptionMode::ForcedOn
                                  : text == "forced_off" ? portal::OptionMode::ForcedOff
                                                         : portal::OptionMode::Optional,
                                  text == "default_on"};
    };
    auto& policy = meetings.roomPolicy;
    policy.waitingRoom = rule("rooms.waiting_room");
    policy.guestsAllowed = rule("rooms.guests_allowed");
    policy.usersWait = rule("rooms.users_wait");
    policy.pin.mode = meetings.pin.required ? portal::OptionMode::ForcedOn : portal::OptionMode::Optional;
    policy.recording.mode = values.at("rooms.recording") == "forced_off" ? portal::OptionMode::ForcedOff
                                                                        : portal::OptionMode::Optional;
    policy.recording.guestModerators = values.at("rooms.recording_guest_moderators") == "true";
    meetings.meetingRetention = std::chrono::hours(24 * integer(values, "rooms.meeting_retention_days"));
    meetings.maxParticipants = static_cast<int>(integer(values, "rooms.max_participants"));
    auto& recording = meetings.recording;
    recording.keepTracks = values.at("recording.keep_tracks") == "true";
    recording.retentionDays = static_cast<int>(integer(values, "recording.retention_days"));
    recording.maintenanceInterval = std::chrono::seconds(integer(values, "recording.maintenance_interval_seconds"));
    recording.integrityInterval = std::chrono::hours(integer(values, "recording.integrity_check_hours"));
    recording.composeAttempts = static_cast<int>(integer(values, "recording.compose_attempts"));
    recording.composeWidth = static_cast<int>(integer(values, "recording.compose_width"));
    recording.composeHeight = static_cast<int>(integer(values, "recording.compose_height"));
    recording.composeFramesPerSecond = static_cast<int>(integer(values, "recording.compose_fps"));
    recording.labelFont = values.at("recording.label_font");
    recording.viewIdle = std::chrono::seconds(integer(values, "recording.view_idle_seconds"));
    if (recording.composeWidth % 2 || recording.composeHeight % 2)
        throw ConfigError("configuration keys 'recording.compose_width' and 'recording.compose_height' must be even "
                          "(4:2:0 video)");
    meetings.pinThrottle = throttle;
    meetings.pinThrottle.accountFreeAttempts =
        static_cast<int>(integer(values, "rooms.pin_room_free_attempts"));
    meetings.pinThrottle.addressFreeAttempts =
        static_cast<int>(integer(values, "rooms.pin_address_free_attempts"));
    auto& signaling = meetings.signaling;
    signaling.maxMessageBytes = static_cast<std::size_t>(integer(values, "signaling.max_message_bytes"));
    signaling.messagesPerSecond = static_cast<int>(integer(values, "signaling.messages_per_second"));
    signaling.messageBurst = static_cast<int>(integer(values, "signaling.message_burst"));
    signaling.maxConnections = static_cast<int>(integer(values, "signaling.max_connections"));
    signaling.maxConnectionsPerAddress =
        static_cast<int>(integer(values, "signaling.max_connections_per_address"));
    signaling.maxUnjoined = static_cast<int>(integer(values, "signaling.max_unjoined_connections"));
    signaling.maxUnjoinedPerAddress = static_cast<int>(integer(values, "signaling.max_unjoined_per_address"));
    signaling.joinTimeout = std::chrono::seconds(integer(values, "signaling.join_timeout_seconds"));
    signaling.idleTimeout = std::chrono::seconds(integer(values, "signaling.idle_timeout_seconds"));
    signaling.reconnectGrace = std::chrono::seconds(integer(values, "signaling.reconnect_grace_seconds"));
    signaling.pingInterval = std::min(signaling.pingInterval, signaling.idleTimeout / 3);

    settings.routerEnabled = values.at("router.enabled") == "true";
    settings.router.listenAddress = values.at("router.listen_address");
    settings.router.port = static_cast<std::uint16_t>(integer(values, "router.port"));
    if (const auto tcpPort = integer(values, "router.tcp_port"); tcpPort >= 0)
        settings.router.tcpPort = static_cast<std::uint16_t>(tcpPort);
    if (const auto workers = integer(values, "router.workers"); workers > 0)
        settings.router.workers = static_cast<unsigned>(workers);
    else
        settings.router.workers = usableCores();
    settings.router.announcedAddress = values.at("router.announced_address");
    if (!settings.router.announcedAddress.empty()) {
        Poco::Net::IPAddress announced;
        if (!Poco::Net::IPAddress::tryParse(settings.router.announcedAddress, announced) ||
            announced.isWildcard())
            throw ConfigError("configuration key 'router.announced_address' must be an IP address "
                              "browsers can reach, such as 192.0.2.10; got '" +
                              settings.router.announcedAddress + "'");
    }

    settings.sip.enabled = values.at("sip.enabled") == "true";
    settings.sip.listenAddress = values.at("sip.listen_address");
    settings.sip.port = static_cast<std::uint16_t>(integer(values, "sip.port"));
    settings.sip.realm = values.at("sip.realm");
    settings.sip.allowGuests = values.at("sip.allow_guests") == "true";
    settings.sip.rekeyInterval = std::chrono::seconds(integer(values, "sip.rekey_seconds"));
    settings.sip.certificateDirectory = settings.dataDir / "sip-tls";
    if (settings.sip.enabled && !settings.routerEnabled)
        throw ConfigError("sip.enabled=true needs router.enabled=true: a SIP call's media goes through the "
                          "media router");

    settings.volume.container = fs::absolute(values.at("volume.container")).lexically_normal();
    settings.volume.mountPoint = fs::absolute(values.at("volume.mount_point")).lexically_normal();
    settings.volume.runtimeDir = fs::absolute(values.at("volume.runtime_dir")).lexically_normal();
    settings.volumeEngine = volume::parseEngine(values.at("volume.engine"));
    if (!values.at("volume.key_file").empty())
        settings.volumeKeyFile = fs::absolute(values.at("volume.key_file"));
    settings.volumeOwner = values.at("volume.owner");
    settings.volumeKdf.memoryKiB = static_cast<std::uint32_t>(integer(values, "volume.kdf_memory_kib"));
    settings.volumeKdf.iterations = static_cast<std::uint32_t>(integer(values, "volume.kdf_iterations"));
    settings.volumeKdf.parallelThreads = static_cast<std::uint32_t>(integer(values, "volume.kdf_parallel"));
    https.recordingVolume = settings.volume.mountPoint;
    https.exportSigningKeyFile = settings.dataDir / "export-signing.key";
    https.volumeContainer = settings.volume.container;

    if (!values.at("backup.directory").empty())
        settings.backupDirectory = fs::absolute(values.at("backup.directory")).lexically_normal();
    if (!values.at("backup.key_file").empty())
        settings.backupKeyFile = fs::absolute(values.at("backup.key_file")).lexically_normal();
    settings.backupKeepHourly = static_cast<int>(integer(values, "backup.keep_hourly"));
    settings.backupKeepDaily = static_cast<int>(integer(values, "backup.keep_daily"));

    settings.shutdownGrace = std::chrono::seconds(integer(values, "server.shutdown_grace_seconds"));
    settings.logLevel = values.at("log.level");
    settings.logFile = values.at("log.file");
    settings.directory = directorySettings(values);
    for (const auto& key : configKeys())
        if (key.secret && !values.at(key.name).empty())
            values[key.name] = "(set)";
    settings.effective = std::move(values);
    return settings;
}

} // namespace parley::parleyd
