#include "parleyd_application.h"

#include "configuration_audit.h"
#include "hangup_signal.h"
#include "logging_setup.h"
#include "maintenance_job.h"
#include "service_notifier.h"

#include <parley/log/log_event.h>
#include <parley/parleyd/config_error.h>
#include <parley/parleyd/config_template.h>
#include <parley/parleyd/install_layout.h>
#include <parley/parleyd/settings.h>
#include <parley/portal/https_server.h>
#include <parley/router/media_router.h>
#include <parley/portal/http/server_certificate.h>
#include <parley/portal/http/tls_context.h>
#include <parley/storage/audit_log.h>
#include <parley/storage/data_directory_lock.h>
#include <parley/storage/database.h>
#include <parley/storage/key_file.h>
#include <parley/storage/migrator.h>
#include <parley/storage/schema.h>
#include <parley/storage/user_store.h>
#include <parley/volume/volume_check.h>

#include <Poco/Logger.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <iostream>
#include <utility>

namespace parley::parleyd {
namespace {

/// "port 10000" or "ports 10000-10001" (the workers' ports are consecutive), or a list
/// when they were picked free.
std::string portList(const std::vector<std::uint16_t>& ports)
{
    if (ports.size() == 1)
        return "port " + std::to_string(ports.front());
    bool consecutive = true;
    for (std::size_t i = 1; i < ports.size(); ++i)
        consecutive = consecutive && ports[i] == ports[i - 1] + 1;
    if (consecutive)
        return "ports " + std::to_string(ports.front()) + "-" + std::to_string(ports.back());
    std::string list = "ports ";
    for (std::size_t i = 0; i < ports.size(); ++i)
        list += (i ? ", " : "") + std::to_string(ports[i]);
    return list;
}

namespace fs = std::filesystem;

// Not logger(): inside the application that name is Poco's Application::logger().
Poco::Logger& serverLog()
{
    return Poco::Logger::get("parleyd");
}

/// Initialises OpenSSL for Poco for the lifetime of the server.
struct SslLibrary
{
    SslLibrary() { Poco::Net::initializeSSL(); }
    ~SslLibrary() { Poco::Net::uninitializeSSL(); }
    SslLibrary(const SslLibrary&) = delete;
    SslLibrary& operator=(const SslLibrary&) = delete;
};

void prepareDataDirectory(const fs::path& dir)
{
    fs::create_directories(dir);
    // State here includes the TLS key and the database: owner only.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

std::string browserHost(const std::string& listenAddress)
{
    if (listenAddress == "0.0.0.0")
        return "127.0.0.1";
    if (listenAddress == "::")
        return "[::1]";
    if (listenAddress.find(':') != std::string::npos)
        return "[" + listenAddress + "]";
    return listenAddress;
}

void printBanner(const Settings& settings, std::uint16_t port, const std::string& fingerprint,
                 bool hasUsers, const router::MediaRouter* media, std::uint16_t sipPort)
{
    // A certificate uploaded in the admin console serves instead of the configured one.
    bool uploaded = true;
    try {
        uploaded = fingerprint != portal::certificateFingerprint(settings.https.certificateFile);
    }
    catch (const std::runtime_error&) {
        // the configured file is unreadable, so the upload is what serves
    }
    std::cout << "\nParley is running at https://" << browserHost(settings.https.listenAddress)
              << ":" << port << "/\n"
              << "  TLS certificate: "
              << (uploaded ? "uploaded in the admin console, kept in " +
                                 settings.https.uploadedCertificateFile.string()
                  : settings.generateCertificate ? "self-signed, generated in " +
                                                       settings.https.certificateFile.string()
                                                 : settings.https.certificateFile.string())
              << "\n  SHA-256 fingerprint: " << fingerprint << "\n";
    if (settings.generateCertificate && !uploaded)
        std::cout << "  Browsers warn about a self-signed certificate: check that the\n"
                     "  fingerprint they show matches the one above, then continue.\n";
    std::cout << "  Health: /healthz (process up) and /readyz (database ready).\n";
    if (media) {
        const auto ports = media->ports();
        std::cout << "  Media: " << ports.size() << (ports.size() == 1 ? " worker" : " workers")
                  << " on UDP " << portList(ports)
                  << (media->tcpPort() ? " and TCP " + portList(media->tcpPorts()) : std::string())
                  << ", announced to browsers as " << media->announcedAddress()
                  << ". Meetings: /join/<link> (GET /api/v1/rooms).\n";
    }
    else
        std::cout << "  Media: off (router.enabled=false).\n";
    if (sipPort != 0)
        std::cout << "  SIP: over TLS on port " << sipPort << "; endpoints call sip:<meeting ID>@<this host>"
                  << (settings.sip.allowGuests ? " (guests admitted)" : "") << ".\n";
    std::string whyNot;
    if (const auto volume = volume::inspectVolume(settings.volume.mountPoint, whyNot))
        std::cout << "  Recording volume: unlocked (" << volume::engineName(volume->engine) << " engine), "
                  << volume->freeBytes / (1024 * 1024) << " MiB free at " << settings.volume.mountPoint.string()
                  << ".\n";
    else
        std::cout << "  Recording volume: not available, nothing will be recorded: " << whyNot << ".\n";
    if (!hasUsers)
        std::cout << "  No account exists yet. Create the first administrator (it prints a\n"
                     "  generated password once):\n"
                  << (installLayout().installed
                          ? "    sudo parleyctl user create-admin admin --generate-password\n"
                          : "    build/release/apps/parleyctl/parleyctl --set server.data_dir=" +
                                settings.dataDir.string() + " user create-admin admin --generate-password\n")
                  << "  then sign in at /.\n";
    else
        std::cout << "  Log in with POST /api/v1/auth/login (docs/api.md); parleyctl user list\n"
                     "  shows the accounts.\n";
    std::cout << "  SIGHUP re-reads the TLS certificate files. Stop with Ctrl+C (or SIGTERM);\n"
                 "  requests in progress are completed.\n"
              << std::endl;
}

} // namespace

void ParleydApplication::defineOptions(Poco::Util::OptionSet& options)
{
    ServerApplication::defineOptions(options);
    using Poco::Util::Option;
    options.addOption(Option("help", "h", "Show this help and exit.").required(false).repeatable(false));
    options.addOption(Option("version", "", "Print the version and exit.").required(false));
    options.addOption(Option("config", "c", "Read configuration from this INI file.")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(Option("set", "s",
                             "Override one configuration key, e.g. --set server.port=9443. "
                             "Repeatable; later ones win over earlier ones and the file.")
                          .required(false)
                          .repeatable(true)
                          .argument("SECTION.KEY=VALUE"));
    options.addOption(Option("config-template", "",
                             "Print an INI file listing every key with its description, commented "
                             "out, and exit; keys given with --set are written uncommented.")
                          .required(false));
    options.addOption(Option("check-config", "",
                             "Validate the configuration, print the effective values and exit.")
                          .required(false));
}

void ParleydApplication::handleOption(const std::string& name, const std::string& value)
{
    ServerApplication::handleOption(name, value);
    if (name == "help") {
        helpRequested_ = true;
        stopOptionsProcessing();
    }
    else if (name == "version") {
        versionRequested_ = true;
    }
    else if (name == "config") {
        configFile_ = fs::path(value);
    }
    else if (name == "set") {
        overrides_.push_back(value);
    }
    else if (name == "config-template") {
        templateRequested_ = true;
    }
    else if (name == "check-config") {
        checkOnly_ = true;
    }
}

int ParleydApplication::main(const std::vector<std::string>& arguments)
{
    if (helpRequested_) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config FILE] [--set SECTION.KEY=VALUE ...]");
        help.setHeader("Parley all-in-one conferencing server. Every configuration key is listed "
                       "in docs/configuration.md.");
        help.format(std::cout);
        return EXIT_OK;
    }
    if (versionRequested_) {
        std::cout << "parleyd " << PARLEY_VERSION << " (database schema "
                  << storage::schemaMigrations().size() << ")" << std::endl;
        return EXIT_OK;
    }
    if (!arguments.empty()) {
        std::cerr << "parleyd: unexpected argument '" << arguments.front()
                  << "'; configuration keys are given as --set section.key=value" << std::endl;
        return EXIT_USAGE;
    }
    // An installed parleyd (the package) reads /etc/parley/parley.ini unless told otherwise.
    if (!configFile_ && !templateRequested_)
        configFile_ = installLayout().defaultConfig;
    try {
        if (templateRequested_) {
            std::map<std::string, std::string> active;
            for (const auto& override : overrides_) {
                auto [key, value] = parseOverride(override);
                active[key] = value; // a later --set wins, as for the server
            }
            std::cout << configTemplate(active);
            return EXIT_OK;
        }
        return serve();
    }
    catch (const ConfigError& e) {
        std::cerr << "parleyd: configuration error: " << e.what() << std::endl;
        return EXIT_CONFIG;
    }
    catch (const portal::TlsSetupError& e) {
        std::cerr << "parleyd: configuration error: tls.certificate/tls.private_key: " << e.what()
                  << std::endl;
        return EXIT_CONFIG;
    }
    catch (const storage::DatabaseError& e) {
        std::cerr << "parleyd: database error: " << e.what() << std::endl;
        return EXIT_DATAERR;
    }
    catch (const storage::MigrationError& e) {
        std::cerr << "parleyd: database error: " << e.what() << std::endl;
        return EXIT_DATAERR;
    }
    catch (const portal::ListenError& e) {
        std::cerr << "parleyd: " << e.what()
                  << " (check server.listen_address and server.port)" << std::endl;
        return EXIT_OSERR;
    }
    catch (const fs::filesystem_error& e) {
        std::cerr << "parleyd: " << e.what() << std::endl;
        return EXIT_CANTCREAT;
    }
    catch (const std::exception& e) {
        // Anything else that stops start-up (an unreadable audit key file, say): say what.
        std::cerr << "parleyd: cannot start: " << e.what() << std::endl;
        return EXIT_SOFTWARE;
    }
}

void ParleydApplication::reloadLogLevel(std::string& current, storage::AuditLog& audit) const
{
    // The configuration as at start (file and --set overrides), read again: only log.level
    // takes effect without a restart; the rest waits for one.
    std::string level;
    try {
        level = loadSettings(configFile_, overrides_).logLevel;
        if (level == current)
            return;
        setLogLevel(level);
    }
    catch (const std::exception& e) {
        log::error(serverLog(), "config.reload_failed",
                   std::string("SIGHUP: the configuration cannot be read again; the log level stays ") + current +
                       ": " + e.what(),
                   {{"error", e.what()}});
        return;
    }
    // Poco's Logger keeps its level in a plain int that logging threads read unlocked; a
    // reader that sees the old level a moment longer writes or skips one line, nothing worse.
    const auto previous = std::exchange(current, level);
    log::notice(serverLog(), "log.level_changed", "log level changed from " + previous + " to " + level,
                {{"from", previous}, {"to", level}});
    try {
        audit.append({"system", "local", "config.change", "log.level", "success",
                      R"({"from":")" + previous + R"(","to":")" + level + R"("})"});
    }
    catch (const std::exception& e) {
        log::error(serverLog(), "audit.append_failed",
                   std::string("the log level change could not be audited: ") + e.what(),
                   {{"action", "config.change"}, {"error", e.what()}});
    }
}

int ParleydApplication::serve()
{
    auto settings = loadSettings(configFile_, overrides_);
    if (checkOnly_) {
        for (const auto& [key, value] : settings.effective)
            std::cout << key << " = " << value << "\n";
        std::cout << "configuration OK" << std::endl;
        return EXIT_OK;
    }
    configureLogging(settings.logLevel, settings.logFile);
    log::info(serverLog(), "server.starting", "parleyd " PARLEY_VERSION " starting", {{"version", PARLEY_VERSION}});
    for (const auto& [key, value] : settings.effective) // secrets are shown as set or not (settings.h)
        log::debug(serverLog(), "config.value", "configuration " + key + " = " + value, {{"key", key}, {"value", value}});

    prepareDataDirectory(settings.dataDir);
    // Held for as long as the server runs: `parleyctl backup restore` refuses this directory
    // while any parleyd holds it, and a server does not start on a restore in progress.
    const auto dataLock = storage::DataDirectoryLock::tryAcquire(settings.dataDir,
                                                                 storage::DataDirectoryLock::Mode::Shared);
    if (!dataLock)
        throw std::runtime_error("a backup is being restored into " + settings.dataDir.string() +
                                 " (parleyctl backup restore holds its lock); start parleyd when it has finished");
    SslLibrary ssl;
    if (settings.generateCertificate) {
        const auto files = portal::ensureSelfSignedCertificate(settings.dataDir / "tls",
                                                               {settings.https.listenAddress});
        settings.https.certificateFile = files.certificate;
        settings.https.privateKeyFile = files.privateKey;
        if (files.created)
            log::info(serverLog(), "tls.self_signed_created",
                      "generated a self-signed certificate in " + files.certificate.string(),
                      {{"file", files.certificate.string()}});
    }

    // One connection per request and signaling thread (opened only when needed), plus some
    // for the maintenance job and for the few calls that hold two at once.
    storage::Database database({settings.databaseFile, settings.databaseBusyTimeout,
                                settings.https.maxThreads +
                                    settings.meetings.signaling.maxConnections + 8});
    log::info(serverLog(), "database.ready",
              "database " + settings.databaseFile.string() + " ready at schema version " +
                  std::to_string(database.readiness().schemaVersion),
              {{"file", settings.databaseFile.string()}, {"schema", database.readiness().schemaVersion}});

    // The audit key lives beside the database, not in it: whoever copies or edits the
    // database file alone cannot forge the signed head of the audit log.
    storage::AuditLog audit(database, storage::loadOrCreateKeyFile(settings.dataDir / "audit.key"));
    auditConfigurationChange(database, audit, settings.effective);
    audit.append({"system", "local", "server.start", "parleyd", "success",
                  "{\"version\":\"" PARLEY_VERSION "\"}"});

    settings.accounts.directory = settings.directory;
    std::unique_ptr<router::MediaRouter> media;
    if (settings.routerEnabled) {
        try {
            media = std::make_unique<router::MediaRouter>(settings.router);
        }
        catch (const std::runtime_error& e) {
            throw portal::ListenError(e.what());
        }
    }
    portal::HttpsServer server(settings.https, settings.accounts, settings.meetings, database, audit,
                               media.get());
    const auto maintain = [&] {
        try {
            const auto pruned = audit.prune(settings.auditRetention);
            if (pruned > 0)
                log::info(serverLog(), "audit.pruned", "audit retention removed " + std::to_string(pruned) + " entries",
                          {{"entries", pruned}});
            server.removeExpiredSessions();
            const auto meetings = server.removeExpiredMeetings();
            if (meetings > 0)
                log::info(serverLog(), "meeting.pruned",
                          "meeting retention removed " + std::to_string(meetings) + " meeting(s)",
                          {{"meetings", meetings}});
        }
        catch (const std::exception& e) {
            log::error(serverLog(), "maintenance.failed", std::string("maintenance failed (will retry): ") + e.what(),
                       {{"error", e.what()}});
        }
    };
    maintain();
    MaintenanceJob maintenance(std::chrono::hours(1), maintain);
    // Folded audit events are written within seconds of their window's end, even when the
    // flood that caused them has stopped; so are the ends of recording viewings.
    MaintenanceJob auditRepeats(std::chrono::seconds(5), [&] {
        server.closeIdleViewings();
        try {
            audit.flushRepeats();
        }
        catch (const std::exception& e) {
            log::error(serverLog(), "audit.fold_failed",
                       std::string("writing folded audit events failed (will retry): ") + e.what(), {{"error", e.what()}});
        }
    });
    const ServiceNotifier notifier;
    const auto status = [&server] {
        return "serving https on port " + std::to_string(server.port()) + ", certificate " +
               server.certificateFingerprint().substr(0, 23) + "...";
    };
    std::string logLevel = settings.logLevel;
    HangupSignal hangup([this, &server, &notifier, &status, &logLevel, &audit] {
        notifier.reloading();
        try {
            server.reloadCertificate(); // logs and audits what it did
        }
        catch (const std::exception& e) {
            log::error(serverLog(), "tls.reload_failed",
                       std::string("SIGHUP: the TLS certificate in service stays: ") + e.what(), {{"error", e.what()}});
        }
        reloadLogLevel(logLevel, audit);
        notifier.ready(status());
    });
    server.start();
    if (settings.sip.enabled) {
        try {
            server.startSip(settings.sip, settings.router.listenAddress, media->announcedAddress());
        }
        catch (const std::runtime_error& e) {
            throw portal::ListenError(e.what());
        }
    }
    printBanner(settings, server.port(), server.certificateFingerprint(), storage::UserStore(database).count() > 0,
                media.get(), server.sipPort());
    notifier.ready(status());

    waitForTerminationRequest();
    notifier.stopping();
    log::info(serverLog(), "server.stopping",
              "termination requested; finishing requests in progress (at most " +
                  std::to_string(settings.shutdownGrace.count()) + " s)",
              {{"grace_seconds", settings.shutdownGrace.count()}});
    server.stop(settings.shutdownGrace);
    audit.flushRepeats(true);
    audit.append({"system", "local", "server.stop", "parleyd", "success", "{}"});
    log::info(serverLog(), "server.stopped", "parleyd stopped");
    return EXIT_OK;
}

} // namespace parley::parleyd
