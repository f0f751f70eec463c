#pragma once

#include <parley/sip/sdes_crypto.h>
#include <parley/sip/sip_offer.h>
#include <parley/sip/sip_refusal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::sip {

/// `[sip]` in parley.ini (docs/configuration.md).
struct SipSettings
{
    bool enabled = false;
    std::string listenAddress = "0.0.0.0";
    std::uint16_t port = 5061; ///< SIP over TLS only; 0 picks a free port (tests): port() says which
    /// Holds agent.pem: the certificate and its private key, the portal's (sofia-sip reads
    /// a directory).
    std::filesystem::path certificateDirectory;
    std::string realm = "parley";
    bool allowGuests = false; ///< calls without credentials join as guests
    /// Parley sends each call a re-INVITE with new keys this often (sip.rekey_seconds).
    std::chrono::seconds rekeyInterval{3600};
};

/// A call that passed the transport, credential and offer checks, for the meeting to decide on.
struct IncomingCall
{
    std::string callId; ///< Parley's random id for it, in logs and the audit log
    std::string target; ///< the request URI's user part: the meeting ID dialled
    std::optional<std::string> endpoint; ///< the authenticated endpoint's username; none for a guest
    std::string displayName; ///< the From header's display name, at most 64 bytes
    std::string sourceAddress;
    MediaPlan plan;
};

/// An endpoint's stored credentials, as the SIP server checks them.
struct EndpointCredentials
{
    std::string ha1;         ///< digestHa1 for the server's realm
    std::string displayName; ///< how it appears in meetings (its From header's name is not used)
};

/// What the SIP server needs from the rest of Parley. Called on the SIP thread.
class SipCallHandler
{
public:
    virtual ~SipCallHandler() = default;
    /// Endpoint `username`'s credentials for `realm`, or nothing when there is no such
    /// endpoint (or its credentials were made for another realm).
    virtual std::optional<EndpointCredentials> endpoint(const std::string& username, const std::string& realm) = 0;
    /// Admits `call` to its meeting, its media sent with `localKeys` (the endpoint's are in
    /// call.plan): returns where Parley receives it. Throws SipRefusal to refuse it.
    virtual LocalMedia acceptCall(const IncomingCall& call, const CallKeys& localKeys) = 0;
    /// A call refused before or by acceptCall (for the audit log): the caller as far as known.
    virtual void callRefused(const IncomingCall& call, const SipRefusal& refusal) = 0;
    /// An accepted call ended: `reason` is "hangup" (the endpoint's BYE), "shutdown",
    /// "removed" after hangUp, or "failed" when answering it failed after acceptCall.
    virtual void callEnded(const std::string& callId, const std::string& reason) = 0;
    /// The call has new keys (Parley's periodic re-INVITE was answered, `byParley`, or the
    /// endpoint's own re-INVITE was): its media must send with `local` and receive with
    /// `remote` from now.
    virtual void callRekeyed(const std::string& callId, const CallKeys& remote, const CallKeys& local,
                             bool byParley) = 0;
    /// The endpoint asked for a keyframe of the video it receives by SIP INFO
    /// (picture_fast_update, RFC 5168).
    virtual void keyframeRequested(const std::string& callId) = 0;
};

/// Counters since start, for /metrics.
struct SipStats
{
    std::uint64_t callsAccepted = 0;
    std::uint64_t callsEnded = 0;
    std::uint64_t activeCalls = 0;
    std::uint64_t rekeys = 0;        ///< re-INVITEs with new keys that were answered, either side's
    std::uint64_t rekeyFailures = 0; ///< Parley's re-INVITEs refused or unanswered (the old keys stay)
    /// Parley's rekeys answered but not taken by the endpoint (its media says so): those
    /// calls go back to their old keys and are not rekeyed again.
    std::uint64_t rekeysNotTaken = 0;
    std::uint64_t registrations = 0; ///< REGISTER requests accepted (refreshes too)
    std::uint64_t videoCalls = 0;    ///< accepted calls with video
    std::uint64_t keyframeInfosSent = 0;     ///< SIP INFO picture_fast_update to endpoints
    std::uint64_t keyframeInfosReceived = 0; ///< and from them
    std::map<std::string, std::uint64_t> refusals; ///< by SipRefusal::reason(), REGISTER's too
};

/// An endpoint's registration: where it said it can be reached, until when.
struct SipRegistration
{
    std::string username;
    std::string contact;       ///< the Contact URI it registered
    std::string sourceAddress; ///< where the REGISTER came from
    std::chrono::system_clock::time_point registeredAt;
    std::chrono::system_clock::time_point expiresAt;
};

/// Parley's SIP user agent server on sofia-sip: SIP over TLS only (a sips: listener, no UDP
/// or TCP transport at all), calls to `sip:<meeting id>@<server>` authenticated by digest,
/// SDES keys in the SDP. Endpoints may REGISTER (digest, always): phones expect a registrar,
/// and the admin sees which are reachable. A call whose From names a stored endpoint is
/// challenged even where guests are allowed, so that it joins under its own name. Runs its
/// own thread, which owns every sofia-sip object.
class SipServer
{
public:
    /// Starts listening. Throws std::runtime_error naming the address when sofia-sip cannot
    /// listen or the certificate directory has no usable agent.pem.
    SipServer(const SipSettings& settings, SipCallHandler& handler);
    /// Ends every call (BYE) and stops.
    ~SipServer();
    SipServer(const SipServer&) = delete;
    SipServer& operator=(const SipServer&) = delete;

    /// The TLS port it listens on.
    std::uint16_t port() const { return port_; }
    SipStats stats() const;
    /// The registrations in force now, by username.
    std::vector<SipRegistration> registrations() const;
    /// Drops endpoint `username`'s registration (it was deleted). Any thread.
    void forget(const std::string& username);
    /// Ends the call (BYE), e.g. when a moderator removes the endpoint. Any thread.
    void hangUp(const std::string& callId);
    /// The call's endpoint did not take Parley's last new key (CallMedia::rekey): Parley does
    /// not rekey this call again, and says so in the log and the counters. Any thread.
    void rekeyNotTaken(const std::string& callId);
    /// Asks the endpoint for a keyframe of its video by SIP INFO picture_fast_update
    /// (RFC 5168), for endpoints that take no RTCP request. Any thread.
    void requestKeyframe(const std::string& callId);

    struct Engine; ///< the sofia-sip side, on the SIP thread

private:
    /// With the port chosen.
    SipServer(const SipSettings& settings, SipCallHandler& handler, int);

    std::unique_ptr<Engine> engine_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

} // namespace parley::sip
