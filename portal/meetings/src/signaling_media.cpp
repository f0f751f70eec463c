// Media messages: an offer without `to` is negotiated with the media router; with the router
// in the process nothing is relayed between participants.
#include <parley/portal/meetings/signaling_session.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/recordings/recording_service.h>

#include <parley/router/media_router.h>
#include <parley/router/sdp.h>

namespace parley::portal {
namespace {

constexpr std::size_t kMaxSdpBytes = 256 * 1024;
constexpr std::size_t kMaxMapEntries = 64;   // tracks or subscriptions in one offer
constexpr std::size_t kMaxMidBytes = 32;
constexpr std::size_t kMaxTrackIdBytes = 128;

/// mid -> label or mid -> track id: a small JSON object of strings, or empty when absent.
std::map<std::string, std::string> stringMap(const Poco::JSON::Object& message, const std::string& field)
{
    std::map<std::string, std::string> result;
    if (!message.has(field))
        return result;
    const auto object = message.getObject(field);
    if (!object || object->size() > kMaxMapEntries)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_request",
                        "'" + field + "' must be an object of at most 64 strings");
    for (const auto& name : object->getNames())
        result[name.substr(0, kMaxMidBytes)] = requireString(*object, name, kMaxTrackIdBytes);
    return result;
}

} // namespace

void SignalingSession::onMedia(const std::string& type, const Poco::JSON::Object& message)
{
    if (type == "media.offer" && !message.has("to")) {
        negotiateMedia(message);
        return;
    }
    // With the router in the process, media is negotiated with it only: a relayed answer
    // could steer a victim's media to another participant.
    if (context_.media)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "relay_disabled",
                        "media messages go to the media router; 'to' is not allowed");
    // The relay forwards the message as received; a copy is what it keeps.
    const auto error = room_->relay(participantId_, requireString(message, "to", kMaxParticipantIdBytes),
                                    Poco::makeShared<Poco::JSON::Object>(message));
    if (!error.empty())
        sendRoomError(error, type);
}

void SignalingSession::onMediaView(const std::string& type, const Poco::JSON::Object& message)
{
    // How big the page shows each video it receives, so the router sends no simulcast layer
    // larger than that (a thumbnail needs the smallest).
    constexpr int kMaxHeight = 4320;
    const auto object = message.has("heights") ? message.getObject("heights") : nullptr;
    if (!object || object->size() > kMaxMapEntries) {
        sendError("invalid_message", "'heights' must be an object of at most 64 track ids", type);
        return;
    }
    std::map<std::string, std::uint16_t> heights;
    for (const auto& trackId : object->getNames()) {
        const auto value = object->get(trackId);
        // (As a double: a number past 64 bits must be refused, not thrown at.)
        const double height = value.isInteger() ? value.convert<double>() : -1;
        if (trackId.size() > kMaxTrackIdBytes || height < 0 || height > kMaxHeight) {
            sendError("invalid_message", "each height must be a whole number of pixels from 0 to 4320, by track id", type);
            return;
        }
        heights[trackId] = static_cast<std::uint16_t>(height);
    }
    // Without the router media goes peer to peer: nobody to tell.
    if (context_.media && room_->isPresent(participantId_))
        context_.media->setShownHeights(participantId_, heights);
}

void SignalingSession::onTick()
{
    if (!context_.media || !room_ || !room_->isPresent(participantId_))
        return;
    auto targets = context_.media->bufferTargets(participantId_);
    if (targets == bufferSent_)
        return;
    // While a link loses packets the router has the page buffer that publisher's audio and
    // video alike (the playout-delay extension reaches only video, and audio left behind
    // plays out of step with the picture).
    Poco::JSON::Object publishers(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [publisherId, ms] : targets)
        publishers.set(publisherId, ms);
    Poco::JSON::Object message(Poco::JSON_PRESERVE_KEY_ORDER);
    message.set("type", "media.buffer");
    message.set("publishers", publishers);
    sink_->send(messageText(message));
    bufferSent_ = std::move(targets);
}

void SignalingSession::negotiateMedia(const Poco::JSON::Object& message)
{
    if (!room_->isPresent(participantId_))
        throw HttpError(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "not_joined",
                        "wait until you are admitted");
    if (!context_.media)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "media_unavailable",
                        "this server runs without a media router");
    const auto sdp = requireString(message, "sdp", kMaxSdpBytes);
    const auto tracks = stringMap(message, "tracks");
    const auto subscriptions = stringMap(message, "subscriptions");
    router::Negotiation negotiation;
    bool held = false;
    try {
        // Under the room's lock, and only while this connection holds the participant: a
        // connection replaced by a resume must not install its transport for it.
        held = room_->whileHolding(participantId_, sink_.get(), [&] {
            negotiation = context_.media->negotiate(roomId_, participantId_, sdp, tracks, subscriptions);
        });
    }
    catch (const router::SdpError& e) {
        throw HttpError(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "invalid_sdp", e.what());
    }
    if (!held)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_FORBIDDEN, "not_joined",
                        "this connection no longer holds a place in the meeting");
    // Someone who joins a meeting being recorded is named on their tracks.
    if (context_.recordings)
        context_.recordings->noteName(roomId_, participantId_, displayName_);
    Poco::JSON::Object answer(Poco::JSON_PRESERVE_KEY_ORDER);
    answer.set("type", "media.answer");
    answer.set("sdp", negotiation.answer);
    sink_->send(messageText(answer));
    std::vector<MediaTrack> published;
    for (const auto& track : negotiation.published)
        published.push_back({track.id, track.kind, participantId_, track.codec});
    std::vector<MediaTrack> subscribed;
    for (const auto& [mid, trackId] : subscriptions)
        subscribed.push_back({trackId, "", trackId.substr(0, trackId.find('/')), ""});
    room_->setTracks(participantId_, std::move(published), std::move(subscribed), sink_.get());
}

} // namespace parley::portal
