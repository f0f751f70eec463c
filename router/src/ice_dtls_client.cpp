#include <parley/router/ice_dtls_client.h>

#include <parley/router/random_identifiers.h>
#include <parley/router/stun_message.h>

#include <openssl/rand.h>

#include <algorithm>
#include <array>

namespace parley::router {
namespace {

constexpr std::int64_t kCheckRetryMicros = 50'000;
constexpr std::int64_t kConsentMicros = 2'500'000; // well inside the router's 30 s
constexpr std::int64_t kConnectMicros = 20'000'000;
constexpr std::int64_t kConsentLostMicros = 30'000'000;

} // namespace

IceDtlsClient::IceDtlsClient(const DtlsContext& context, Send send)
    : context_(context), send_(std::move(send)), iceUfrag_(randomIceToken(kIceUfragLength)),
      icePwd_(randomIceToken(kIcePasswordLength))
{
}

IceDtlsClient::~IceDtlsClient() = default;

void IceDtlsClient::fail(const std::string& why)
{
    if (failure_.empty())
        failure_ = why;
}

void IceDtlsClient::start(const SdpAnswerTransport& router, std::int64_t nowMicros)
{
    if (dtls_)
        return;
    routerUfrag_ = router.iceUfrag;
    routerPwd_ = router.icePwd;
    dtls_ = std::make_unique<DtlsTransport>(context_, router.fingerprint, send_);
    nextCheck_ = nowMicros;
    deadline_ = nowMicros + kConnectMicros;
    lastConsent_ = nowMicros;
}

void IceDtlsClient::sendCheck(std::int64_t nowMicros)
{
    std::array<std::uint8_t, 12> transaction{};
    RAND_bytes(transaction.data(), static_cast<int>(transaction.size()));
    std::uint8_t request[256];
    const auto length = writeStunBindingRequest(request, transaction, routerUfrag_ + ":" + iceUfrag_, routerPwd_, true);
    send_({request, length});
    nextCheck_ = nowMicros + (iceConfirmed_ ? kConsentMicros : kCheckRetryMicros);
}

void IceDtlsClient::onStun(std::span<const std::uint8_t> datagram, std::int64_t nowMicros)
{
    StunMessage message;
    if (dtls_ && parseStun(datagram, message) == StunParseResult::Ok && message.type == StunMessage::kBindingSuccess &&
        stunIntegrityValid(datagram, message, routerPwd_)) {
        iceConfirmed_ = true;
        lastConsent_ = nowMicros;
    }
}

void IceDtlsClient::onDtls(std::span<const std::uint8_t> datagram)
{
    if (dtls_)
        dtls_->receive(datagram);
}

std::int64_t IceDtlsClient::service(std::int64_t nowMicros)
{
    constexpr std::int64_t kIdleMicros = 1'000'000;
    if (!dtls_ || !failure_.empty())
        return nowMicros + kIdleMicros;
    if (nowMicros >= nextCheck_)
        sendCheck(nowMicros);
    if (nowMicros - lastConsent_ > kConsentLostMicros)
        fail("the media router answered no consent check for 30 s");
    if (outbound_)
        return nextCheck_;
    if (nowMicros > deadline_)
        fail(iceConfirmed_ ? "the DTLS handshake with the media router did not complete in 20 s"
                           : "the media router answered no ICE check in 20 s");
    if (!iceConfirmed_)
        return nextCheck_;
    if (!dtlsStarted_) {
        dtlsStarted_ = true;
        dtls_->start();
        nextDtlsTimer_ = nowMicros + kCheckRetryMicros;
    } else if (nowMicros >= nextDtlsTimer_) {
        dtls_->onTimer();
        nextDtlsTimer_ = nowMicros + kCheckRetryMicros;
    }
    if (dtls_->state() == DtlsTransport::State::Failed)
        fail("DTLS with the media router: " + dtls_->failure());
    if (dtls_->state() == DtlsTransport::State::Connected) {
        const auto& keys = *dtls_->keys();
        outbound_ = std::make_unique<SrtpSession>(keys.profile, SrtpSession::Direction::Outbound, keys.local);
        inbound_ = std::make_unique<SrtpSession>(keys.profile, SrtpSession::Direction::Inbound, keys.remote);
        return nextCheck_;
    }
    return std::min(nextCheck_, nextDtlsTimer_);
}

} // namespace parley::router
