#include <parley/portal/https_server.h>

#include <parley/log/log_event.h>

#include "admin_console_page.h"
#include "admin_overview_handler.h"
#include "metrics_handler.h"

#include <parley/portal/accounts/account_handler_services.h>
#include <parley/portal/accounts/account_service.h>
#include <parley/portal/accounts/auth_handlers.h>
#include <parley/portal/accounts/directory_configuration.h>
#include <parley/portal/accounts/directory_health.h>
#include <parley/portal/accounts/ldap_admin_handlers.h>
#include <parley/portal/accounts/login_throttle.h>
#include <parley/portal/accounts/session_manager.h>
#include <parley/portal/accounts/user_handlers.h>
#include <parley/portal/accounts/user_search_handler.h>
#include <parley/portal/audit/audit_handlers.h>
#include <parley/portal/http/connection_error_log.h>
#include <parley/portal/http/health_handlers.h>
#include <parley/portal/http/http_listener.h>
#include <parley/portal/http/metrics_registry.h>
#include <parley/portal/http/request_router.h>
#include <parley/portal/http/static_file_handler.h>
#include <parley/portal/http/tls_certificate_handler.h>
#include <parley/portal/http/tls_context.h>
#include <parley/portal/meetings/admin_meeting_handlers.h>
#include <parley/portal/meetings/meeting_invitation_handlers.h>
#include <parley/portal/meetings/room_handlers.h>
#include <parley/portal/meetings/room_recording_handler.h>
#include <parley/portal/meetings/reconnect_expiry.h>
#include <parley/portal/meetings/room_registry.h>
#include <parley/portal/meetings/room_service.h>
#include <parley/portal/meetings/signaling_handler.h>
#include <parley/portal/meetings/signaling_hub.h>
#include <parley/portal/meetings/signaling_reactor.h>
#include <parley/portal/meetings/signaling_session.h>
#include <parley/portal/recordings/recording_handlers.h>
#include <parley/portal/recordings/recording_jobs.h>
#include <parley/portal/recordings/recording_library.h>
#include <parley/portal/recordings/recording_service.h>
#include <parley/portal/recordings/recording_viewings.h>
#include <parley/portal/recordings/export_signer.h>
#include <parley/portal/recordings/volume_handlers.h>
#include <parley/portal/settings/settings_configuration.h>
#include <parley/portal/settings/settings_handlers.h>
#include <parley/portal/sip_calls/sip_admin_handlers.h>
#include <parley/portal/sip_calls/sip_endpoint_service.h>
#include <parley/portal/sip_calls/sip_gateway.h>
#include <parley/sip/sip_server.h>

#include <parley/storage/audit_log.h>
#include <parley/portal/http/secret_token.h>
#include <parley/storage/database.h>
#include <parley/storage/key_file.h>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <future>
#include <optional>
#include <thread>

namespace parley::portal {
namespace {

Poco::Logger& logger()
{
    return Poco::Logger::get("portal.https");
}

Poco::Net::SecureServerSocket bindSocket(const HttpsSettings& settings,
                                         Poco::Net::Context::Ptr context)
{
    try {
        const Poco::Net::SocketAddress address(settings.listenAddress, settings.port);
        Poco::Net::SecureServerSocket socket(context);
        // SO_REUSEADDR for quick restarts, but never SO_REUSEPORT: a second server on the same
        // port must fail, not silently share the traffic.
        socket.bind(address, true, false);
        socket.listen(std::max(64, settings.maxQueuedConnections));
        return socket;
    }
    catch (const Poco::Exception& e) {
        throw ListenError("cannot listen on " + settings.listenAddress + " port " +
                          std::to_string(settings.port) + ": " + e.displayText());
    }
}

template <typename Handler>
RequestRouter::Factory make(const HandlerContext& context)
{
    return [context] { return std::make_unique<Handler>(context); };
}

template <typename Handler, typename Services>
RequestRouter::Factory make(const HandlerContext& context, Services& services)
{
    return [context, &services] { return std::make_unique<Handler>(context, services); };
}

/// What each part's handlers work with.
struct PartServices
{
    AccountHandlerServices accounts;
    AuditHandlerServices audit;
    MeetingHandlerServices meetings;
    RecordingHandlerServices recordings;
    TlsHandlerServices tls;
    OverviewSources overview;
    SettingsHandlerServices settings;
    SipAdminServices sip;
};

/// Connections at once on the separate metrics address.
constexpr int kMetricsConnections = 4;

/// How often the overview's directory check runs.
constexpr std::chrono::seconds kDirectoryCheckInterval{60};

/// Bounds of the latency histograms, in seconds: a directory answers in milliseconds when
/// well, and login gives up on it after its timeouts (seconds).
const std::vector<double> kDirectoryLatencyBounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
/// A composition takes about as long as the meeting's tracks take to decode and encode again.
const std::vector<double> kCompositionBounds{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600};

std::unique_ptr<RequestRouter> makeRouter(const HandlerContext& context, PartServices& parts,
                                          MetricsSources& metrics, storage::Database& database,
                                          const HttpsSettings& settings, const AccessControl& access)
{
    auto router = std::make_unique<RequestRouter>(context, access);
    router->add("/healthz", {"GET"}, Access::Public, make<HealthHandler>(context));
    // Public to the router: the handler itself wants the scraper's bearer token, and nothing
    // else (no session, no role) stands in for it.
    router->add("/metrics", {"GET"}, Access::Public, make<MetricsHandler>(context, metrics));
    router->add("/readyz", {"GET"}, Access::Public, [context, &database] {
        return std::make_unique<ReadinessHandler>(context, database);
    });
    router->add("/api/v1/auth/login", {"POST"}, Access::Public, make<LoginHandler>(context, parts.accounts));
    router->add("/api/v1/auth/logout", {"POST"}, Access::SignedIn, make<LogoutHandler>(context, parts.accounts));
    router->add("/api/v1/auth/session", {"GET"}, Access::SignedIn, make<SessionHandler>(context, parts.accounts));
    router->add("/api/v1/me/password", {"POST"}, Access::SignedIn, make<OwnPasswordHandler>(context, parts.accounts));
    router->add("/api/v1/users", {"GET", "POST"}, Access::Admin, make<UsersHandler>(context, parts.accounts));
    // Before /users/{id}: the first matching pattern wins, and "search" is not an id.
    router->add("/api/v1/users/search", {"GET"}, Access::SignedIn, make<UserSearchHandler>(context, parts.accounts));
    router->add("/api/v1/users/{id}", {"GET", "PATCH", "DELETE"}, Access::Admin, make<UserHandler>(context, parts.accounts));
    router->add("/api/v1/users/{id}/password", {"POST"}, Access::Admin, make<UserPasswordHandler>(context, parts.accounts));
    router->add("/api/v1/admin/ldap", {"GET", "PUT", "DELETE"}, Access::Admin, make<LdapSettingsHandler>(context, parts.accounts));
    router->add("/api/v1/admin/ldap/test", {"POST"}, Access::Admin, make<LdapTestHandler>(context, parts.accounts));
    router->add("/api/v1/admin/tls", {"GET", "PUT", "DELETE"}, Access::Admin, make<TlsCertificateHandler>(context, parts.tls));
    router->add("/api/v1/admin/settings", {"GET", "PUT", "DELETE"}, Access::Admin, make<SettingsHandler>(context, parts.settings));
    router->add("/api/v1/admin/settings/{key}", {"DELETE"}, Access::Admin, make<SettingHandler>(context, parts.settings));
    router->add("/api/v1/admin/volume", {"GET"}, Access::Admin,
                [context, mountPoint = settings.recordingVolume, container = settings.volumeContainer] {
                    return std::make_unique<VolumeStatusHandler>(context, mountPoint, container);
                });
    router->add("/api/v1/admin/overview", {"GET"}, Access::Admin, make<AdminOverviewHandler>(context, parts.overview));
    router->add("/api/v1/admin/meetings", {"GET"}, Access::Admin, make<LiveMeetingsHandler>(context, parts.meetings));
    router->add("/api/v1/admin/meetings/{id}", {"GET", "DELETE"}, Access::Admin, make<LiveMeetingHandler>(context, parts.meetings));
    router->add("/api/v1/admin/meetings/{id}/participants/{participant}", {"DELETE"}, Access::Admin,
                make<LiveParticipantHandler>(context, parts.meetings));
    router->add("/api/v1/admin/rooms", {"GET"}, Access::Admin, make<AdminRoomsHandler>(context, parts.meetings));
    router->add("/api/v1/admin/recordings", {"GET"}, Access::Admin, make<AdminRecordingsHandler>(context, parts.recordings));
    router->add("/api/v1/admin/sip", {"GET"}, Access::Admin, make<SipStatusHandler>(context, parts.sip));
    router->add("/api/v1/admin/sip/endpoints", {"GET", "POST"}, Access::Admin, make<SipEndpointsHandler>(context, parts.sip));
    router->add("/api/v1/admin/sip/endpoints/{username}", {"GET", "PATCH", "DELETE"}, Access::Admin,
                make<SipEndpointHandler>(context, parts.sip));
    router->add("/api/v1/audit", {"GET"}, Access::AuditReader, make<AuditQueryHandler>(context, parts.audit));
    router->add("/api/v1/audit/export", {"GET"}, Access::AuditReader, make<AuditExportHandler>(context, parts.audit));
    router->add("/api/v1/audit/verify", {"GET"}, Access::AuditReader, make<AuditVerifyHandler>(context, parts.audit));
    router->add("/api/v1/audit/verify-export", {"POST"}, Access::AuditReader, make<AuditVerifyExportHandler>(context, parts.audit));
    router->add("/api/v1/rooms", {"GET", "POST"}, Access::SignedIn, make<RoomsHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}", {"GET", "PATCH", "DELETE"}, Access::SignedIn, make<RoomHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/link", {"POST"}, Access::SignedIn, make<RoomLinkHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/calendar.ics", {"GET"}, Access::SignedIn, make<RoomCalendarHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/invitation-text", {"GET"}, Access::SignedIn, make<InvitationTextHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/invitations", {"GET", "POST"}, Access::SignedIn, make<InvitationsHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/invitations/{invitation}", {"DELETE"}, Access::SignedIn, make<InvitationHandler>(context, parts.meetings));
    router->add("/api/v1/rooms/{id}/recording", {"POST"}, Access::SignedIn, make<RoomRecordingHandler>(context, parts.meetings));
    router->add("/api/v1/recordings", {"GET"}, Access::SignedIn, make<RecordingsHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/signing-key", {"GET"}, Access::SignedIn,
                make<ExportSigningKeyHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/{id}/export", {"GET"}, Access::SignedIn,
                make<RecordingExportHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/{id}", {"GET", "DELETE"}, Access::SignedIn, make<RecordingHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/{id}/media", {"GET"}, Access::SignedIn,
                [context, &parts] { return std::make_unique<RecordingMediaHandler>(context, parts.recordings, false); });
    router->add("/api/v1/recordings/{id}/download", {"GET"}, Access::SignedIn,
                [context, &parts] { return std::make_unique<RecordingMediaHandler>(context, parts.recordings, true); });
    router->add("/api/v1/recordings/{id}/tracks/{track}/media", {"GET"}, Access::SignedIn, [context, &parts] {
        return std::make_unique<RecordingMediaHandler>(context, parts.recordings, false, true);
    });
    router->add("/api/v1/recordings/{id}/shares", {"POST"}, Access::SignedIn, make<RecordingSharesHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/{id}/shares/{user}", {"DELETE"}, Access::SignedIn,
                make<RecordingShareHandler>(context, parts.recordings));
    router->add("/api/v1/recordings/{id}/verify", {"POST"}, Access::SignedIn, make<RecordingVerifyHandler>(context, parts.recordings));
    // Guests and users alike; the join message says who they are.
    router->add("/ws", {"GET"}, Access::Public, make<SignalingHandler>(context, parts.meetings));
    const auto page = [context, webRoot = settings.webRoot] {
        return std::make_unique<StaticFileHandler>(context, webRoot);
    };
    const auto pageNamed = [context, webRoot = settings.webRoot](const char* name) {
        return [context, webRoot, name] { return std::make_unique<StaticFileHandler>(context, webRoot, name); };
    };
    // The front door: sign-in, then the person's rooms and meetings.
    router->add("/", {"GET"}, Access::Public, pageNamed("portal.html"));
    router->add("/join/{link}", {"GET"}, Access::Public, page);
    // A personal invitation: the key follows in the fragment, which never reaches the server.
    router->add("/invite", {"GET"}, Access::Public, page);
    // Signed-in people joining with a meeting ID (the page sends it in its join message).
    router->add("/meeting/{meetingId}", {"GET"}, Access::Public, page);
    router->add("/recordings", {"GET"}, Access::Public, pageNamed("recordings.html"));
    // The admin console: a browser without a session goes to the front door's sign-in
    // first; signed in, admins and auditors from the [access] admin addresses get the page,
    // anyone else a 403 with the page telling them why (admin_console_page.h).
    router->add("/admin", {"GET"}, Access::SignedIn, [context, webRoot = settings.webRoot] {
        return std::make_unique<AdminConsolePageHandler>(context, webRoot);
    });
    router->add("/static/{file}", {"GET"}, Access::Public, page);
    return router;
}

} // namespace

struct HttpsServer::Impl
{
    /// First, so it outlives every part that counts into it.
    MetricsRegistry metrics;
    AccessControl access;
    AccountService accounts;
    DirectoryConfiguration directory;
    DirectoryHealth directoryHealth;
    SessionManager sessions;
    RoomService rooms;
    RoomRegistry registry;
    SignalingHub signalingHub;
    LoginThrottle pinThrottle;
    LoginThrottle meetingIdThrottle;
    RecordingLibrary recordingLibrary;
    RecordingViewings viewings;
    ExportSigner exportSigner;
    /// After everything it pushes the settings into.
    SettingsConfiguration securitySettings;
    RecordingJobs recordingJobs;
    RecordingService recordings;
    SignalingContext signaling;
    ReconnectExpiry reconnectExpiry;
    SipEndpointService sipEndpoints;
    /// After everything a session uses, so its connections close while those still stand.
    SignalingReactor signalingReactor;
    LiveCertificate certificate;
    PartServices parts;
    MetricsSources metricsSources;
    ConnectionErrorLog errorLog;
    ConnectionTracker tracker;
    Poco::Net::Context::Ptr tls;
    Poco::Net::SecureServerSocket socket;
    Poco::ThreadPool threads;
    std::unique_ptr<HttpListener> server;
    // The separate metrics address (metrics.listen_address), when there is one: /metrics only.
    std::optional<Poco::Net::SecureServerSocket> metricsSocket;
    ConnectionTracker metricsTracker;
    Poco::ThreadPool metricsThreads;
    std::unique_ptr<HttpListener> metricsServer;
    bool started = false;
    bool stopped = false;
    // Last, so that they go first: calls end while the meetings they are in still stand.
    std::unique_ptr<SipGateway> sipGateway;
    std::unique_ptr<sip::SipServer> sipServer;

    ~Impl()
    {
        // The SIP server goes first; calls' media threads must not reach it after.
        if (sipGateway)
            sipGateway->attach(nullptr);
    }

    Impl(const HttpsSettings& settings, const AccountSettings& accountSettings,
         const MeetingSettings& meetingSettings, storage::Database& database,
         storage::AuditLog& audit, router::MediaRouter* media)
        : access(settings.portalAccess, settings.adminAccess),
          accounts(database, audit, accountSettings),
          directory(database, accountSettings.directory),
          directoryHealth(directory, kDirectoryCheckInterval),
          sessions(database, audit, accountSettings, directory),
          rooms(database, audit, meetingSettings),
          signalingHub(meetingSettings.signaling),
          pinThrottle(meetingSettings.pinThrottle),
          meetingIdThrottle(meetingSettings.meetingIdThrottle),
          recordingLibrary(database, audit, settings.recordingVolume, meetingSettings.recording),
          viewings(audit, RecordingViewingPolicy{meetingSettings.recording.viewIdle}),
          exportSigner(settings.exportSigningKeyFile.empty() ? randomBytes(32)
                                                             : storage::loadOrCreateKeyFile(settings.exportSigningKeyFile)),
          securitySettings(database, SecuritySettings::fromFile(settings, accountSettings, meetingSettings),
                           {access, sessions, pinThrottle, meetingIdThrottle, rooms, recordingLibrary}),
          recordingJobs(recordingLibrary),
          recordings(database, audit, media, settings.recordingVolume, [this] { recordingJobs.wake(); },
                     [this](std::int64_t roomId, const std::string& reason) {
                         if (const auto live = registry.find(roomId))
                             live->announceRecording(std::nullopt, "system", reason);
                     }),
          signaling{rooms, registry, audit, pinThrottle, meetingIdThrottle, media, &recordings},
          reconnectExpiry(signaling),
          sipEndpoints(database, audit),
          certificate(settings.certificateFile, settings.privateKeyFile, settings.uploadedCertificateFile),
          parts{{database, audit, accounts, sessions, directory},
                {audit},
                {database, audit, rooms, registry, signalingHub, signalingReactor, signaling},
                {database, audit, recordingLibrary, viewings, exportSigner},
                {certificate, audit},
                {database, registry, media, directoryHealth, certificate, settings.recordingVolume,
                 settings.volumeContainer, settings.backupStatusFile, std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch()).count()},
                {audit, securitySettings},
                {sipEndpoints}},
          metricsSources{parts.overview, signalingHub, metrics,
                         metrics.counter("parley_metrics_refusals_total",
                                         "Requests for /metrics refused for a missing or wrong token, by reason.",
                                         {"reason"}),
                         sipEndpoints},
          tracker(ConnectionTracker::Limits{settings.maxThreads, settings.maxConnectionsPerAddress,
                                            settings.requestTimeout, settings.keepAliveTimeout}),
          tls(makeServerTlsContext(certificate)),
          socket(bindSocket(settings, tls)),
          // A signaling connection holds a thread only for its handshake; then the
          // reactor serves it.
          threads("https", 2, settings.maxThreads),
          // A scraper or two, each with a connection at a time.
          metricsTracker(ConnectionTracker::Limits{kMetricsConnections, kMetricsConnections, settings.requestTimeout,
                                                   settings.keepAliveTimeout}),
          metricsThreads("metrics", 1, kMetricsConnections)
    {
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(settings.maxThreads);
        params->setMaxQueued(settings.maxQueuedConnections);
        params->setTimeout(Poco::Timespan(settings.requestTimeout.count(), 0));
        params->setKeepAlive(true);
        params->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeout.count(), 0));
        params->setMaxKeepAliveRequests(1000);
        params->setSoftwareVersion(""); // no version banner
        auto& requests = metrics.counter("parley_http_requests_total",
                                         "HTTP requests answered, by route template, method and status.",
                                         {"route", "method", "status"});
        auto& directoryLatency = metrics.histogram(
            "parley_directory_request_duration_seconds",
            "Time the directory took to answer, by operation (login bind, health check).", {"operation"},
            kDirectoryLatencyBounds);
        sessions.observeWith(metrics.counter("parley_logins_total",
                                             "Login attempts by source (local, ldap, none), result and reason.",
                                             {"source", "result", "reason"}),
                             directoryLatency);
        directoryHealth.observeWith(directoryLatency);
        recordingJobs.observeWith(metrics.histogram("parley_composition_duration_seconds",
                                                    "Wall time of each recording's composition that ran to its end.",
                                                    {}, kCompositionBounds));
        addServerCollectors(metricsSources);
        const HandlerContext context{settings.maxBodyBytes, settings.hstsMaxAge, &sessions, &audit,
                                     settings.publicUrl, &requests};
        server = std::make_unique<HttpListener>(
            makeRouter(context, parts, metricsSources, database, settings, access).release(), threads, socket,
            params, tracker);
        if (!settings.metricsListenAddress.empty()) {
            auto metricsAddress = settings;
            metricsAddress.listenAddress = settings.metricsListenAddress;
            metricsAddress.port = settings.metricsPort;
            metricsSocket.emplace(bindSocket(metricsAddress, tls));
            // The same handler, token and address lists; nothing else is served there.
            auto metricsRouter = std::make_unique<RequestRouter>(context, access);
            metricsRouter->add("/metrics", {"GET"}, Access::Public, make<MetricsHandler>(context, metricsSources));
            Poco::Net::HTTPServerParams::Ptr metricsParams = new Poco::Net::HTTPServerParams;
            metricsParams->setMaxThreads(kMetricsConnections);
            metricsParams->setMaxQueued(kMetricsConnections);
            metricsParams->setTimeout(Poco::Timespan(settings.requestTimeout.count(), 0));
            metricsParams->setKeepAlive(true);
            metricsParams->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeout.count(), 0));
            metricsParams->setSoftwareVersion("");
            metricsServer = std::make_unique<HttpListener>(metricsRouter.release(), metricsThreads, *metricsSocket,
                                                           metricsParams, metricsTracker);
        }
        // After the recording service marked what the last stop interrupted.
        recordingJobs.start();
    }
};

HttpsServer::HttpsServer(const HttpsSettings& settings, const AccountSettings& accounts,
                         const MeetingSettings& meetings, storage::Database& database,
                         storage::AuditLog& audit, router::MediaRouter* media)
    : impl_(std::make_unique<Impl>(settings, accounts, meetings, database, audit, media))
{}

std::int64_t HttpsServer::removeExpiredSessions()
{
    return impl_->sessions.removeExpired();
}

std::size_t HttpsServer::removeExpiredMeetings()
{
    return impl_->rooms.removeExpiredMeetings();
}

HttpsServer::~HttpsServer()
{
    stop(std::chrono::seconds(0));
}

void HttpsServer::start()
{
    impl_->server->start();
    impl_->started = true;
    log::info(logger(), "https.listening", "listening on " + impl_->socket.address().toString(),
              {{"address", impl_->socket.address().host().toString()}, {"port", impl_->socket.address().port()}});
    // After the portal's line, which tools (and tests) read the portal's port from.
    if (impl_->metricsServer) {
        impl_->metricsServer->start();
        const auto address = impl_->metricsSocket->address();
        log::info(logger(), "metrics.listening", "metrics listening on " + address.toString(),
                  {{"address", address.host().toString()}, {"port", address.port()}});
    }
}

void HttpsServer::stop(std::chrono::seconds grace)
{
    if (!impl_->started || impl_->stopped)
        return;
    impl_->stopped = true;
    auto& server = *impl_->server;

    // Stop the acceptor and close the listening socket first, so new clients are refused
    // rather than left waiting in the backlog.
    server.stop();
    impl_->socket.close();
    // A scrape in progress is not worth waiting for.
    if (impl_->metricsServer) {
        impl_->metricsServer->stop();
        impl_->metricsSocket->close();
        impl_->metricsServer->stopAll(true);
    }
    // Participants still held for a reconnection go with the process.
    impl_->reconnectExpiry.stop();
    // Recordings in progress end cleanly, every file closed, before the meetings go.
    impl_->recordings.stopAll("server stopping");
    // Signaling connections never finish on their own: tell each client the server is
    // going away, which ends them (the reactor writes the close frames meanwhile).
    impl_->signalingHub.closeAll(1001, "server shutting down");

    // stopAll(false) closes idle keep-alive connections and waits for each request in
    // progress to be answered. It has no deadline of its own, so it runs aside while we
    // keep the clock.
    auto graceful = std::async(std::launch::async, [&server] { server.stopAll(false); });
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (graceful.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready ||
           server.currentThreads() > 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            log::warning(logger(), "https.grace_over",
                         "shutdown grace period over; closing " + std::to_string(server.currentConnections()) +
                             " remaining connection(s)",
                         {{"connections", server.currentConnections()}});
            server.stopAll(true);
            break;
        }
    }
    graceful.wait();
    auto& reactor = impl_->signalingReactor;
    if (!reactor.waitUntilIdle(deadline))
        log::warning(logger(), "https.grace_over",
                     "shutdown grace period over; dropping " + std::to_string(reactor.connections()) +
                         " signaling connection(s) still closing",
                     {{"connections", reactor.connections()}});
    reactor.stop();
    // Nobody is watching any more: every viewing ends, with its summary.
    closeIdleViewings(true);
    log::info(logger(), "https.stopped", "stopped");
}

std::size_t HttpsServer::closeIdleViewings(bool everything)
{
    try {
        return impl_->viewings.closeIdle(everything);
    }
    catch (const std::exception& e) {
        log::error(logger(), "recording.view_end_failed",
                   std::string("the ends of recording viewings could not be audited (will retry): ") + e.what(),
                   {{"error", e.what()}});
        return 0;
    }
}

std::string HttpsServer::reloadCertificate()
{
    const auto before = impl_->certificate.current();
    const auto after = impl_->certificate.reload();
    if (after.chain->fingerprintSha256() != before.chain->fingerprintSha256())
        impl_->parts.tls.audit.append({"system", "local", "config.change", "tls", "success",
                                       tlsChangeDetails(before, after)});
    return after.chain->fingerprintSha256();
}

std::string HttpsServer::certificateFingerprint() const
{
    return impl_->certificate.current().chain->fingerprintSha256();
}

void HttpsServer::startSip(const sip::SipSettings& settings, const std::string& mediaBindAddress,
                           const std::string& mediaAnnouncedAddress)
{
    if (impl_->sipServer)
        return;
    // sofia-sip reads its certificate and key from agent.pem in a directory of its own: the
    // certificate in service now, the uploaded one when there is one.
    impl_->certificate.writeCurrent(settings.certificateDirectory / "agent.pem");
    impl_->sipGateway = std::make_unique<SipGateway>(
        impl_->signaling, SipMediaAddresses{mediaBindAddress, mediaAnnouncedAddress},
        [&endpoints = impl_->sipEndpoints](const std::string& username, const std::string& realm) {
            return endpoints.credentials(username, realm);
        });
    impl_->sipServer = std::make_unique<sip::SipServer>(settings, *impl_->sipGateway);
    impl_->sipGateway->attach(impl_->sipServer.get()); // the server logs sip.listening
    impl_->sipEndpoints.attach(settings, impl_->sipServer.get(), impl_->sipGateway.get());
}

std::uint16_t HttpsServer::sipPort() const
{
    return impl_->sipServer ? impl_->sipServer->port() : 0;
}

std::uint16_t HttpsServer::port() const
{
    return impl_->socket.address().port();
}

std::uint16_t HttpsServer::metricsPort() const
{
    return impl_->metricsSocket ? impl_->metricsSocket->address().port() : 0;
}

} // namespace parley::portal
