#pragma once

#include <parley/router/dtls_transport.h>
#include <parley/router/sdp.h>
#include <parley/router/srtp_session.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace parley::router {

/// The client end of a router transport, as a browser makes it, for Parley's own clients of
/// the router (the SIP bridge, the load generator): ICE checks in the controlling role with
/// USE-CANDIDATE (the router is ICE-lite), then a consent check every 2.5 s; DTLS as client
/// once a check is answered; then SRTP sessions from the exported keys. It owns no socket:
/// what it sends goes through `send`, what arrives is fed to onStun and onDtls. Times are
/// steady-clock microseconds. Not thread-safe: one thread drives it.
class IceDtlsClient
{
public:
    using Send = std::function<void(std::span<const std::uint8_t> datagram)>;

    /// Makes fresh ICE credentials. `context` (client role) must outlive it.
    IceDtlsClient(const DtlsContext& context, Send send);
    ~IceDtlsClient();
    IceDtlsClient(const IceDtlsClient&) = delete;
    IceDtlsClient& operator=(const IceDtlsClient&) = delete;

    /// Ours, for the offer.
    const std::string& iceUfrag() const { return iceUfrag_; }
    const std::string& icePwd() const { return icePwd_; }
    const std::string& fingerprint() const { return context_.fingerprint(); }

    /// Starts checks towards the router's end as its answer describes it (answerTransport);
    /// later calls change nothing.
    void start(const SdpAnswerTransport& router, std::int64_t nowMicros);
    bool started() const { return dtls_ != nullptr; }

    /// A STUN datagram from the router: an answer to our checks that carries the router's
    /// integrity confirms ICE, and consent from then on; anything else is ignored.
    void onStun(std::span<const std::uint8_t> datagram, std::int64_t nowMicros);
    /// A DTLS datagram from the router.
    void onDtls(std::span<const std::uint8_t> datagram);

    /// Sends the checks and DTLS retransmissions due at `nowMicros`; gives up (failure())
    /// when the router answers no check or the handshake does not complete in 20 s, or
    /// consent lapses for 30 s (RFC 7675). Returns when it next has something to do.
    std::int64_t service(std::int64_t nowMicros);

    /// SRTP is keyed: inbound() and outbound() are set.
    bool connected() const { return outbound_ != nullptr; }
    SrtpSession* inbound() const { return inbound_.get(); }
    SrtpSession* outbound() const { return outbound_.get(); }
    /// Why it gave up, or "" while it has not.
    const std::string& failure() const { return failure_; }

private:
    void sendCheck(std::int64_t nowMicros);
    void fail(const std::string& why);

    const DtlsContext& context_;
    Send send_;
    std::string iceUfrag_, icePwd_;
    std::string routerUfrag_, routerPwd_;
    std::unique_ptr<DtlsTransport> dtls_;
    std::unique_ptr<SrtpSession> inbound_, outbound_;
    bool iceConfirmed_ = false;
    bool dtlsStarted_ = false;
    std::int64_t nextCheck_ = 0;
    std::int64_t nextDtlsTimer_ = 0;
    std::int64_t deadline_ = 0;
    std::int64_t lastConsent_ = 0;
    std::string failure_;
};

} // namespace parley::router
