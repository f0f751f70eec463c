#pragma once

#include "signaling_fixture.h"
#include "webrtc_peer.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace parley::test {

using parley::router::test::Peer;

/// Someone in the meeting: a signaling connection and a media endpoint of their own.
struct Attendee
{
    Attendee(std::unique_ptr<WsClient> signaling, const std::string& joinFields, const std::string& name)
        : ws(std::move(signaling)), media(name)
    {
        const auto joined = ws->join(joinFields);
        REQUIRE(codeOf(joined) == "joined");
        id = joined->getValue<std::string>("participantId");
    }

    /// Someone already in the meeting as `participantId` (after a resume), with a new media
    /// endpoint.
    struct AlreadyIn
    {
        std::string participantId;
    };
    Attendee(std::unique_ptr<WsClient> signaling, AlreadyIn in, const std::string& name)
        : ws(std::move(signaling)), media(name), id(std::move(in.participantId))
    {}

    /// Offers `sections` to the router (publishing the sendonly ones, receiving into the
    /// others what `subscriptions` names) and applies its answer.
    void negotiate(const std::vector<Peer::Section>& sections, const std::map<std::string, std::string>& subscriptions)
    {
        Poco::JSON::Object message;
        message.set("type", "media.offer");
        message.set("sdp", media.offer(sections));
        Poco::JSON::Object tracks;
        for (const auto& section : sections)
            if (section.direction == "sendonly")
                tracks.set(section.mid, section.kind);
        message.set("tracks", tracks);
        Poco::JSON::Object wanted;
        for (const auto& [mid, track] : subscriptions)
            wanted.set(mid, track);
        message.set("subscriptions", wanted);
        std::ostringstream text;
        message.stringify(text);
        ws->sendText(text.str());
        const auto answer = ws->expect("media.answer");
        REQUIRE(answer);
        media.applyAnswer(answer->getValue<std::string>("sdp"));
    }

    std::unique_ptr<WsClient> ws;
    Peer media;
    std::string id;
    std::uint16_t sequence = 1;
};

/// A meeting of the server's owner, on from now for two hours, without a waiting room.
inline RoomInfo openMeeting(SignalingServer& server, const std::string& title)
{
    const auto now = std::chrono::system_clock::now();
    return roomFrom(server.owner.call("POST", "/api/v1/rooms",
                                      R"({"title":")" + title + R"(","startsAt":")" + isoTime(now) +
                                          R"(","endsAt":")" + isoTime(now + std::chrono::hours(2)) +
                                          R"(","waitingRoom":false})"));
}

/// The owner (a moderator, signed in) and a guest, both present in `meeting`.
struct OwnerAndGuest
{
    OwnerAndGuest(SignalingServer& server, const RoomInfo& meeting)
        : owner(std::make_unique<WsClient>(server.port(), sessionCookie(server.owner)),
                R"("link":")" + meeting.link + "\"", "owner"),
          guest(std::make_unique<WsClient>(server.port()), guestJoin(meeting, "Guest"), "guest")
    {}
    Attendee owner;
    Attendee guest;
};

/// Sends audio packets from `from` (SSRC `ssrc`) until `to` receives one, at most `tries`.
inline bool reaches(Attendee& from, std::uint32_t ssrc, Attendee& to, int tries = 10)
{
    for (int i = 0; i < tries; ++i) {
        from.media.sendRtp(ssrc, 111, from.sequence++, 0x40);
        if (!to.media.receiveRtp(std::chrono::milliseconds(300)).empty())
            return true;
    }
    return false;
}

/// Both attendees publish a microphone (SSRCs `ssrcA`, `ssrcB`) and receive the other's:
/// `a` offers first, `b` offers and subscribes, then `a` subscribes too. Both DTLS-SRTP
/// handshakes are REQUIREd to complete.
inline void connectAudioBothWays(Attendee& a, std::uint32_t ssrcA, Attendee& b, std::uint32_t ssrcB)
{
    a.negotiate({{"0", "audio", "sendonly", ssrcA}}, {});
    REQUIRE(a.media.connect());
    b.negotiate({{"0", "audio", "sendonly", ssrcB}, {"1", "audio", "recvonly"}}, {{"1", a.id + "/0"}});
    REQUIRE(b.media.connect());
    a.negotiate({{"0", "audio", "sendonly", ssrcA}, {"1", "audio", "recvonly"}}, {{"1", b.id + "/0"}});
}

} // namespace parley::test
