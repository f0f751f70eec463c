#include "browser_dtls.h"

#include <parley/router/dtls_transport.h>
#include <parley/router/packet_kind.h>
#include <parley/router/rtp_packet.h>

#include <openssl/srtp.h>
#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <utility>
#include <random>

using namespace parley::router;
using Bytes = std::vector<std::uint8_t>;
using parley::router::test::BrowserSide;

namespace {

/// Runs the handshake to its end (or 20 rounds).
void handshake(BrowserSide& browser, DtlsTransport& router, std::deque<Bytes>& fromRouter)
{
    auto toRouter = browser.step({});
    for (int round = 0; round < 20 && !(browser.done() && router.state() != DtlsTransport::State::Handshaking); ++round) {
        if (!toRouter.empty()) {
            CHECK(classify(toRouter) == PacketKind::Dtls);
            router.receive(toRouter);
        }
        Bytes joined;
        while (!fromRouter.empty()) {
            joined.insert(joined.end(), fromRouter.front().begin(), fromRouter.front().end());
            fromRouter.pop_front();
        }
        toRouter = browser.step(joined);
    }
}

Bytes rtpPacket(std::uint16_t sequence)
{
    Bytes packet{0x80, 96, static_cast<std::uint8_t>(sequence >> 8), static_cast<std::uint8_t>(sequence),
                 0, 0, 0x10, 0, 0x11, 0x22, 0x33, 0x44};
    for (int i = 0; i < 100; ++i)
        packet.push_back(static_cast<std::uint8_t>(i));
    return packet;
}

} // namespace

TEST_CASE("DTLS-SRTP: a browser-like client negotiates AES-GCM and both sides derive the same keys")
{
    const auto certificate = DtlsCertificate::generate();
    const DtlsContext context(certificate);
    BrowserSide browser("SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32");
    std::deque<Bytes> fromRouter;
    std::size_t largest = 0;
    DtlsTransport router(context, browser.fingerprint(), [&](std::span<const std::uint8_t> datagram) {
        largest = std::max(largest, datagram.size());
        fromRouter.emplace_back(datagram.begin(), datagram.end());
    });
    handshake(browser, router, fromRouter);
    REQUIRE(router.state() == DtlsTransport::State::Connected);
    REQUIRE(browser.done());
    CHECK(largest <= 1200); // flights are cut into datagrams at record boundaries
    CHECK(browser.profile() == SRTP_AEAD_AES_128_GCM);
    const auto& keys = *router.keys();
    CHECK(keys.profile == SrtpProfile::AeadAes128Gcm);
    const auto [clientKeys, serverKeys] = browser.keys(16, 12);
    CHECK(keys.remote == clientKeys);
    CHECK(keys.local == serverKeys);
    CHECK(keys.local != keys.remote);

    // Another participant's handshake yields other keys.
    BrowserSide other("SRTP_AEAD_AES_128_GCM");
    std::deque<Bytes> fromRouter2;
    DtlsTransport secondTransport(context, other.fingerprint(),
                                  [&](std::span<const std::uint8_t> d) { fromRouter2.emplace_back(d.begin(), d.end()); });
    handshake(other, secondTransport, fromRouter2);
    REQUIRE(secondTransport.state() == DtlsTransport::State::Connected);
    CHECK(secondTransport.keys()->local != keys.local);
    CHECK(secondTransport.keys()->remote != keys.remote);

    // Media both ways through libsrtp with the exported keys.
    SrtpSession browserOut(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound, clientKeys);
    SrtpSession routerIn(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Inbound, keys.remote);
    auto plain = rtpPacket(1);
    auto packet = plain;
    packet.resize(plain.size() + kSrtpMaxTrailer);
    const auto protectedLength = browserOut.protectRtp(packet.data(), plain.size(), packet.size());
    REQUIRE(protectedLength == plain.size() + 16);
    CHECK(Bytes(packet.begin() + 12, packet.begin() + 112) != Bytes(plain.begin() + 12, plain.end()));
    auto copy = packet;
    REQUIRE(routerIn.unprotectRtp(packet.data(), protectedLength) == plain.size());
    CHECK(Bytes(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(plain.size())) == plain);
    // The same packet again is a replay; a flipped bit fails authentication.
    CHECK(routerIn.unprotectRtp(copy.data(), protectedLength) == 0);
    auto second = rtpPacket(2);
    second.resize(second.size() + kSrtpMaxTrailer);
    const auto length2 = browserOut.protectRtp(second.data(), 112, second.size());
    second[20] ^= 1;
    CHECK(routerIn.unprotectRtp(second.data(), length2) == 0);
}

TEST_CASE("DTLS-SRTP: a client offering only AES_CM_SHA1_80 gets it")
{
    const auto certificate = DtlsCertificate::generate();
    const DtlsContext context(certificate);
    BrowserSide browser("SRTP_AES128_CM_SHA1_80");
    std::deque<Bytes> fromRouter;
    DtlsTransport router(context, browser.fingerprint(),
                         [&](std::span<const std::uint8_t> d) { fromRouter.emplace_back(d.begin(), d.end()); });
    handshake(browser, router, fromRouter);
    REQUIRE(router.state() == DtlsTransport::State::Connected);
    CHECK(router.keys()->profile == SrtpProfile::Aes128CmHmacSha1_80);
    const auto [clientKeys, serverKeys] = browser.keys(16, 14);
    SrtpSession routerOut(SrtpProfile::Aes128CmHmacSha1_80, SrtpSession::Direction::Outbound, router.keys()->local);
    SrtpSession browserIn(SrtpProfile::Aes128CmHmacSha1_80, SrtpSession::Direction::Inbound, serverKeys);
    auto packet = rtpPacket(7);
    const auto plainLength = packet.size();
    packet.resize(plainLength + kSrtpMaxTrailer);
    const auto length = routerOut.protectRtp(packet.data(), plainLength, packet.size());
    REQUIRE(length == plainLength + 10);
    CHECK(browserIn.unprotectRtp(packet.data(), length) == plainLength);
}

TEST_CASE("DTLS: a certificate that does not match the SDP fingerprint fails the transport")
{
    const auto certificate = DtlsCertificate::generate();
    const DtlsContext context(certificate);
    BrowserSide browser("SRTP_AEAD_AES_128_GCM");
    const auto impostor = DtlsCertificate::generate();
    std::deque<Bytes> fromRouter;
    DtlsTransport router(context, impostor.fingerprint(),
                         [&](std::span<const std::uint8_t> d) { fromRouter.emplace_back(d.begin(), d.end()); });
    handshake(browser, router, fromRouter);
    CHECK(router.state() == DtlsTransport::State::Failed);
    CHECK_FALSE(router.keys());
    CHECK(router.failure().find("fingerprint") != std::string::npos);
}

TEST_CASE("DTLS: garbage fails a transport without crashing, and never yields keys")
{
    const auto certificate = DtlsCertificate::generate();
    const DtlsContext context(certificate);
    std::mt19937 random(6347);
    for (int i = 0; i < 300; ++i) {
        DtlsTransport router(context, "sha-256 00", [](std::span<const std::uint8_t>) {});
        for (int j = 0; j < 5; ++j) {
            Bytes noise(random() % 300);
            for (auto& byte : noise)
                byte = static_cast<std::uint8_t>(random());
            if (!noise.empty())
                noise[0] = static_cast<std::uint8_t>(20 + random() % 44);
            router.receive(noise);
            router.onTimer();
        }
        CHECK(router.state() != DtlsTransport::State::Connected);
        CHECK_FALSE(router.keys());
    }
}

TEST_CASE("SRTP: key material of the wrong length is refused")
{
    CHECK_THROWS_AS(SrtpSession(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Inbound, Bytes(30)), SrtpError);
    CHECK_NOTHROW(SrtpSession(SrtpProfile::Aes128CmHmacSha1_80, SrtpSession::Direction::Inbound, Bytes(30)));
}

TEST_CASE("DTLS: our client role completes a handshake with the router's server role, keys crosswise, and checks the server's fingerprint")
{
    const auto serverCertificate = DtlsCertificate::generate();
    const auto clientCertificate = DtlsCertificate::generate();
    const DtlsContext serverContext(serverCertificate);
    const DtlsContext clientContext(clientCertificate, DtlsRole::Client);
    CHECK(clientContext.role() == DtlsRole::Client);

    auto run = [&](const std::string& serverFingerprintSeenByClient) {
        std::deque<Bytes> toServer, toClient;
        auto result = std::make_pair(
            std::make_unique<DtlsTransport>(serverContext, clientCertificate.fingerprint(),
                                            [&](std::span<const std::uint8_t> d) { toClient.emplace_back(d.begin(), d.end()); }),
            std::make_unique<DtlsTransport>(clientContext, serverFingerprintSeenByClient,
                                            [&](std::span<const std::uint8_t> d) { toServer.emplace_back(d.begin(), d.end()); }));
        auto& [server, client] = result;
        server->start(); // a server waits for the ClientHello
        CHECK(toClient.empty());
        client->start();
        CHECK_FALSE(toServer.empty());
        for (int round = 0; round < 20 && (!toServer.empty() || !toClient.empty()); ++round) {
            while (!toServer.empty()) {
                server->receive(toServer.front());
                toServer.pop_front();
            }
            while (!toClient.empty()) {
                client->receive(toClient.front());
                toClient.pop_front();
            }
        }
        return result;
    };

    const auto [server, client] = run(serverCertificate.fingerprint());
    REQUIRE(server->state() == DtlsTransport::State::Connected);
    REQUIRE(client->state() == DtlsTransport::State::Connected);
    CHECK(client->keys()->profile == SrtpProfile::AeadAes128Gcm);
    CHECK(client->keys()->local == server->keys()->remote);
    CHECK(client->keys()->remote == server->keys()->local);
    CHECK(client->keys()->local != client->keys()->remote);

    // Media from the client reaches the server's inbound session, and back.
    SrtpSession clientOut(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Outbound, client->keys()->local);
    SrtpSession serverIn(SrtpProfile::AeadAes128Gcm, SrtpSession::Direction::Inbound, server->keys()->remote);
    auto packet = rtpPacket(9);
    const auto plainLength = packet.size();
    packet.resize(plainLength + kSrtpMaxTrailer);
    const auto length = clientOut.protectRtp(packet.data(), plainLength, packet.size());
    CHECK(serverIn.unprotectRtp(packet.data(), length) == plainLength);

    // A server whose certificate is not the one its answer named is refused by the client.
    const auto impostor = DtlsCertificate::generate();
    const auto [server2, client2] = run(impostor.fingerprint());
    CHECK(client2->state() == DtlsTransport::State::Failed);
    CHECK(client2->failure().find("fingerprint") != std::string::npos);
    CHECK_FALSE(client2->keys());
}
