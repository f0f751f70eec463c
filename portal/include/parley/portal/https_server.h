#pragma once

#include <parley/portal/accounts/account_settings.h>
#include <parley/portal/http/https_settings.h>
#include <parley/portal/meetings/meeting_settings.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace parley::router {
class MediaRouter;
}
namespace parley::sip {
struct SipSettings;
}

namespace parley::storage {
class AuditLog;
class Database;
} // namespace parley::storage

namespace parley::portal {

/// Thrown when the listening socket cannot be opened; the message names address and port.
class ListenError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The portal's HTTPS endpoint: REST API, health endpoints and WebSocket signaling (`/ws`).
///
/// Every response the portal answers carries HSTS and defensive headers, and every error it
/// answers is a JSON body `{"error":{"code":...,"message":...}}` (requests Poco's own parser
/// rejects too, through HttpListener). A client that does not speak TLS is disconnected during the
/// handshake.
class HttpsServer
{
public:
    /// Loads the TLS context and binds the listening socket (not yet accepting).
    /// Throws TlsSetupError for certificate problems and ListenError if the address cannot
    /// be bound. `database`, `audit` and `media` must outlive the server; without `media`
    /// meetings have signaling but media offers are refused.
    HttpsServer(const HttpsSettings& settings, const AccountSettings& accounts,
                const MeetingSettings& meetings, storage::Database& database,
                storage::AuditLog& audit, router::MediaRouter* media = nullptr);
    ~HttpsServer();

    HttpsServer(const HttpsServer&) = delete;
    HttpsServer& operator=(const HttpsServer&) = delete;

    /// Starts accepting connections on the server's worker threads.
    void start();

    /// Graceful stop: from the moment it is called new connections are refused and idle
    /// keep-alive connections are closed; requests already being received or handled are
    /// completed and answered, for at most `grace`, after which remaining connections are
    /// cut. Returns when no connection is left (or the grace period is over). Idempotent.
    void stop(std::chrono::seconds grace);

    /// Deletes expired sessions; returns how many. For a periodic maintenance job.
    std::int64_t removeExpiredSessions();

    /// Ends the recording viewings idle for a while (all with `everything`), auditing each
    /// one's summary (RecordingViewings); returns how many. For a job every few seconds.
    std::size_t closeIdleViewings(bool everything = false);

    /// Deletes scheduled meetings past their retention (audited); returns how many.
    std::size_t removeExpiredMeetings();

    /// Re-reads the certificate files in force (the uploaded certificate when one is stored,
    /// else tls.certificate/tls.private_key) for new connections; open ones keep theirs.
    /// Returns the SHA-256 fingerprint now served; a change is audited (`config.change`,
    /// target `tls`, actor `system`). Throws TlsSetupError when the files cannot be used; the
    /// certificate in service then stays.
    std::string reloadCertificate();

    /// SHA-256 fingerprint ("AB:CD:...") of the certificate new connections get.
    std::string certificateFingerprint() const;

    /// Starts SIP over TLS (docs/sip.md): calls join meetings through this server's
    /// signaling, their media received on `mediaBindAddress` and announced in SDP as
    /// `mediaAnnouncedAddress`. Needs the media router. Throws std::runtime_error naming the
    /// address when it cannot listen.
    void startSip(const sip::SipSettings& settings, const std::string& mediaBindAddress,
                  const std::string& mediaAnnouncedAddress);
    /// The SIP over TLS port, or 0 while SIP is off.
    std::uint16_t sipPort() const;

    /// The bound port (useful when the settings asked for port 0).
    std::uint16_t port() const;
    /// The bound port of the separate metrics address, or 0 when there is none.
    std::uint16_t metricsPort() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace parley::portal
