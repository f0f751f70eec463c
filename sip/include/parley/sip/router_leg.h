#pragma once

#include <parley/router/dtls_transport.h>
#include <parley/router/srtp_session.h>

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace parley::sip {

/// Where the router's answer says to send: its ICE credentials, DTLS fingerprint and UDP
/// candidate.
struct RouterAnswer
{
    std::string iceUfrag, icePwd, fingerprint;
    std::string address;
    std::uint16_t port = 0;
};

/// Reads the router's answer SDP: its credentials and its first UDP host candidate. Throws
/// std::runtime_error naming what is missing.
RouterAnswer readRouterAnswer(const std::string& sdp);

/// A SIP call's own WebRTC connection to Parley's media router, as a browser makes one: a UDP
/// socket connected to the router's port, ICE checks in the controlling role (the router is
/// ICE-lite) with consent every 2.5 s, DTLS in the client role, then SRTP with the exported
/// keys. The call's media thread owns it; nothing here is thread-safe.
class RouterLeg
{
public:
    /// Plain RTP or RTCP from the router, decrypted in place.
    using Receive = std::function<void(std::span<std::uint8_t> packet, bool rtcp)>;

    /// `context` must be a client-role context whose certificate has `fingerprint`. Throws
    /// std::runtime_error when no socket can be opened.
    RouterLeg(const router::DtlsContext& context, std::string fingerprint);
    ~RouterLeg();
    RouterLeg(const RouterLeg&) = delete;
    RouterLeg& operator=(const RouterLeg&) = delete;

    /// For the offer: our ICE credentials and certificate fingerprint.
    const std::string& iceUfrag() const { return iceUfrag_; }
    const std::string& icePwd() const { return icePwd_; }
    const std::string& fingerprint() const { return fingerprint_; }

    /// Starts connecting to where the first answer says; later answers change nothing here
    /// (the transport stays while the call renegotiates its tracks). Throws
    /// std::runtime_error when the address is not IPv4 or cannot be reached.
    void connect(const RouterAnswer& answer, std::int64_t nowMicros);

    int fd() const { return fd_; }
    /// Reads what the socket holds: STUN and DTLS are handled here, SRTP is decrypted and
    /// handed to `receive` (packets that do not authenticate are dropped).
    void onReadable(const Receive& receive);
    /// ICE checks, consent and DTLS retransmits; returns when it wants to be called again
    /// (steady µs).
    std::int64_t service(std::int64_t nowMicros);

    /// Whether SRTP keys are there (media can flow).
    bool connected() const { return outbound_ != nullptr; }
    /// Why it gave up, or "" while it has not.
    const std::string& failure() const { return failure_; }

    /// Protects `length` bytes of RTP (or RTCP) in `buffer` (capacity at least length +
    /// router::kSrtpMaxTrailer) and sends it; dropped before the keys are there.
    void sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);
    void sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);

    std::uint64_t authenticationFailures() const { return authenticationFailures_; }

private:
    void send(std::span<const std::uint8_t> datagram);
    void sendCheck(std::int64_t nowMicros);
    void fail(const std::string& why);

    int fd_ = -1;
    std::string iceUfrag_, icePwd_, fingerprint_;
    const router::DtlsContext& context_;
    std::unique_ptr<router::DtlsTransport> dtls_;
    std::unique_ptr<router::SrtpSession> inbound_, outbound_;
    std::string routerUfrag_, routerPwd_;
    bool started_ = false;
    bool iceConfirmed_ = false;
    bool dtlsStarted_ = false;
    std::int64_t nextCheck_ = 0;
    std::int64_t nextDtlsTimer_ = 0;
    std::int64_t deadline_ = 0;
    std::int64_t lastConsent_ = 0;
    std::string failure_;
    std::uint64_t authenticationFailures_ = 0;
};

} // namespace parley::sip
