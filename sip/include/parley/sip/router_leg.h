#pragma once

#include <parley/router/ice_dtls_client.h>
#include <parley/router/receive_batch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace parley::sip {

/// A SIP call's own WebRTC connection to Parley's media router, as a browser makes one: a UDP
/// socket connected to the router's port, driven by router::IceDtlsClient (ICE, consent,
/// DTLS as client, SRTP). The call's media thread owns it; nothing here is thread-safe.
class RouterLeg
{
public:
    /// Plain RTP or RTCP from the router, decrypted in place.
    using Receive = std::function<void(std::span<std::uint8_t> packet, bool rtcp)>;

    /// `context` must be a client-role context. Throws std::runtime_error when no socket can
    /// be opened.
    explicit RouterLeg(const router::DtlsContext& context);
    ~RouterLeg();
    RouterLeg(const RouterLeg&) = delete;
    RouterLeg& operator=(const RouterLeg&) = delete;

    /// For the offer: our ICE credentials and certificate fingerprint.
    const std::string& iceUfrag() const { return client_.iceUfrag(); }
    const std::string& icePwd() const { return client_.icePwd(); }
    const std::string& fingerprint() const { return client_.fingerprint(); }

    /// Starts connecting to the router's end as its first answer describes it; later calls
    /// change nothing (the transport stays while the call renegotiates its tracks). Throws
    /// std::runtime_error when the address is not IPv4 or cannot be reached.
    void connect(const router::SdpAnswerTransport& router, std::int64_t nowMicros);

    int fd() const { return fd_; }
    /// Reads what the socket holds into `batch` (recvmmsg): STUN and DTLS go to the client,
    /// SRTP is decrypted and handed to `receive` (packets that do not authenticate are dropped
    /// and counted).
    void onReadable(router::ReceiveBatch& batch, const Receive& receive);
    /// See router::IceDtlsClient::service.
    std::int64_t service(std::int64_t nowMicros) { return client_.service(nowMicros); }

    bool connected() const { return client_.connected(); }
    const std::string& failure() const { return client_.failure(); }

    /// Protects `length` bytes of RTP in `buffer` (capacity at least length +
    /// router::kSrtpMaxTrailer) and sends it; dropped before the keys are there.
    void sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);
    /// The same for RTCP (keyframe requests).
    void sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);

    /// SRTP from the router that did not authenticate (any thread may read it).
    std::uint64_t authenticationFailures() const { return authenticationFailures_.load(std::memory_order_relaxed); }

private:
    void send(std::span<const std::uint8_t> datagram);
    void onDatagram(std::span<std::uint8_t> datagram, std::int64_t arrivalMicros, const Receive& receive);

    int fd_ = -1;
    router::IceDtlsClient client_;
    std::atomic<std::uint64_t> authenticationFailures_{0};
};

} // namespace parley::sip
