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

/// What the SIP server needs from the rest of Parley. Called on the SIP thread.
class SipCallHandler
{
public:
    virtual ~SipCallHandler() = default;
    /// The stored HA1 (digestHa1) of endpoint `username`, or nothing when there is none.
    virtual std::optional<std::string> endpointHa1(const std::string& username) = 0;
    /// Admits `call` to its meeting, receiving its media with `localCrypto`'s key in mind:
    /// returns where Parley receives it. Throws SipRefusal to refuse it.
    virtual LocalMedia acceptCall(const IncomingCall& call, const CryptoAttribute& remoteCrypto,
                                  const CryptoAttribute& localCrypto) = 0;
    /// A call refused before or by acceptCall (for the audit log): the caller as far as known.
    virtual void callRefused(const IncomingCall& call, const SipRefusal& refusal) = 0;
    /// An accepted call ended: `reason` is "hangup" (the endpoint's BYE), "shutdown",
    /// "removed" after hangUp, or "failed" when answering it failed after acceptCall.
    virtual void callEnded(const std::string& callId, const std::string& reason) = 0;
};

/// Counters since start, for /metrics.
struct SipStats
{
    std::uint64_t callsAccepted = 0;
    std::uint64_t callsEnded = 0;
    std::uint64_t rekeys = 0;
    std::map<std::string, std::uint64_t> refusals; ///< by SipRefusal::reason()
};

/// Parley's SIP user agent server on sofia-sip: SIP over TLS only (a sips: listener, no UDP
/// or TCP transport at all), calls to `sip:<meeting id>@<server>` authenticated by digest,
/// SDES keys in the SDP. Runs its own thread, which owns every sofia-sip object.
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
    /// Ends the call (BYE), e.g. when a moderator removes the endpoint. Any thread.
    void hangUp(const std::string& callId);

    struct Engine; ///< the sofia-sip side, on the SIP thread

private:
    /// With the port chosen.
    SipServer(const SipSettings& settings, SipCallHandler& handler, int);

    std::unique_ptr<Engine> engine_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

} // namespace parley::sip
