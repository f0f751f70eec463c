#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

struct srtp_ctx_t_;

namespace parley::router {

/// The SRTP protection profiles we negotiate, in order of preference.
enum class SrtpProfile
{
    AeadAes128Gcm,       ///< SRTP_AEAD_AES_128_GCM (RFC 7714): 16-byte key, 12-byte salt
    Aes128CmHmacSha1_80, ///< SRTP_AES128_CM_SHA1_80 (RFC 5764): 16-byte key, 14-byte salt
};

std::size_t srtpKeyLength(SrtpProfile profile);
std::size_t srtpSaltLength(SrtpProfile profile);
/// The most bytes protect() adds to an RTP packet (and protectRtcp to RTCP).
constexpr std::size_t kSrtpMaxTrailer = 16 + 4 + 16;

class SrtpError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// One libsrtp2 session (srtp_t) in one direction, owned for its lifetime. Inbound sessions
/// accept any SSRC; outbound sessions protect any SSRC. Not thread-safe: one per transport
/// direction, used by its worker thread only. Nothing is allocated per packet.
class SrtpSession
{
public:
    enum class Direction
    {
        Inbound,
        Outbound,
    };

    /// `keyAndSalt` is the master key followed by the master salt, as exported from DTLS.
    /// Throws SrtpError when the length is wrong or libsrtp refuses.
    SrtpSession(SrtpProfile profile, Direction direction, std::span<const std::uint8_t> keyAndSalt);
    ~SrtpSession();
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;

    /// Protect in place: `length` bytes of RTP (or RTCP) in a buffer of `capacity` bytes
    /// (at least length + kSrtpMaxTrailer); returns the new length, or 0 on failure.
    std::size_t protectRtp(std::uint8_t* packet, std::size_t length, std::size_t capacity);
    std::size_t protectRtcp(std::uint8_t* packet, std::size_t length, std::size_t capacity);
    /// Unprotect in place; returns the plain length, or 0 when authentication or replay
    /// checking fails (the packet must be dropped).
    std::size_t unprotectRtp(std::uint8_t* packet, std::size_t length);
    std::size_t unprotectRtcp(std::uint8_t* packet, std::size_t length);

private:
    srtp_ctx_t_* session_ = nullptr;
};

} // namespace parley::router
