#include <parley/router/srtp_session.h>

#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>
#include <string>

namespace parley::router {
namespace {

void initialiseOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (const auto status = srtp_init(); status != srtp_err_status_ok)
            throw SrtpError("srtp_init failed with status " + std::to_string(status));
    });
}

} // namespace

std::size_t srtpKeyLength(SrtpProfile)
{
    return 16;
}

std::size_t srtpSaltLength(SrtpProfile profile)
{
    return profile == SrtpProfile::AeadAes128Gcm ? 12 : 14;
}

SrtpSession::SrtpSession(SrtpProfile profile, Direction direction,
                         std::span<const std::uint8_t> keyAndSalt)
{
    initialiseOnce();
    if (keyAndSalt.size() != srtpKeyLength(profile) + srtpSaltLength(profile))
        throw SrtpError("SRTP key material has the wrong length");
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    if (profile == SrtpProfile::AeadAes128Gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    }
    else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc.type = direction == Direction::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = const_cast<unsigned char*>(keyAndSalt.data());
    // Replay window well above the default 128: video bursts of a keyframe plus reordering
    // across a batch must not be dropped as replays.
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1; // retransmissions (NACK) reuse sequence numbers
    policy.next = nullptr;
    if (const auto status = srtp_create(&session_, &policy); status != srtp_err_status_ok)
        throw SrtpError("srtp_create failed with status " + std::to_string(status));
}

SrtpSession::~SrtpSession()
{
    if (session_)
        srtp_dealloc(session_);
}

std::size_t SrtpSession::protectRtp(std::uint8_t* packet, std::size_t length, std::size_t capacity)
{
    if (capacity < length + kSrtpMaxTrailer)
        return 0;
    int size = static_cast<int>(length);
    return srtp_protect(session_, packet, &size) == srtp_err_status_ok ? static_cast<std::size_t>(size) : 0;
}

std::size_t SrtpSession::protectRtcp(std::uint8_t* packet, std::size_t length, std::size_t capacity)
{
    if (capacity < length + kSrtpMaxTrailer)
        return 0;
    int size = static_cast<int>(length);
    return srtp_protect_rtcp(session_, packet, &size) == srtp_err_status_ok
               ? static_cast<std::size_t>(size)
               : 0;
}

std::size_t SrtpSession::unprotectRtp(std::uint8_t* packet, std::size_t length)
{
    int size = static_cast<int>(length);
    return srtp_unprotect(session_, packet, &size) == srtp_err_status_ok ? static_cast<std::size_t>(size) : 0;
}

std::size_t SrtpSession::unprotectRtcp(std::uint8_t* packet, std::size_t length)
{
    int size = static_cast<int>(length);
    return srtp_unprotect_rtcp(session_, packet, &size) == srtp_err_status_ok
               ? static_cast<std::size_t>(size)
               : 0;
}

} // namespace parley::router
