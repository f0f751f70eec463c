#pragma once

#include <parley/router/receive_batch.h>
#include <parley/router/srtp_session.h>
#include <parley/sip/sdes_crypto.h>

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace parley::sip {

/// After a rekey, how long packets with the endpoint's previous key are still taken.
inline constexpr std::chrono::seconds kRekeyOverlap{5};

/// One media stream's UDP port towards a SIP endpoint (one m-line: audio, or video), with its
/// SDES keys: SRTP and SRTCP (rtcp-mux) in and out, the endpoint's previous key for
/// kRekeyOverlap after a rekey, and where the endpoint is. The address is the SDP's until an
/// authenticated packet comes from elsewhere (symmetric RTP, for endpoints behind NAT): only
/// a packet with the call's key may move where the call's media goes. The media thread owns
/// it, except stageKeys.
class SdesPort
{
public:
    /// Plain RTP (`rtp`) or RTCP from the endpoint, opened in place.
    using Receive = std::function<void(std::span<std::uint8_t> packet, bool rtp)>;

    /// Opens a UDP port on `bindAddress` (IPv4). Throws std::runtime_error when it cannot,
    /// router::SrtpError for an unusable key.
    SdesPort(const std::string& bindAddress, const std::string& remoteAddress, std::uint16_t remotePort,
             const CryptoAttribute& remote, const CryptoAttribute& local);
    ~SdesPort();
    SdesPort(const SdesPort&) = delete;
    SdesPort& operator=(const SdesPort&) = delete;

    int fd() const { return fd_; }
    std::uint16_t port() const { return port_; }

    /// New keys, taken at the next takeKeys(): see CallMedia::rekey. Called under the owner's
    /// lock, which takeKeys is called under too; any thread. Throws router::SrtpError.
    void stageKeys(const CryptoAttribute& remote, const CryptoAttribute& local);
    /// Whether stageKeys gave keys that takeKeys has not taken yet.
    bool keysStaged() const { return newToEndpoint_ != nullptr; }
    /// Takes the staged keys (media thread, under the owner's lock). The outbound context
    /// before them is kept until keepNewOutbound() or revertOutbound() (the first one, when
    /// keys change again before either).
    void takeKeys(std::int64_t nowMicros);
    /// The endpoint receives what was sent with the new key: the old context goes.
    void keepNewOutbound() { previousToEndpoint_.reset(); }
    /// The endpoint did not take the new key (its receiver reports say so): sends with the
    /// one before it again. False when there is none.
    bool revertOutbound();

    /// Reads what the socket holds into `batch` (recvmmsg) and hands each datagram that a
    /// key in use opens to `receive`; the others are counted and dropped.
    void onReadable(router::ReceiveBatch& batch, const Receive& receive, std::int64_t nowMicros);
    /// Protects `length` bytes of RTP (or RTCP) in `buffer` (capacity at least length +
    /// router::kSrtpMaxTrailer) and sends it to the endpoint; false when it was not sent (no
    /// address yet, or the socket refused).
    bool sendRtp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);
    bool sendRtcp(std::uint8_t* buffer, std::size_t length, std::size_t capacity);

    std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
    std::uint64_t previousKeyPackets() const { return previousKeyPackets_.load(std::memory_order_relaxed); }

private:
    std::size_t unprotect(std::span<std::uint8_t> datagram, bool rtp, std::int64_t nowMicros);
    bool send(const std::uint8_t* buffer, std::size_t length);

    int fd_ = -1;
    std::uint16_t port_ = 0;
    sockaddr_storage endpointAddress_{};
    socklen_t endpointAddressLength_ = 0;
    std::unique_ptr<router::SrtpSession> fromEndpoint_, toEndpoint_;
    CryptoAttribute remoteCrypto_;                              ///< the key fromEndpoint_ has
    std::unique_ptr<router::SrtpSession> previousFromEndpoint_; ///< until previousUntil_
    std::unique_ptr<router::SrtpSession> previousToEndpoint_;   ///< until the rekey is confirmed
    std::int64_t previousUntil_ = 0;
    /// A datagram as it came, for a second try with the previous key: a failed AEAD
    /// decryption leaves the packet changed.
    std::array<std::uint8_t, router::ReceiveBatch::kSlotBytes> trialCopy_{};
    /// Staged by stageKeys (inbound none when the endpoint's key stays).
    std::unique_ptr<router::SrtpSession> newFromEndpoint_, newToEndpoint_;
    std::optional<CryptoAttribute> newRemoteCrypto_;
    std::atomic<std::uint64_t> rejected_{0}, previousKeyPackets_{0};
};

} // namespace parley::sip
